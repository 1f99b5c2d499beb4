import Foundation
import Observation
import VigilCore
import VigilCoreAsync

/// One entry of the incident's history: the original report or an amendment, never edited.
struct HistoryRow: Sendable, Equatable {
    let title: String
    let at: String
    let author: String
    let reason: String?
    let changes: String?
}

/// One attachment of the incident: "Photo · 2.1 MB · taken 14:02"; `photo` when it is an
/// image the screen may show as a thumbnail (its bytes arrive in
/// `IncidentDetailState.thumbnails` after `IncidentDetailIntent.showThumbnail`).
struct AttachmentRow: Sendable, Equatable {
    let id: String
    let words: String
    var photo: Bool = false
}

/// The current view of an incident, in words.
struct IncidentCard: Sendable, Equatable {
    let title: String
    let severity: String
    let occurred: String
    let place: String
    let narrative: String
    let witnesses: [String]
    let officer: String?
}

/// What the officer types to amend: only the fields changed go into the amendment.
struct AmendDraft: Sendable, Equatable {
    var narrative: String
    var severity: Severity?
    var reason: String = ""
}

struct IncidentDetailState: Sendable, Equatable, ActionState {
    let incidentId: String
    var card: IncidentCard? = nil
    var history: [HistoryRow] = []
    var attachments: [AttachmentRow] = []
    /// The encoded bytes of the photos whose rows are on screen, by attachment id, read
    /// from the store off the main thread (at most `thumbnailMaxBytes` each); a photo
    /// missing here shows as its text row.
    var thumbnails: [String: Data] = [:]
    /// The chain's verification, in words; `chainOk` false means the log was tampered with.
    var chain: String? = nil
    var chainOk: Bool = true
    var amend: AmendDraft? = nil
    var busy: Bool = false
    var error: String? = nil
    var message: String? = nil
    var currentSeverity: Severity? = nil
    var severities: [Labeled<Severity>] = Severity.all.map { Labeled(value: $0, label: Words.severity($0)) }
    /// Where this incident's evidence package was last written (the host shares it).
    var exported: String? = nil
    fileprivate var originalNarrative: String = ""

    var amendChanges: Bool {
        guard let a = amend else { return false }
        return a.narrative != originalNarrative || a.severity != currentSeverity
    }

    /// An amendment needs a reason and a change.
    var canSaveAmendment: Bool { !busy && amendChanges && amend?.reason.isBlank == false }

    fileprivate func withView(_ v: IncidentView, _ time: TimeWords) -> IncidentDetailState {
        let r = v.current
        var next = self
        next.card = IncidentCard(
            title: Words.category(r.category),
            severity: Words.severity(r.severity),
            occurred: time.at(r.occurred.utc),
            place: r.location.map { l in
                String(format: "%.5f, %.5f", l.latitude, l.longitude) + (Words.accuracy(l.accuracyM).map { " (\($0))" } ?? "")
            } ?? "No place recorded",
            narrative: r.narrative,
            witnesses: r.witnesses,
            officer: r.officer
        )
        next.history = v.history.map { h in
            let changed = h.patch?.changedFields() ?? []
            return HistoryRow(
                title: h.kind == .report ? "Reported" : "Amended",
                at: time.at(h.recordedAt),
                author: h.author ?? "Unknown officer",
                reason: h.reason,
                changes: changed.isEmpty ? nil : "Changed: \(changed.joined(separator: ", "))"
            )
        }
        next.attachments = r.attachments.map { a in
            AttachmentRow(id: a.id, words: attachmentWords(mime: a.mime, size: Int64(a.size), capturedAt: a.capturedAt, time: time), photo: a.mime.hasPrefix("image/"))
        }
        next.originalNarrative = r.narrative
        next.currentSeverity = r.severity
        return next
    }
}

enum IncidentDetailIntent: Sendable {
    case startAmend
    case narrativeChanged(text: String)
    case severityPicked(severity: Severity?)
    case reasonChanged(text: String)
    case saveAmendment
    case cancelAmend
    /// A photo the platform's camera took: sealed into the store and added by an amendment.
    case attach(capture: Capture)
    /// Writes an evidence package of this incident alone to `path` (a new `.zip`).
    case exportPackage(path: String)
    /// A photo row came on screen: read its bytes for the thumbnail (once).
    case showThumbnail(attachmentId: String)
    case refresh
}

/// One incident: its current view, its whole history (the original report and every
/// amendment), its attachments and the chain's verification. Amending never edits the
/// original: the core appends an amendment with the officer's reason.
@Observable
@MainActor
final class IncidentDetailViewModel: CoreCalls {
    typealias State = IncidentDetailState
    private(set) var state: IncidentDetailState
    let vigil: Vigil
    private let time: TimeWords

