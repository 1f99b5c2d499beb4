import Foundation
import Observation
import VigilCore
import VigilCoreAsync

/// How an item is answered on the walk screen: ok/issue/n.a.; typed text; a typed number;
/// one of the item's options; "here" (the current fix); a photo (the camera); or, for
/// contact items, n.a. only from this screen.
enum AnswerStyle: Sendable, Equatable { case check, text, number, choice, location, photo, other }

struct ItemRow: Sendable, Equatable, Identifiable {
    let id: String
    let label: String
    let guidance: String
    let required: Bool
    let style: AnswerStyle
    /// The answer in words ("OK", "Issue", "n/a", the text), or nil if unanswered.
    let answer: String?
    let issue: Bool
    let note: String
    /// A choice item's options.
    var options: [String] = []
    /// For a check item: how it was answered.
    var checked: CheckState? = nil
    var notApplicable: Bool = false
    /// Photos taken for this item (sealed in the store), answered or waiting for the answer.
    var photos: Int = 0
}

/// An incident about to be raised from an item: the officer picks the category (the quick
/// log's ten tiles) and the severity; security breach / medium are preselected.
struct RaiseDraft: Sendable, Equatable {
    let itemId: String
    var category: IncidentCategory = .securityBreach
    var severity: Severity? = .medium
}

struct SectionRow: Sendable, Equatable {
    let title: String
    let items: [ItemRow]
}

struct WalkScreenState: Sendable, Equatable, ActionState {
    let walkId: String
    var title: String = ""
    var state: WalkState = .inProgress
    var stateWords: String = ""
    var sections: [SectionRow] = []
    /// "12 of 20 checks · 8 of 10 required · 2 issues".
    var progress: String = ""
    var requiredLeft: Int = 0
    var issues: Int = 0
    /// The note being typed, per item.
    var notes: [String: String] = [:]
    var busy: Bool = false
    var error: String? = nil
    var message: String? = nil
    /// The incident raised from an item, if any (the host may open it).
    var raisedIncidentId: String? = nil
    /// The raise-an-incident sheet, open while not nil.
    var raising: RaiseDraft? = nil
    var raiseTiles: [Tile] = IncidentCategory.all.map { Tile(category: $0, label: Words.category($0)) }
    var raiseSeverities: [Labeled<Severity>] = Severity.all.map { Labeled(value: $0, label: Words.severity($0)) }

    var editable: Bool { state == .inProgress && !busy }
    var canComplete: Bool { editable && requiredLeft == 0 }
    var canSignOff: Bool { state == .completed && !busy }
}

enum WalkIntent: Sendable {
    case check(itemId: String, state: CheckState)
    case noteChanged(itemId: String, text: String)
    /// Any item: does not apply here.
    case notApplicable(itemId: String)
    /// A choice item: one of its options.
    case choose(itemId: String, option: String)
    /// A location item: where the officer stands now.
    case hereNow(itemId: String)
    /// Saves a text item's answer (the note field holds the text).
    case saveText(itemId: String)
    case complete
    case signOff
    /// Opens the raise sheet for an item answered as an issue (category and severity preselected).
    case raiseIncident(itemId: String)
    case raiseCategoryPicked(category: IncidentCategory)
    case raiseSeverityPicked(severity: Severity?)
    /// Files the incident in the log with the chosen category and severity.
    case confirmRaise
    case cancelRaise
    /// A photo the camera took for an item: sealed into the store, then the answer of a
    /// photo item, or added to the item's answer (kept for its answer if not answered yet).
    case attachPhoto(itemId: String, capture: Capture)
    case refresh
}

/// Walking a checklist: sections and items, ok / issue / n.a. with a note (and the fix),
/// progress and issues, complete (the core refuses while required items are open), sign
/// off (sealed with the device key), and raising an incident from an item.
@Observable
@MainActor
final class WalkViewModel: CoreCalls {
    typealias State = WalkScreenState
    private(set) var state: WalkScreenState
    let vigil: Vigil
    private let position: any PositionProvider
    /// The walk's answers as last loaded (the view model re-answers with them).
    @ObservationIgnored private var answers: [String: Answer] = [:]
    /// Photos sealed for items not answered yet: they go with the item's answer.
    @ObservationIgnored private var pendingPhotos: [String: [String]] = [:]

    init(vigil: Vigil, walkId: String, position: any PositionProvider) {
        self.vigil = vigil
        self.position = position
        self.state = WalkScreenState(walkId: walkId)
        load()
    }

    func update(_ change: (inout WalkScreenState) -> Void) { change(&state) }

    private func raise() {
        guard let draft = state.raising, !state.busy else { return }
        let walkId = state.walkId
        let category = Self.wireName(draft.category)
        let severity = draft.severity.map { Self.wireName($0) }
        runCore({ v in
            let id = try v.advance().raiseIncidentFromItem(
                walkId: walkId, itemId: draft.itemId, category: category, severity: severity)
            v.localChange()
            return id
        }) { s, id in
            s.raising = nil
            s.raisedIncidentId = id
            s.message = "\(Words.category(draft.category)) incident raised in the log from this item."
        }
    }

