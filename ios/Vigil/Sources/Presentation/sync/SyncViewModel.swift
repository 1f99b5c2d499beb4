import Foundation
import Observation
import VigilCore
import VigilCoreAsync

/// The sync indicator shown on home and at the top of the sync screen.
struct SyncIndicator: Sendable, Equatable {
    var enrolled: Bool = false
    /// One line: "All sent · last sync 14:02", "3 changes waiting", "Not in a team yet".
    var line: String = "Not in a team yet"
    var pending: Int = 0
    var problem: String? = nil

    static func of(_ s: SyncStatus, _ time: TimeWords) -> SyncIndicator {
        if !s.enrolled { return SyncIndicator() }
        if s.revoked {
            return SyncIndicator(
                enrolled: true, line: "Removed from the team", pending: Int(s.pending),
                problem: "This phone was removed from the team. Talk to your team lead."
            )
        }
        let waiting = s.pending + s.attachmentsToUpload
        let last = s.lastSuccessMs.map { "last sync \(time.at(Int64($0)))" } ?? "never synced"
        let line = waiting == 0 ? "All sent · \(last)" : "\(waiting) waiting to send · \(last)"
        let problem: String?
        if s.quarantined > 0 {
            problem = "\(s.quarantined) change(s) refused by the server: see Sync."
        } else if s.lastError != nil {
            problem = "Last sync failed. Vigil will retry" + (s.nextAttemptMs.map { " at \(time.at(Int64($0)))" } ?? "") + "."
        } else {
            problem = nil
        }
        return SyncIndicator(enrolled: true, line: line, pending: Int(s.pending), problem: problem)
    }
}

struct QuarantinedRow: Sendable, Equatable {
    let what: String
    let reason: String
    let attempts: Int
}

struct EnrollForm: Sendable, Equatable {
    var server: String = ""
    var code: String = ""
    var pin: String = ""

    var complete: Bool { !server.isBlank && !code.isBlank }
}

struct SyncState: Sendable, Equatable, ActionState {
    var indicator = SyncIndicator()
    var team: String? = nil
    var server: String? = nil
    var enroll = EnrollForm()
    var quarantined: [QuarantinedRow] = []
    var busy: Bool = false
    var error: String? = nil
    var message: String? = nil
    var loading: Bool = true

    var canEnroll: Bool { !indicator.enrolled && enroll.complete && !busy }
    var canSyncNow: Bool { indicator.enrolled && !busy }
}

enum SyncIntent: Sendable {
    case serverChanged(text: String)
    case codeChanged(text: String)
    case pinChanged(text: String)
    case enroll
    case syncNow
    case refresh
}

/// Sync and team: enroll with the server address, the one-time code and (optionally) the
/// server's key pin; status; changes the server refused, with their reasons; "sync now".
/// The network call runs on the core's queue and holds nothing of ours meanwhile.
@Observable
@MainActor
final class SyncViewModel: CoreCalls {
    typealias State = SyncState
    private(set) var state = SyncState()
    let vigil: Vigil
    private let time: TimeWords

    init(vigil: Vigil, time: TimeWords = TimeWords()) {
        self.vigil = vigil
        self.time = time
        load()
    }

    func onIntent(_ intent: SyncIntent) {
        switch intent {
        case .serverChanged(let text):
            state.enroll.server = text
            state.error = nil
        case .codeChanged(let text):
            state.enroll.code = text
            state.error = nil
        case .pinChanged(let text):
            state.enroll.pin = text
            state.error = nil
        case .enroll: enroll()
        case .syncNow: syncNow()
        case .refresh: load()
        }
    }

    func update(_ change: (inout SyncState) -> Void) { change(&state) }

    static func failed(_ s: inout SyncState, _ words: String) {
        s.loading = false
        s.error = words
    }

    private func load() {
        let time = self.time
        readCore({ v in try Self.snapshot(v) }) { s, snap in s = Self.with(s, snap, time) }
    }

    /// The status and the refused items, read together (blocking: on the core's queue).
    private nonisolated static func snapshot(_ v: Vigil) throws -> (SyncStatus, [OutboxEntry]) {
        let client = try v.sync()
        return (try client.status(), try client.quarantined())
    }

    private nonisolated static func with(_ s: SyncState, _ snap: (SyncStatus, [OutboxEntry]), _ time: TimeWords) -> SyncState {
        let (status, quarantined) = snap
        var next = s
        next.indicator = SyncIndicator.of(status, time)
        next.team = status.teamId
        next.server = status.serverUrl
        next.quarantined = quarantined.map { q in
            QuarantinedRow(what: kindWords(q.kind), reason: q.lastError ?? "Refused by the server", attempts: Int(q.attempts))
        }
        next.loading = false
        return next
    }

    private func enroll() {
        let s = state
        guard s.canEnroll else { return }
        let pin = s.enroll.pin.trimmingCharacters(in: .whitespacesAndNewlines)
        let pins = pin.isEmpty ? [] : [pin]
        let server = s.enroll.server.trimmingCharacters(in: .whitespacesAndNewlines)
        let code = s.enroll.code.trimmingCharacters(in: .whitespacesAndNewlines)
        let time = self.time
        runCore({ v in
            try v.enroll(serverUrl: server, code: code, pins: pins)
            return try Self.snapshot(v)
        }) { s, snap in
            s = Self.with(s, snap, time)
            s.enroll = EnrollForm()
            s.message = "This phone is now in the team."
        }
    }

    private func syncNow() {
        guard state.canSyncNow else { return }
        let time = self.time
        // The client is taken under the core's lock; the network call runs without it.
        // The outcome and the status after it, in one update: the screen never shows
        // "Synced" (or the failure) beside the counts from before.
        runCore({ v -> (Result<SyncReport, any Error>, (SyncStatus, [OutboxEntry])) in
            let outcome = Result { try v.sync().syncNow() }
            return (outcome, try Self.snapshot(v))
        }) { s, done in
            let (outcome, snap) = done
            s = Self.with(s, snap, time)
            switch outcome {
            case .success(let r):
                var parts = ["\(r.pushed) sent", "\(r.pulled) received"]
                if r.quarantined > 0 { parts.append("\(r.quarantined) refused") }
                s.message = "Synced: " + parts.joined(separator: ", ") + "."
            case .failure(let error):
                Self.failed(&s, CoreWords.of(error))
            }
        }
    }

    nonisolated static func kindWords(_ kind: String) -> String {
        if kind.hasPrefix("incident.attachment") { return "Attachment" }
        if kind.hasPrefix("incident") { return "Incident entry" }
        if kind.hasPrefix("checklist") { return "Checklist" }
        if kind.hasPrefix("venue") { return "Venue" }
        if kind.hasPrefix("haven") { return "Safe haven" }
        if kind.hasPrefix("route") { return "Route" }
        return "Change"
    }
}
