import SwiftUI
import VigilCore
import VigilCoreAsync

/// Unlock first; then five tabs, each a navigation stack. Each screen's view model is made
/// when the screen first appears (`Owned`), as Android's host makes each presenter.
struct RootView: View {
    let services: AppServices

    var body: some View {
        let unlock = services.unlock
        let autoLock = services.autoLock
        Group {
            if unlock.state.stage != .unlocked || autoLock.locked {
                UnlockView(model: unlock)
            } else {
                Tabs(services: services, unlock: unlock)
            }
        }
        .contentShape(Rectangle())
        .simultaneousGesture(TapGesture().onEnded { autoLock.touch() })
        .onChange(of: unlock.state.stage) { _, stage in
            if stage == .unlocked { autoLock.touch() } else { autoLock.stop() }
        }
        .onChange(of: autoLock.locked) { _, locked in
            if locked { unlock.onIntent(.lock) }
        }
    }
}

/// Screens reached from a tab.
enum Place: Hashable {
    case quickLog
    case incident(id: String)
    case walk(id: String)
    case sync
}

private struct Tabs: View {
    let services: AppServices
    let unlock: UnlockViewModel
    @State private var homePath: [Place] = []
    @State private var incidentsPath: [Place] = []
    @State private var advancePath: [Place] = []

    var body: some View {
        TabView {
            NavigationStack(path: $homePath) {
                Owned({ HomeViewModel(vigil: services.vigil) }) { model in
                    HomeView(model: model, navigate: { nav in
                        switch nav {
                        case .quickLog: homePath.append(.quickLog)
                        case .incident(let id): homePath.append(.incident(id: id))
                        case .walk(let id): homePath.append(.walk(id: id))
                        case .sync: homePath.append(.sync)
                        }
                    })
                }
                .navigationDestination(for: Place.self) { destination($0, path: $homePath) }
            }
            .tabItem { Label("Home", systemImage: "house") }

            NavigationStack(path: $incidentsPath) {
                Owned({ IncidentsViewModel(vigil: services.vigil) }) { model in
                    IncidentsView(model: model, open: { incidentsPath.append(.incident(id: $0)) })
                }
                .navigationDestination(for: Place.self) { destination($0, path: $incidentsPath) }
            }
            .tabItem { Label("Incidents", systemImage: "list.bullet.rectangle") }

            NavigationStack(path: $advancePath) {
                Owned({ AdvanceViewModel(vigil: services.vigil, position: services.position.provider) }) { model in
                    AdvanceView(model: model, openWalk: { advancePath.append(.walk(id: $0)) })
                }
                .navigationDestination(for: Place.self) { destination($0, path: $advancePath) }
            }
            .tabItem { Label("Advance", systemImage: "map") }

            NavigationStack { sync }
                .tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }

            NavigationStack {
                Owned({ SettingsViewModel(vigil: services.vigil, appVersion: services.appVersion) }) { model in
                    SettingsView(model: model, unlock: unlock, exportPath: { services.exportPath() })
                        .onChange(of: model.state.locked) { _, locked in if locked { unlock.onIntent(.lock) } }
                }
            }
            .tabItem { Label("Settings", systemImage: "gearshape") }
        }
    }

    /// The sync screen (a tab, and a place home leads to).
    private var sync: some View {
        Owned({ SyncViewModel(vigil: services.vigil) }) { SyncView(model: $0) }
    }

    @ViewBuilder private func destination(_ place: Place, path: Binding<[Place]>) -> some View {
        switch place {
        case .quickLog:
            Owned({ QuickLogViewModel(vigil: services.vigil, position: services.position.provider) }) { QuickLogView(model: $0) }
        case .incident(let id):
            Owned({ IncidentDetailViewModel(vigil: services.vigil, incidentId: id) }) {
                IncidentDetailView(model: $0, exportPath: { services.exportPath() })
            }
        case .walk(let id):
            Owned({ WalkViewModel(vigil: services.vigil, walkId: id, position: services.position.provider) }) { model in
                WalkView(model: model, openIncident: { path.wrappedValue.append(.incident(id: $0)) })
            }
        case .sync:
            sync
        }
    }
}

/// Makes a screen's view model once, when the screen first appears, and keeps it for as
/// long as the screen lives (SwiftUI may re-create the screen's struct many times; the
/// view model, and the core work its init starts, happen once).
private struct Owned<Model: AnyObject, Content: View>: View {
    private let make: @MainActor () -> Model
    private let content: (Model) -> Content
    @State private var model: Model?

    init(_ make: @escaping @MainActor () -> Model, @ViewBuilder content: @escaping (Model) -> Content) {
        self.make = make
        self.content = content
    }

    var body: some View {
        if let model {
            content(model)
        } else {
            Color.clear.onAppear { model = make() }
        }
    }
}