    /// The incident log's text form of a case: `securityBreach` -> `security_breach`.
    private static func wireName<T>(_ value: T) -> String {
        String(describing: value).reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }

    func onIntent(_ intent: WalkIntent) {
        switch intent {
        case .check(let itemId, let checkState):
            answer(itemId, .check(state: checkState), issue: checkState == .issue)
        case .notApplicable(let itemId):
            answer(itemId, .notApplicable, issue: false)
        case .choose(let itemId, let option):
            answer(itemId, .choice(option: option), issue: false)
        case .hereNow(let itemId):
            let position = self.position
            Task {
                let fix = try? await vigil.run { _ in position.current() }
                if let f = fix {
                    answer(itemId, .location(position: f.geo()), issue: false)
                } else {
                    state.error = "No fix yet: step outside or wait, then try again."
                }
            }
        case .noteChanged(let itemId, let text):
            state.notes[itemId] = text
        case .saveText(let itemId):
            let text = (state.notes[itemId] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let item = state.sections.flatMap(\.items).first { $0.id == itemId }
            guard !text.isEmpty, let item else { return }
            if item.style == .number {
                if let n = Double(text.replacingOccurrences(of: ",", with: ".")) {
                    answer(itemId, .number(value: n), issue: false)
                } else {
                    state.error = "That is not a number."
                }
            } else {
                answer(itemId, .text(text: text), issue: false)
            }
        case .complete:
            let walkId = state.walkId
            act("Walk completed. Sign it off to seal it.") { v in
                _ = try v.advance().completeWalk(walkId: walkId, officer: v.officerName)
            }
        case .signOff:
            let walkId = state.walkId
            act("Signed off and sealed with this phone's key.") { v in
                _ = try v.advance().signOffWalk(walkId: walkId, officer: v.officerName)
            }
        case .raiseIncident(let itemId):
            state.raising = RaiseDraft(itemId: itemId)
            state.error = nil
            state.message = nil
        case .raiseCategoryPicked(let category):
            state.raising?.category = category
        case .raiseSeverityPicked(let severity):
            state.raising?.severity = severity
        case .cancelRaise:
            state.raising = nil
        case .confirmRaise:
            raise()
        case .attachPhoto(let itemId, let capture):
            attachPhoto(itemId, capture)
        case .refresh:
            load()
        }
    }

    private func attachPhoto(_ itemId: String, _ c: Capture) {
        guard let item = state.sections.flatMap(\.items).first(where: { $0.id == itemId }), state.editable else { return }
        let a = answers[itemId]
        if item.style == .photo {
            // The photo is the answer: answered again with every photo so far.
            var before: [String] = []
            if case .photo(let attachments)? = a?.value { before = attachments }
            let earlier = before
            answer(itemId, .photo(attachments: earlier), issue: a?.issue == true, photo: c) { _, id in
                .photo(attachments: earlier + [id])
            }
        } else if let a {
            // Answered: the answer is given again with the photo.
            answer(itemId, a.value, issue: a.issue, photo: c, done: "Photo sealed and added to this item.")
        } else {
            // Not answered yet: the sealed photo goes with the item's answer.
            runCore({ v in try Self.seal(v, c) }) { [weak self] s, id in
                guard let self else { return }
                self.pendingPhotos[itemId, default: []].append(id)
                s.message = "Photo sealed. It goes with this item's answer."
                s = self.withPending(s)
            }
        }
    }

    /// Seals the camera's file into the store, then deletes the plaintext (on the core's queue).
    private nonisolated static func seal(_ v: Vigil, _ c: Capture) throws -> String {
        let ref = try v.incidents().storeAttachmentFile(path: c.path, mime: c.mime, capturedAtMillis: c.capturedAtMillis)
        c.sealed()
        return ref.id
    }

    private func withPending(_ s: WalkScreenState) -> WalkScreenState {
        var next = s
        next.sections = s.sections.map { section in
            SectionRow(title: section.title, items: section.items.map { i in
                var row = i
                row.photos = (answers[i.id]?.photos.count ?? 0) + Self.photoAnswers(answers[i.id]) + (pendingPhotos[i.id]?.count ?? 0)
                return row
            })
        }
        return next
    }

    private nonisolated static func photoAnswers(_ a: Answer?) -> Int {
        if case .photo(let attachments)? = a?.value { return attachments.count }
        return 0
    }

    /// Answers `itemId` in the core with the fix of now, then reads the walk again. The answer
    /// keeps the item's photos: those of the answer before, those taken before it was
    /// answered, and `photo`, sealed first (`withPhoto` makes the value that holds it, for a
    /// photo item).
    private func answer(
        _ itemId: String,
        _ value: AnswerValue,
        issue: Bool,
        photo: Capture? = nil,
        done: String? = nil,
        withPhoto: (@Sendable (AnswerValue, String) -> AnswerValue)? = nil
    ) {
        guard state.editable else { return }
        let before = answers[itemId]
        let typed = state.notes[itemId]?.trimmingCharacters(in: .whitespacesAndNewlines)
        let note: String
        switch value {
        case .text, .number: note = ""
        default: note = typed ?? before?.note ?? ""
        }
        let photos = (before?.photos ?? []) + (pendingPhotos[itemId] ?? [])
        let walkId = state.walkId
        let position = self.position
        let earlier = before?.position
        act(done, then: { [weak self] in
            self?.pendingPhotos[itemId] = nil
        }) { v in
            var sent = value
            var all = photos
            if let photo {
                let id = try Self.seal(v, photo)
                if let withPhoto { sent = withPhoto(value, id) } else { all.append(id) }
            }
            let fix = position.current()
            _ = try v.advance().answerItem(
                walkId: walkId,
                input: AnswerInput(
                    itemId: itemId, value: sent, note: note, issue: issue, position: fix?.geo() ?? earlier,
                    photos: all, officer: v.officerName, answeredAtMs: nil
                )
            )
        }
    }

    /// A change to the walk: `block` makes it in the core (on the core's queue); the walk is
    /// read again in the same call, so the screen shows `done` and the walk at once.
    private func act(_ done: String?, then: (@MainActor () -> Void)? = nil, _ block: @escaping @Sendable (Vigil) throws -> Void) {
        let walkId = state.walkId
        runCore({ v in
            try block(v)
            v.localChange()
            return try v.advance().getWalk(walkId: walkId)
        }) { [weak self] s, w in
            guard let self else { return }
            then?()
            s = self.loaded(s, w)
            s.message = done
        }
    }

    private func load() {
        let walkId = state.walkId
        readCore({ v in try v.advance().getWalk(walkId: walkId) }) { [weak self] s, w in
            guard let self else { return }
            s = self.loaded(s, w)
        }
    }

    /// The walk as stored, with the photos waiting for an answer; its answers are kept for
    /// the next answer.
    private func loaded(_ s: WalkScreenState, _ w: Walk) -> WalkScreenState {
        answers = Dictionary(w.answers.map { ($0.itemId, $0) }, uniquingKeysWith: { _, last in last })
        return withPending(Self.withWalk(s, w))
    }

    private nonisolated static func withWalk(_ s: WalkScreenState, _ w: Walk) -> WalkScreenState {
        let answers = Dictionary(w.answers.map { ($0.itemId, $0) }, uniquingKeysWith: { _, last in last })
        let p = w.progress()
        var next = s
        next.title = w.template.title
        next.state = w.state
        next.stateWords = AdvanceViewModel.walkStateWords(w.state)
        next.sections = w.template.sections.map { section in
            SectionRow(title: section.title, items: section.items.map { i in
                let a = answers[i.id]
                var options: [String] = []
                if case .choice(let o) = i.kind { options = o }
                var checked: CheckState? = nil
                if case .check(let st)? = a?.value { checked = st }
                return ItemRow(
                    id: i.id, label: i.label, guidance: i.guidance, required: i.required,
                    style: styleOf(i.kind),
                    answer: a.map { answerWords($0) }, issue: a?.issue == true, note: a?.note ?? "",
                    options: options, checked: checked,
                    notApplicable: a?.value == .notApplicable || checked == .notApplicable
                )
            })
        }
        next.progress = "\(p.answered) of \(p.total) checks · \(p.requiredAnswered) of \(p.requiredTotal) required · \(p.issues) issue(s)"
        next.requiredLeft = Int(p.requiredTotal) - Int(p.requiredAnswered)
        next.issues = Int(p.issues)
        return next
    }

    private nonisolated static func styleOf(_ k: ItemKind) -> AnswerStyle {
        switch k {
        case .check: return .check
        case .text: return .text
        case .number: return .number
        case .choice: return .choice
        case .location: return .location
        case .photo: return .photo
        default: return .other
        }
    }

    private nonisolated static func answerWords(_ a: Answer) -> String {
        switch a.value {
        case .check(let st):
            switch st {
            case .ok: return "OK"
            case .issue: return "Issue"
            case .notApplicable: return "n/a"
            }
        case .text(let text): return text
        case .number(let value): return kotlinDouble(value)
        case .choice(let option): return option
        case .location: return "Position recorded"
        case .photo(let attachments): return "\(attachments.count) photo(s)"
        case .contact: return "Contact recorded"
        case .notApplicable: return "n/a"
        }
    }

    /// Kotlin's `Double.toString()` for the values a checklist holds ("3.0", "12.5").
    private nonisolated static func kotlinDouble(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : String(v)
    }
}
