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

struct SyncState: Sendable, Equatable {
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
final class SyncViewModel {
    private(set) var state = SyncState()
    private let vigil: Vigil
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

    private func load() {
        Task {
            do {
                let snap = try await vigil.run { v in try Self.snapshot(v) }
                state = with(state, snap)
            } catch {
                state.loading = false
                state.error = CoreWords.of(error)
            }
        }
    }

    /// The status and the refused items, read together (blocking: on the core's queue).
    private nonisolated static func snapshot(_ v: Vigil) throws -> (SyncStatus, [OutboxEntry]) {
        let client = try v.sync()
        return (try client.status(), try client.quarantined())
    }

    private func with(_ s: SyncState, _ snap: (SyncStatus, [OutboxEntry])) -> SyncState {
        let (status, quarantined) = snap
        var next = s
        next.indicator = SyncIndicator.of(status, time)
        next.team = status.teamId
        next.server = status.serverUrl
        next.quarantined = quarantined.map { q in
            QuarantinedRow(what: Self.kindWords(q.kind), reason: q.lastError ?? "Refused by the server", attempts: Int(q.attempts))
        }
        next.loading = false
        return next
    }

    private func enroll() {
        let s = state
        guard s.canEnroll else { return }
        state.busy = true
        state.error = nil
        state.message = nil
        Task {
            do {
                let pin = s.enroll.pin.trimmingCharacters(in: .whitespacesAndNewlines)
                let pins = pin.isEmpty ? [] : [pin]
                let server = s.enroll.server.trimmingCharacters(in: .whitespacesAndNewlines)
                let code = s.enroll.code.trimmingCharacters(in: .whitespacesAndNewlines)
                try await vigil.run { v in try v.enroll(serverUrl: server, code: code, pins: pins) }
                state.busy = false
                state.enroll = EnrollForm()
                state.message = "This phone is now in the team."
                load()
            } catch {
                state.busy = false
                state.error = CoreWords.of(error)
            }
        }
    }

    private func syncNow() {
        guard state.canSyncNow else { return }
        state.busy = true
        state.error = nil
        state.message = nil
        Task {
            do {
                // The client is taken under the core's lock; the network call runs without it.
                // The report and the status after it, in one update: the screen never shows
                // "Synced" beside the counts from before.
                let (r, snap) = try await vigil.run { v in
                    let report = try v.sync().syncNow()
                    return (report, try Self.snapshot(v))
                }
                var parts = ["\(r.pushed) sent", "\(r.pulled) received"]
                if r.quarantined > 0 { parts.append("\(r.quarantined) refused") }
                var next = with(state, snap)
                next.busy = false
                next.message = "Synced: " + parts.joined(separator: ", ") + "."
                state = next
                load()
            } catch {
                state.busy = false
                state.error = CoreWords.of(error)
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
