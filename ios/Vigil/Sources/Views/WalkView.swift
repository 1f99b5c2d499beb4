import SwiftUI
import VigilCore

/// Walking a checklist: each item answered by its style, a note per item, progress,
/// complete (the core refuses while required items are open), sign off, raise an incident.
struct WalkView: View {
    let model: WalkViewModel
    let openIncident: (String) -> Void

    var body: some View {
        let state = model.state
        ScreenColumn(title: state.title.isEmpty ? "Walk" : state.title) {
            Text(state.stateWords).font(.headline)
            Text(state.progress).font(.callout)
            ErrorLine(text: state.error)
            MessageLine(text: state.message)
            if let raised = state.raisedIncidentId {
                SecondaryButton(title: "Open the raised incident") { openIncident(raised) }
            }
            ForEach(Array(state.sections.enumerated()), id: \.offset) { _, section in
                SectionTitle(section.title)
                ForEach(section.items) { item in itemView(item, state) }
            }
            BigButton(title: "Complete walk", enabled: state.canComplete) { model.onIntent(.complete) }
            if state.state == .completed {
                BigButton(title: "Sign off", enabled: state.canSignOff) { model.onIntent(.signOff) }
            }
        }
        .refreshable { await model.onIntent(.refresh) }
    }

    @ViewBuilder private func itemView(_ item: ItemRow, _ state: WalkScreenState) -> some View {
        VStack(alignment: .leading, spacing: 8) {
            HStack {
                Text(item.label + (item.required ? " *" : "")).font(.headline)
                Spacer()
                if let answer = item.answer { Text(answer).font(.headline).foregroundStyle(item.issue ? .red : .green) }
            }
            if !item.guidance.isEmpty { Text(item.guidance).font(.callout).foregroundStyle(.secondary) }
            let note = state.notes[item.id] ?? ""
            switch item.style {
            case .check:
                HStack {
                    answerButton("OK", selected: item.checked == .ok, enabled: state.editable) { model.onIntent(.check(itemId: item.id, state: .ok)) }
                    answerButton("Issue", selected: item.checked == .issue, enabled: state.editable) { model.onIntent(.check(itemId: item.id, state: .issue)) }
                    answerButton("n/a", selected: item.notApplicable, enabled: state.editable) { model.onIntent(.notApplicable(itemId: item.id)) }
                }
            case .text, .number:
                StateField(label: item.style == .number ? "Number" : "Answer", text: note) { model.onIntent(.noteChanged(itemId: item.id, text: $0)) }
                    .keyboardType(item.style == .number ? .decimalPad : .default)
                SecondaryButton(title: "Save", enabled: state.editable) { model.onIntent(.saveText(itemId: item.id)) }
            case .choice:
                ChoiceRow(choices: item.options.map { (value: $0, label: $0, selected: item.answer == $0) }) { model.onIntent(.choose(itemId: item.id, option: $0)) }
            case .location:
                SecondaryButton(title: "Here, now", enabled: state.editable) { model.onIntent(.hereNow(itemId: item.id)) }
            case .photo:
                HStack {
                    answerButton("n/a", selected: item.notApplicable, enabled: state.editable) { model.onIntent(.notApplicable(itemId: item.id)) }
                }
            case .other:
                answerButton("n/a", selected: item.notApplicable, enabled: state.editable) { model.onIntent(.notApplicable(itemId: item.id)) }
            }
            if item.style != .text && item.style != .number {
                StateField(label: "Note", text: note) { model.onIntent(.noteChanged(itemId: item.id, text: $0)) }
            }
            if item.photos > 0 { Text("\(item.photos) photo(s)").font(.callout) }
            PhotoButton(title: item.style == .photo ? "Take photo" : "Add photo", enabled: state.editable) {
                model.onIntent(.attachPhoto(itemId: item.id, capture: $0))
            }
            if item.issue {
                SecondaryButton(title: "Raise an incident from this") { model.onIntent(.raiseIncident(itemId: item.id)) }
            }
        }
        .padding(.vertical, 4)
    }

    private func answerButton(_ title: String, selected: Bool, enabled: Bool, action: @escaping () -> Void) -> some View {
        Button(action: action) {
            Text(title).font(.body.weight(selected ? .bold : .regular)).frame(maxWidth: .infinity, minHeight: Metrics.minTouch)
        }
        .buttonStyle(.bordered)
        .tint(selected ? .accentColor : .secondary)
        .disabled(!enabled)
    }
}
