import SwiftUI
import VigilCore

/// The incident list: search, filters (category, minimum severity, period), newest first.
struct IncidentsView: View {
    let model: IncidentsViewModel
    let open: (String) -> Void

    var body: some View {
        let state = model.state
        ScreenColumn(title: "Incidents") {
            StateField(label: "Search", text: state.query) { model.onIntent(.queryChanged(text: $0)) }
            ChoiceRow(choices: filterChoices(state.categories)) { model.onIntent(.categoryPicked(category: $0)) }
            ChoiceRow(choices: filterChoices(state.severities)) { model.onIntent(.minSeverityPicked(severity: $0)) }
            ChoiceRow(choices: filterChoices(state.periods)) { model.onIntent(.periodPicked(period: $0)) }
            ErrorLine(text: state.error)
            if state.empty { Text("No incidents match.") }
            ForEach(state.rows) { r in
                RowCard(
                    title: r.title,
                    lines: [r.occurred + " · " + r.severity + (r.amendments > 0 ? " · amended \(r.amendments)×" : ""), r.preview],
                    alert: r.severe, action: { open(r.id) }
                )
            }
        }
        .refreshable { await model.onIntent(.refresh) }
    }
}
