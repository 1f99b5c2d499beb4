import Foundation
import VigilCore

/// The core's incident category (`Category` alone would meet the Objective-C runtime's).
typealias IncidentCategory = VigilCore.Category

/// How the view models put the core's values into words (English; the host may translate).
/// The twin of android/presentation's `Words`, word for word.
enum Words {
    /// The home screen's warning while the phone's storage runs low (the core decides what
    /// "low" is), or nil when there is room. Says what is left and what to do, before a
    /// log can fail.
    static func storageWarning(_ s: StorageStatus) -> String? {
        guard s.low else { return nil }
        let mb = s.availableBytes / (1024 * 1024)
        return "Phone storage almost full: \(mb) MB left. Free space now so you can keep logging; "
            + "quick logs have a small reserve."
    }

    static func category(_ c: IncidentCategory) -> String {
        switch c {
        case .suspiciousActivity: return "Suspicious activity"
        case .hostileSurveillance: return "Hostile surveillance"
        case .approachOrThreat: return "Approach or threat"
        case .medical: return "Medical"
        case .securityBreach: return "Security breach"
        case .roadOrVehicle: return "Road or vehicle"
        case .crowdOrProtest: return "Crowd or protest"
        case .media: return "Media"
        case .theftOrLoss: return "Theft or loss"
        case .other: return "Other"
        }
    }

    static func severity(_ s: Severity?) -> String {
        switch s {
        case nil: return "Not set"
        case .info?: return "Info"
        case .low?: return "Low"
        case .medium?: return "Medium"
        case .high?: return "High"
        case .critical?: return "Critical"
        }
    }

    static func havenKind(_ k: HavenKind) -> String {
        switch k {
        case .hospital: return "Hospital"
        case .police: return "Police"
        case .fire: return "Fire station"
        case .embassy: return "Embassy"
        case .consulate: return "Consulate"
        case .other: return "Safe place"
        }
    }

    /// "±8 m", or nil when there is no fix.
    static func accuracy(_ m: Double?) -> String? {
        m.map { "±\(Int($0.rounded())) m" }
    }

    /// The current fix in words: "±8 m", "Fix" (no accuracy given) or "No fix".
    static func fix(_ f: Fix?) -> String {
        guard let f else { return "No fix" }
        return accuracy(f.accuracyM) ?? "Fix"
    }

    static func distance(_ m: Double) -> String {
        m < 1000 ? "\(Int(m.rounded())) m" : String(format: "%.1f km", m / 1000)
    }

    /// "NE (45°)": the compass point first, it is what an officer turns to.
    static func bearing(_ deg: Double) -> String {
        let points = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
        let d = (deg.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360)
        return "\(points[Int((d + 22.5) / 45) % 8]) (\(Int(d.rounded()))°)"
    }
}

extension IncidentCategory {
    /// Every category, in the core's order (Kotlin's `Category.entries`).
    static let all: [IncidentCategory] = [
        .suspiciousActivity, .hostileSurveillance, .approachOrThreat, .medical, .securityBreach,
        .roadOrVehicle, .crowdOrProtest, .media, .theftOrLoss, .other,
    ]
}

extension Severity {
    /// Every severity, least first (Kotlin's `Severity.entries`).
    static let all: [Severity] = [.info, .low, .medium, .high, .critical]
}

/// Every case of an enum with its words, for pickers (Kotlin's `entries.map { it to words }`).
struct Labeled<T: Sendable & Hashable>: Sendable, Hashable {
    let value: T
    let label: String
}

/// Times in the officer's zone, from an injectable clock.
struct TimeWords: Sendable {
    private let zone: TimeZone
    private let clock: @Sendable () -> Date

    init(zone: TimeZone = .current, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.zone = zone
        self.clock = clock
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "14:32" today, "4 Dec 14:32" on another day.
    func at(_ ms: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let t = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        let today = calendar.dateComponents([.year, .month, .day], from: clock())
        let hm = String(format: "%02d:%02d", t.hour ?? 0, t.minute ?? 0)
        if t.year == today.year && t.month == today.month && t.day == today.day { return hm }
        return "\(t.day ?? 0) \(Self.months[(t.month ?? 1) - 1]) \(hm)"
    }

    func nowMs() -> Int64 { Int64(clock().timeIntervalSince1970 * 1000) }
}

extension String {
    /// Kotlin's `isBlank()`: empty or only whitespace.
    var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}
