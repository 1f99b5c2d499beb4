import SwiftUI

/// Where home navigates; the host (RootView) owns navigation.
enum HomeNav: Hashable {
    case quickLog
    case incident(id: String)
    case walk(id: String)
    case sync
}

/// Home. "Log incident" sits at the bottom, under the thumb, and is the largest thing on
/// the screen; everything above it scrolls. The storage warning comes first when shown.
struct HomeView: View {
    let model: HomeViewModel
    let navigate: (HomeNav) -> Void

    var body: some View {
        let state = model.state
        VStack(spacing: 0) {
            ScrollView {
                VStack(alignment: .leading, spacing: 12) {
                    Text("On duty · \(state.officer)").font(.title2.weight(.semibold))
                    ErrorLine(text: state.error)
                    if let warning = state.storageWarning {
                        RowCard(title: "Storage", lines: [warning], alert: true)
                            .accessibilityIdentifier("storage-warning")
                    }
                    SectionTitle("Team sync")
                    RowCard(
                        title: state.sync.line, lines: state.sync.problem.map { [$0] } ?? [],
                        alert: state.sync.problem != nil, action: { navigate(.sync) }
                    )
                    if let walk = state.walk {
                        SectionTitle("Walk in progress")
                        RowCard(
                            title: walk.title, lines: [walk.progress],
                            badge: walk.issues > 0 ? "\(walk.issues) issue(s)" : nil,
                            alert: walk.issues > 0, action: { navigate(.walk(id: walk.walkId)) }
                        )
                    }
                    SectionTitle("Recent incidents")
                    if state.recent.isEmpty && !state.loading { Text("Nothing logged yet.") }
                    ForEach(state.recent) { r in
                        RowCard(
                            title: r.title,
                            lines: [r.occurred + " · " + r.severity + (r.amendments > 0 ? " · amended" : ""), r.preview],
                            alert: r.severe, action: { navigate(.incident(id: r.id)) }
                        )
                    }
                }
                .padding(Metrics.padding)
            }
            .refreshable { await model.onIntent(.refresh) }
            Button { navigate(.quickLog) } label: {
                Text("Log incident").font(.largeTitle.weight(.bold)).frame(maxWidth: .infinity, minHeight: 96)
            }
            .buttonStyle(.borderedProminent)
            .padding(Metrics.padding)
            .accessibilityIdentifier("log-incident")
        }
        .navigationTitle("Vigil")
        .onAppear { model.onIntent(.refresh) }
    }
}
