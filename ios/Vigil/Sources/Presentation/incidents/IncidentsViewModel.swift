import Foundation
import Observation
import VigilCore
import VigilCoreAsync

struct FilterChoice<T: Sendable & Hashable>: Sendable, Hashable {
    let value: T?
    let label: String
    let selected: Bool
}

struct IncidentsState: Sendable, Equatable {
    var query: String = ""
    var category: IncidentCategory? = nil
    var minSeverity: Severity? = nil
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
    var empty: Bool { !loading && rows.isEmpty }
}

enum IncidentsIntent: Sendable {
    case queryChanged(text: String)
    case categoryPicked(category: IncidentCategory?)
    case minSeverityPicked(severity: Severity?)
    case refresh
}

/// The incident list: newest first, full-text search (the core's index), and filters by
/// category and minimum severity (the core's filter). A search looks at every incident.
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
                let filter = IncidentFilter(
                    from: nil, to: nil, category: s.category, severity: nil, minSeverity: s.minSeverity,
                    venueId: nil, routeId: nil
                )
                let found = try await vigil.run { v in
                    let log = try v.incidents()
                    if !query.isEmpty {
                        return try log.search(text: query, limit: limit, after: nil)
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
