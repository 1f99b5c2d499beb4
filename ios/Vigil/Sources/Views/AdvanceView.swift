import SwiftUI
import VigilCore

/// Advance work: the nearest A&E from here, venues, havens, routes (with live progress for
/// the watched one), checklist templates (start a walk) and walks.
struct AdvanceView: View {
    let model: AdvanceViewModel
    let openWalk: (String) -> Void

    var body: some View {
        let state = model.state
        ScreenColumn(title: "Advance") {
            ErrorLine(text: state.error)
            Text("Position: \(state.fix)").font(.callout)
            if let ae = state.nearestAe {
                RowCard(title: "Nearest A&E: \(ae.name)", lines: ["\(ae.distance) · \(ae.bearing)"])
            }
            if let w = state.watch {
                RowCard(title: "Watching \(w.name)", lines: [w.progress] + (w.offRoute.map { [$0] } ?? []), alert: w.offRoute != nil,
                        action: { model.onIntent(.watchRoute(routeId: w.routeId)) })
                SecondaryButton(title: "Stop watching") { model.onIntent(.watchRoute(routeId: nil)) }
            }
            SectionTitle("Venues")
            if state.venues.isEmpty && !state.loading { Text("No venues yet (import them with the vigil CLI or sync).") }
            ForEach(state.venues) { v in
                RowCard(title: v.name, lines: ["\(v.exits) exit(s) · \(v.points) point(s)", v.safeRoom.map { "Safe room: \($0)" } ?? "No safe room recorded"])
            }
            SectionTitle("Safe havens")
            ForEach(Array(state.havens.enumerated()), id: \.offset) { _, h in
                RowCard(title: h.name, lines: [h.kind + (h.ae ? " · A&E" : "")])
            }
            SectionTitle("Routes")
            ForEach(state.routes) { r in
                RowCard(
                    title: r.name,
                    lines: [r.length + " · \(r.havensInCorridor) haven(s) along it"] + (r.worstGap.map { ["Worst gap: \($0)"] } ?? []),
                    action: { model.onIntent(.watchRoute(routeId: r.id)) }
                )
            }
            SectionTitle("Checklists")
            ForEach(state.templates) { t in
                RowCard(title: t.title, lines: ["\(t.kind) · \(t.items) checks · tap to start a walk"],
                        action: { model.onIntent(.chooseTemplate(templateId: t.id)) })
            }
            SectionTitle("Walks")
            ForEach(state.walks) { w in
                RowCard(title: w.title, lines: [w.subject, w.state, w.progress], badge: w.issues > 0 ? "\(w.issues) issue(s)" : nil,
                        alert: w.issues > 0, action: { openWalk(w.id) })
            }
        }
        .refreshable { await model.onIntent(.refresh) }
        .sheet(isPresented: Binding(get: { state.starting != nil }, set: { if !$0 { model.onIntent(.cancelStart) } })) {
            if let start = state.starting {
                NavigationStack {
                    List(Array(start.subjects.enumerated()), id: \.offset) { _, choice in
                        Button(choice.label) { model.onIntent(.startWalk(templateId: start.templateId, subject: choice.subject)) }
                            .frame(minHeight: Metrics.minTouch)
                    }
                    .navigationTitle("\(start.title): for what?")
                    .toolbar { Button("Cancel") { model.onIntent(.cancelStart) } }
                }
            }
        }
        .onChange(of: state.startedWalkId) { _, id in if let id { openWalk(id) } }
    }
}
