import SwiftUI
import VigilCore

/// Quick log: ten tiles, one tap logs with the time and the fix; details may follow.
struct QuickLogView: View {
    let model: QuickLogViewModel

    private let columns = [GridItem(.flexible(), spacing: 12), GridItem(.flexible(), spacing: 12)]

    var body: some View {
        let state = model.state
        ScreenColumn(title: "Log incident") {
            HStack {
                Text("Position: \(state.fix)").font(.body)
                Spacer()
                Button("Refresh") { model.onIntent(.refreshFix) }.frame(minHeight: 44)
            }
            ErrorLine(text: state.error)
            if let logged = state.logged {
                RowCard(title: "Logged: \(logged.what)", lines: [logged.at, logged.place] + (logged.photos > 0 ? ["\(logged.photos) photo(s)"] : []))
                PhotoButton(title: "Add photo", enabled: !state.busy) { model.onIntent(.attachPhoto(capture: $0)) }
                SectionTitle("Details (optional)")
                ChoiceRow(
                    choices: severityChoices(state.severities, selected: state.details.severity),
                    pick: { model.onIntent(.severityPicked(severity: $0)) }
                )
                StateField(label: "What happened", text: state.details.narrative, axis: .vertical) { model.onIntent(.narrativeChanged(text: $0)) }
                StateField(label: "Witnesses, one per line", text: state.details.witnesses, axis: .vertical) { model.onIntent(.witnessesChanged(text: $0)) }
                MessageLine(text: state.message)
                BigButton(title: "Save details", enabled: state.canSaveDetails) { model.onIntent(.saveDetails) }
                SecondaryButton(title: "Done") { model.onIntent(.done) }
            } else {
                LazyVGrid(columns: columns, spacing: 12) {
                    ForEach(state.tiles, id: \.self) { tile in
                        Button { model.onIntent(.log(category: tile.category)) } label: {
                            Text(tile.label).font(.title3.weight(.semibold)).multilineTextAlignment(.center)
                                .frame(maxWidth: .infinity, minHeight: 88)
                        }
                        .buttonStyle(.borderedProminent)
                        .disabled(state.busy)
                    }
                }
            }
        }
    }
}
