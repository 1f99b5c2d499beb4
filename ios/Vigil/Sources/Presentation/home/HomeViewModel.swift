import Foundation
import Observation
import VigilCore
import VigilCoreAsync

/// The walk in progress, if any.
struct WalkInProgress: Sendable, Equatable {
    let walkId: String
    let title: String
    let progress: String
    let issues: Int
}

struct HomeState: Sendable, Equatable {
    var officer: String = ""
    var recent: [IncidentRow] = []
    var walk: WalkInProgress? = nil
    var sync = SyncIndicator()
    /// "Phone storage almost full ..." while free space runs low, else nil.
    var storageWarning: String? = nil
    var loading: Bool = true
    var error: String? = nil
}

enum HomeIntent: Sendable {
    case refresh
}

/// Home: the big "Log incident" action (navigation, held by the host), recent incidents,
/// the walk in progress, the sync indicator, the storage warning.
@Observable
@MainActor
final class HomeViewModel {
    private(set) var state: HomeState
    private let vigil: Vigil
    private let time: TimeWords

    init(vigil: Vigil, time: TimeWords = TimeWords()) {
        self.vigil = vigil
        self.time = time
        self.state = HomeState(officer: vigil.officerName)
        load()
    }

    func onIntent(_ intent: HomeIntent) {
        switch intent {
        case .refresh: load()
        }
    }

    private func load() {
        let recentCount = Self.recent
        Task {
            do {
                let (recent, walks, status, storage) = try await vigil.run { v in
                    let everything = IncidentFilter(from: nil, to: nil, category: nil, severity: nil, minSeverity: nil, venueId: nil, routeId: nil)
                    let recent = try v.incidents().list(filter: everything, limit: recentCount, after: nil)
                    let walks = try v.advance().listWalks()
                    let status = try v.sync().status()
                    let storage = try v.vault().storage()
                    return (recent, walks, status, storage)
                }
                let walk = walks.first { $0.state == .inProgress }.map { w in
                    let p = w.progress()
                    return WalkInProgress(walkId: w.id, title: w.template.title, progress: "\(p.answered) of \(p.total) checks", issues: Int(p.issues))
                }
                state.recent = recent.map { IncidentRow.of($0, time) }
                state.walk = walk
                state.sync = SyncIndicator.of(status, time)
                state.storageWarning = Words.storageWarning(storage)
                state.loading = false
                state.error = nil
            } catch {
                state.loading = false
                state.error = CoreWords.of(error)
            }
        }
    }

    static let recent: UInt32 = 5
}