    init(vigil: Vigil, incidentId: String, time: TimeWords = TimeWords()) {
        self.vigil = vigil
        self.time = time
        self.state = IncidentDetailState(incidentId: incidentId)
        load()
    }

    func onIntent(_ intent: IncidentDetailIntent) {
        switch intent {
        case .startAmend:
            guard let c = state.card else { return }
            state.amend = AmendDraft(narrative: c.narrative, severity: state.currentSeverity)
            state.message = nil
            state.error = nil
        case .narrativeChanged(let text): state.amend?.narrative = text
        case .severityPicked(let severity): state.amend?.severity = severity
        case .reasonChanged(let text): state.amend?.reason = text
        case .cancelAmend: state.amend = nil
        case .saveAmendment: saveAmendment()
        case .attach(let capture): attach(capture)
        case .exportPackage(let path): exportPackage(path)
        case .showThumbnail(let attachmentId): thumbnail(attachmentId)
        case .refresh: load()
        }
    }

    /// The largest photo read for a thumbnail; a larger one stays a text row.
    static let thumbnailMaxBytes: UInt64 = 8 * 1024 * 1024
    /// Thumbnails asked for (loaded, loading or refused): each is read at most once.
    @ObservationIgnored private var asked: Set<String> = []

    private func thumbnail(_ attachmentId: String) {
        guard state.attachments.contains(where: { $0.id == attachmentId && $0.photo }),
              asked.insert(attachmentId).inserted else { return }
        let id = state.incidentId
        // Read here, on the main actor: the closure below runs on the core's queue.
        let cap = Self.thumbnailMaxBytes
        Task {
            // Too large, not downloaded yet or damaged: the row stays text.
            guard let bytes = try? await vigil.run({ v in
                try v.incidents().attachmentBytes(incidentId: id, attachmentId: attachmentId, maxBytes: cap)
            }) else { return }
            state.thumbnails[attachmentId] = bytes
        }
    }

    func update(_ change: (inout IncidentDetailState) -> Void) { change(&state) }

    private func load() {
        let id = state.incidentId
        let time = self.time
        readCore({ v in try Self.read(v, id) }) { s, read in s = Self.with(s, read, time) }
    }

    /// The incident and the chain's verification, read together (on the core's queue).
    private nonisolated static func read(_ v: Vigil, _ id: String) throws -> (IncidentView, VerifyReport) {
        let log = try v.incidents()
        return (try log.get(incidentId: id), try log.verify())
    }

    private nonisolated static func with(_ s: IncidentDetailState, _ read: (IncidentView, VerifyReport), _ time: TimeWords) -> IncidentDetailState {
        let (view, verify) = read
        var next = s.withView(view, time)
        next.chain = verify.ok
            ? "Log verified: \(verify.entriesChecked) entries signed and linked."
            : "Log check FAILED at entry \(verify.problem?.seq ?? 0): this phone's record may have been tampered with."
        next.chainOk = verify.ok
        next.error = nil
        return next
    }

    private func saveAmendment() {
        let s = state
        guard let draft = s.amend, s.canSaveAmendment else { return }
        var patch = emptyPatch()
        patch.narrative = draft.narrative != s.card?.narrative ? draft.narrative : nil
        patch.severity = draft.severity != s.currentSeverity ? draft.severity : nil
        let amendment = patch
        let reason = draft.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        let time = self.time
        runCore({ v in
            _ = try v.incidents().amend(amends: s.incidentId, reason: reason, patch: amendment)
            v.localChange()
            return try Self.read(v, s.incidentId)
        }) { st, read in
            st = Self.with(st, read, time)
            st.amend = nil
            st.message = "Amendment saved. The original stays in the history."
        }
    }

    private func exportPackage(_ path: String) {
        state.exported = nil
        let id = state.incidentId
        runCore({ v in try v.incidents().exportPackage(path: path, incidents: [id]) }) { s, summary in
            s.message = packageWords(summary)
            s.exported = summary.path
        }
    }

    private func attach(_ c: Capture) {
        let id = state.incidentId
        let time = self.time
        // The core seals the file and adds it to the incident by an amendment; then the
        // camera's plaintext file goes.
        runCore({ v in
            _ = try v.incidents().attachFile(incidentId: id, path: c.path, mime: c.mime, capturedAtMillis: c.capturedAtMillis)
            c.sealed()
            v.localChange()
            return try Self.read(v, id)
        }) { s, read in
            s = Self.with(s, read, time)
            s.message = "Photo sealed and added. The history shows the amendment."
        }
    }
}
