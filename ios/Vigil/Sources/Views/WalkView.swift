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
        // The view model's state is the truth: the sheet closes when `raising` goes nil
        // (Cancel, or the incident filed); swiping it away is disabled below.
        .sheet(isPresented: .constant(state.raising != nil)) {
            RaiseSheet(model: model)
        }
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
                SecondaryButton(title: "Raise an incident from this", enabled: !state.busy) { model.onIntent(.raiseIncident(itemId: item.id)) }
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

/// Raising an incident from an item: what happened (the quick log's ten tiles) and the
/// severity, security breach / medium preselected; nothing is filed until "File incident".
/// Cancel closes it. The twin of android/ui's RaiseSheet.
struct RaiseSheet: View {
    let model: WalkViewModel

    private let columns = [GridItem(.flexible(), spacing: 12), GridItem(.flexible(), spacing: 12)]

    var body: some View {
        let state = model.state
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                if let draft = state.raising {
                    SectionTitle("What happened")
                    LazyVGrid(columns: columns, spacing: 12) {
                        ForEach(state.raiseTiles, id: \.self) { tile in
                            let selected = draft.category == tile.category
                            Button { model.onIntent(.raiseCategoryPicked(category: tile.category)) } label: {
                                Text(tile.label)
                                    .font(.title3.weight(selected ? .bold : .semibold))
                                    .multilineTextAlignment(.center)
                                    .frame(maxWidth: .infinity, minHeight: 72)
                            }
                            .buttonStyle(.bordered)
                            .tint(selected ? .accentColor : .secondary)
                            .accessibilityAddTraits(selected ? .isSelected : [])
                            .accessibilityIdentifier("raise-category-\(tile.label)")
                        }
                    }
                    SectionTitle("Severity")
                    ChoiceRow(choices: severityChoices(state.raiseSeverities, selected: draft.severity)) {
                        model.onIntent(.raiseSeverityPicked(severity: $0))
                    }
                    ErrorLine(text: state.error)
                    BigButton(title: "File incident", enabled: !state.busy) { model.onIntent(.confirmRaise) }
                        .accessibilityIdentifier("raise-confirm")
                    SecondaryButton(title: "Cancel") { model.onIntent(.cancelRaise) }
                        .accessibilityIdentifier("raise-cancel")
                }
            }
            .padding(Metrics.padding)
        }
        .presentationDetents([.large])
        .interactiveDismissDisabled()
    }
}
