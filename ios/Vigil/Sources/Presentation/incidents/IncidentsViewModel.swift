import Foundation
import Observation
import VigilCore
import VigilCoreAsync

struct FilterChoice<T: Sendable & Hashable>: Sendable, Hashable {
    let value: T?
    let label: String
    let selected: Bool
}

/// How far back the list looks (by when the incident happened).
enum Period: Sendable, Hashable {
    case day, week, month

    static let all: [Period] = [.day, .week, .month]

    var label: String {
        switch self {
        case .day: return "Last 24 h"
        case .week: return "Last 7 days"
        case .month: return "Last 30 days"
        }
    }

    var hours: Int64 {
        switch self {
        case .day: return 24
        case .week: return 24 * 7
        case .month: return 24 * 30
        }
    }
}

struct IncidentsState: Sendable, Equatable {
    var query: String = ""
    var category: IncidentCategory? = nil
    var minSeverity: Severity? = nil
    var period: Period? = nil
    var rows: [IncidentRow] = []
    var loading: Bool = true
    var error: String? = nil

    var categories: [FilterChoice<IncidentCategory>] {
        [FilterChoice(value: nil, label: "All", selected: category == nil)]
            + IncidentCategory.all.map { FilterChoice(value: $0, label: Words.category($0), selected: $0 == category) }
    }
    var severities: [FilterChoice<Severity>] {
        [FilterChoice(value: nil, label: "Any", selected: minSeverity == nil)]
            + Severity.all.map { FilterChoice(value: $0, label: "\(Words.severity($0))+", selected: $0 == minSeverity) }
    }
    var periods: [FilterChoice<Period>] {
        [FilterChoice(value: nil, label: "Any time", selected: period == nil)]
            + Period.all.map { FilterChoice(value: $0, label: $0.label, selected: $0 == period) }
    }
    var empty: Bool { !loading && rows.isEmpty }
}

enum IncidentsIntent: Sendable {
    case queryChanged(text: String)
    case categoryPicked(category: IncidentCategory?)
    case minSeverityPicked(severity: Severity?)
    case periodPicked(period: Period?)
    case refresh
}

/// The incident list: newest first, full-text search (the core's index), and filters by
/// category, minimum severity and period (the core's filter), which a search honours too:
/// the core applies text and filters in one query.
@Observable
@MainActor
final class IncidentsViewModel {
    private(set) var state = IncidentsState()
    private let vigil: Vigil
    private let time: TimeWords
    @ObservationIgnored private var loadJob: Task<Void, Never>?

    init(vigil: Vigil, time: TimeWords = TimeWords()) {
        self.vigil = vigil
        self.time = time
        reload()
    }

    func onIntent(_ intent: IncidentsIntent) {
        switch intent {
        case .queryChanged(let text): state.query = text
        case .categoryPicked(let category): state.category = category
        case .minSeverityPicked(let severity): state.minSeverity = severity
        case .periodPicked(let period): state.period = period
        case .refresh: break
        }
        reload()
    }

    private func reload() {
        let s = state
        loadJob?.cancel()
        state.loading = true
        let time = self.time
        let limit = Self.limit
        loadJob = Task {
            do {
                let query = s.query.trimmingCharacters(in: .whitespacesAndNewlines)
                let from = s.period.map { time.nowMs() - $0.hours * 3_600_000 }
                let filter = IncidentFilter(
                    from: from, to: nil, category: s.category, severity: nil, minSeverity: s.minSeverity,
                    venueId: nil, routeId: nil
                )
                let found = try await vigil.run { v in
                    let log = try v.incidents()
                    if !query.isEmpty {
                        return try log.searchFiltered(text: query, filter: filter, limit: limit, after: nil)
                    }
                    return try log.list(filter: filter, limit: limit, after: nil)
                }
                if Task.isCancelled { return }
                state.rows = found.map { IncidentRow.of($0, time) }
                state.loading = false
                state.error = nil
            } catch {
                if Task.isCancelled { return }
                state.loading = false
                state.error = CoreWords.of(error)
            }
        }
    }

    static let limit: UInt32 = 100
}
