import SwiftUI
import VigilCore

/// One incident: the current view, the chain's verification, attachments (a photo from the
/// camera is sealed into the store by the core), the whole history, and amending.
struct IncidentDetailView: View {
    let model: IncidentDetailViewModel
    /// Asks the platform where to write an evidence package; nil: cancelled.
    let exportPath: () -> String?

    var body: some View {
        let state = model.state
        ScreenColumn(title: state.card?.title ?? "Incident") {
            ErrorLine(text: state.error)
            MessageLine(text: state.message)
            if let chain = state.chain {
                Text(chain).font(.callout.weight(state.chainOk ? .regular : .bold)).foregroundStyle(state.chainOk ? Color.secondary : Color.red)
            }
            if let card = state.card {
                RowCard(
                    title: "\(card.title) · \(card.severity)",
                    lines: [card.occurred, card.place, card.officer.map { "Officer: \($0)" } ?? "Officer not recorded"]
                )
                Text(card.narrative.isEmpty ? "No narrative yet." : card.narrative).font(.body)
                if !card.witnesses.isEmpty { Text("Witnesses: " + card.witnesses.joined(separator: ", ")) }
            }
            if let draft = state.amend {
                SectionTitle("Amend")
                Text("The original stays in the history; the amendment records why.").font(.callout)
                StateField(label: "Narrative", text: draft.narrative, axis: .vertical) { model.onIntent(.narrativeChanged(text: $0)) }
                ChoiceRow(choices: severityChoices(state.severities, selected: draft.severity)) { model.onIntent(.severityPicked(severity: $0)) }
                StateField(label: "Reason for the amendment", text: draft.reason) { model.onIntent(.reasonChanged(text: $0)) }
                BigButton(title: "Save amendment", enabled: state.canSaveAmendment) { model.onIntent(.saveAmendment) }
                SecondaryButton(title: "Cancel") { model.onIntent(.cancelAmend) }
            } else {
                SecondaryButton(title: "Amend", enabled: state.card != nil && !state.busy) { model.onIntent(.startAmend) }
                PhotoButton(title: "Add photo", enabled: state.card != nil && !state.busy) { model.onIntent(.attach(capture: $0)) }
                SecondaryButton(title: "Export this incident's evidence", enabled: state.card != nil && !state.busy) {
                    if let path = exportPath() { model.onIntent(.exportPackage(path: path)) }
                }
                if let exported = state.exported {
                    ShareLink(item: URL(fileURLWithPath: exported)) {
                        Text("Share the package").frame(maxWidth: .infinity, minHeight: Metrics.minTouch)
                    }
                    .buttonStyle(.bordered)
                }
            }
            if !state.attachments.isEmpty {
                SectionTitle("Attachments")
                ForEach(state.attachments, id: \.id) { a in
                    AttachmentCard(row: a, bytes: state.thumbnails[a.id]) { model.onIntent(.showThumbnail(attachmentId: a.id)) }
                }
            }
            SectionTitle("History")
            ForEach(Array(state.history.enumerated()), id: \.offset) { _, h in
                RowCard(
                    title: "\(h.title) · \(h.at)",
                    lines: [h.author] + [h.reason.map { "Reason: \($0)" }, h.changes].compactMap { $0 }
                )
            }
        }
        .refreshable { await model.onIntent(.refresh) }
    }
}
