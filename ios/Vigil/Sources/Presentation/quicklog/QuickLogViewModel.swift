import Foundation
import Observation
import VigilCore
import VigilCoreAsync

struct Tile: Sendable, Equatable, Hashable {
    let category: IncidentCategory
    let label: String
}

/// What was just logged: the officer sees it was kept, when, and where (or that there was
/// no fix), and the photos added to it since.
struct Logged: Sendable, Equatable {
    let incidentId: String
    let what: String
    let at: String
    let place: String
    var photos: Int = 0
}

/// Details that can follow at once; saved as an amendment of the quick entry.
struct Details: Sendable, Equatable {
    var severity: Severity? = nil
    var narrative: String = ""
    var witnesses: String = ""

    var isEmpty: Bool { severity == nil && narrative.isBlank && witnesses.isBlank }
}

struct QuickLogState: Sendable, Equatable, ActionState {
    var tiles: [Tile] = IncidentCategory.all.map { Tile(category: $0, label: Words.category($0)) }
    /// The current fix in words: "±8 m" or "No fix".
    var fix: String = "No fix"
    var logged: Logged? = nil
    var details = Details()
    var severities: [Labeled<Severity>] = Severity.all.map { Labeled(value: $0, label: Words.severity($0)) }
    var busy: Bool = false
    var error: String? = nil
    var message: String? = nil

    var canSaveDetails: Bool { logged != nil && !busy && !details.isEmpty }
}

enum QuickLogIntent: Sendable {
    /// One tap: logs the category now, with the current fix if there is one.
    case log(category: IncidentCategory)
    case refreshFix
    case severityPicked(severity: Severity?)
    case narrativeChanged(text: String)
    case witnessesChanged(text: String)
    case saveDetails
    /// A photo the camera just took, for the entry just logged (sealed, added by an amendment).
    case attachPhoto(capture: Capture)
    case done
}

/// Quick log: ten category tiles; one tap logs an incident with the time and the current
/// fix. Severity, narrative, witnesses and photos can follow at once (amendments) or later
/// from the incident's page.
@Observable
@MainActor
final class QuickLogViewModel: CoreCalls {
    typealias State = QuickLogState
    private(set) var state = QuickLogState()
    let vigil: Vigil
    private let position: any PositionProvider
    private let time: TimeWords

    init(vigil: Vigil, position: any PositionProvider, time: TimeWords = TimeWords()) {
        self.vigil = vigil
        self.position = position
        self.time = time
        refreshFix()
    }

    func onIntent(_ intent: QuickLogIntent) {
        switch intent {
        case .log(let category): log(category)
        case .refreshFix: refreshFix()
        case .severityPicked(let severity): state.details.severity = severity
        case .narrativeChanged(let text): state.details.narrative = text
        case .witnessesChanged(let text): state.details.witnesses = text
        case .saveDetails: saveDetails()
        case .attachPhoto(let capture): attachPhoto(capture)
        case .done:
            state.logged = nil
            state.details = Details()
            state.message = nil
            state.error = nil
        }
    }

    func update(_ change: (inout QuickLogState) -> Void) { change(&state) }

    private func refreshFix() {
        let position = self.position
        Task {
            let fix = try? await vigil.run { _ in position.current() }
            state.fix = Words.fix(fix)
        }
    }

    private func log(_ category: IncidentCategory) {
        if state.busy { return }
        let position = self.position
        let time = self.time
        runCore({ v -> (Fix?, IncidentView) in
            let fix = position.current()
            let log = try v.incidents()
            let receipt = try log.quickLog(category: category, location: fix?.incidentLocation())
            v.localChange()
            return (fix, try log.get(incidentId: receipt.incidentId))
        }) { s, logged in
            let (fix, view) = logged
            let place: String
            if let f = fix {
                place = Words.accuracy(f.accuracyM).map { "Place recorded (\($0))" } ?? "Place recorded"
            } else {
                place = "No fix: logged without a place"
            }
            s.logged = Logged(
                incidentId: view.incidentId, what: Words.category(category),
                at: time.at(view.current.occurred.utc), place: place
            )
            s.details = Details()
            s.fix = Words.fix(fix)
        }
    }

    private func saveDetails() {
        let s = state
        guard let logged = s.logged, s.canSaveDetails else { return }
        let d = s.details
        var patch = emptyPatch()
        patch.severity = d.severity
        let narrative = d.narrative.trimmingCharacters(in: .whitespacesAndNewlines)
        patch.narrative = narrative.isEmpty ? nil : narrative
        let witnesses = d.witnesses.components(separatedBy: "\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        patch.witnesses = witnesses.isEmpty ? nil : witnesses
        let amendment = patch
        let reason = Self.reason
        runCore({ v in
            _ = try v.incidents().amend(amends: logged.incidentId, reason: reason, patch: amendment)
            v.localChange()
        }) { s, _ in
            s.details = Details()
            s.message = "Details added to the \(logged.what.lowercased()) entry."
        }
    }

    private func attachPhoto(_ c: Capture) {
        guard let logged = state.logged else { return }
        runCore({ v in
            _ = try v.incidents().attachFile(incidentId: logged.incidentId, path: c.path, mime: c.mime, capturedAtMillis: c.capturedAtMillis)
            c.sealed()
            v.localChange()
        }) { s, _ in
            s.logged?.photos += 1
            s.message = "Photo sealed and added to the \(logged.what.lowercased()) entry."
        }
    }

    /// The reason recorded with details added right after a quick log.
    static let reason = "Details added after quick log"
}
