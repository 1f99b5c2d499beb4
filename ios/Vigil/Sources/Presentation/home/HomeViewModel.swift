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
final class HomeViewModel: CoreCalls {
    typealias State = HomeState
    private(set) var state: HomeState
    let vigil: Vigil
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

    func update(_ change: (inout HomeState) -> Void) { change(&state) }

    static func failed(_ s: inout HomeState, _ words: String) {
        s.loading = false
        s.error = words
    }

    private func load() {
        let recentCount = Self.recent
        let time = self.time
        readCore({ v -> ([IncidentSummary], WalkInProgress?, SyncStatus, StorageStatus) in
            let everything = IncidentFilter(from: nil, to: nil, category: nil, severity: nil, minSeverity: nil, venueId: nil, routeId: nil)
            let recent = try v.incidents().list(filter: everything, limit: recentCount, after: nil)
            // A walk's progress is the core's (a call across the FFI): read here, on the core's queue.
            let walk = try v.advance().listWalks().first { $0.state == .inProgress }.map { w in
                let p = w.progress()
                return WalkInProgress(walkId: w.id, title: w.template.title, progress: "\(p.answered) of \(p.total) checks", issues: Int(p.issues))
            }
            return (recent, walk, try v.sync().status(), try v.vault().storage())
        }) { s, home in
            let (recent, walk, status, storage) = home
            s.recent = recent.map { IncidentRow.of($0, time) }
            s.walk = walk
            s.sync = SyncIndicator.of(status, time)
            s.storageWarning = Words.storageWarning(storage)
            s.loading = false
            s.error = nil
        }
    }

    static let recent: UInt32 = 5
}
