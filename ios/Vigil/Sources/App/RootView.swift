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
                HomeScreen(services: services, navigate: { nav in
                    switch nav {
                    case .quickLog: homePath.append(.quickLog)
                    case .incident(let id): homePath.append(.incident(id: id))
                    case .walk(let id): homePath.append(.walk(id: id))
                    case .sync: homePath.append(.sync)
                    }
                })
                .navigationDestination(for: Place.self) { destination($0, path: $homePath) }
            }
            .tabItem { Label("Home", systemImage: "house") }

            NavigationStack(path: $incidentsPath) {
                IncidentsScreen(services: services, open: { incidentsPath.append(.incident(id: $0)) })
                    .navigationDestination(for: Place.self) { destination($0, path: $incidentsPath) }
            }
            .tabItem { Label("Incidents", systemImage: "list.bullet.rectangle") }

            NavigationStack(path: $advancePath) {
                AdvanceScreen(services: services, openWalk: { advancePath.append(.walk(id: $0)) })
                    .navigationDestination(for: Place.self) { destination($0, path: $advancePath) }
            }
            .tabItem { Label("Advance", systemImage: "map") }

            NavigationStack { SyncScreen(services: services) }
                .tabItem { Label("Sync", systemImage: "arrow.triangle.2.circlepath") }

            NavigationStack { SettingsScreen(services: services, unlock: unlock) }
                .tabItem { Label("Settings", systemImage: "gearshape") }
        }
    }

    @ViewBuilder private func destination(_ place: Place, path: Binding<[Place]>) -> some View {
        switch place {
        case .quickLog: QuickLogScreen(services: services)
        case .incident(let id): IncidentScreen(services: services, id: id)
        case .walk(let id): WalkScreen(services: services, id: id, openIncident: { path.wrappedValue.append(.incident(id: $0)) })
        case .sync: SyncScreen(services: services)
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

private struct HomeScreen: View {
    let services: AppServices
    let navigate: (HomeNav) -> Void
    var body: some View {
        Owned({ HomeViewModel(vigil: services.vigil) }) { HomeView(model: $0, navigate: navigate) }
    }
}

private struct QuickLogScreen: View {
    let services: AppServices
    var body: some View {
        Owned({ QuickLogViewModel(vigil: services.vigil, position: services.position.provider) }) { QuickLogView(model: $0) }
    }
}

private struct IncidentsScreen: View {
    let services: AppServices
    let open: (String) -> Void
    var body: some View {
        Owned({ IncidentsViewModel(vigil: services.vigil) }) { IncidentsView(model: $0, open: open) }
    }
}

private struct IncidentScreen: View {
    let services: AppServices
    let id: String
    var body: some View {
        Owned({ IncidentDetailViewModel(vigil: services.vigil, incidentId: id) }) {
            IncidentDetailView(model: $0, exportPath: { services.exportPath() })
        }
    }
}

private struct AdvanceScreen: View {
    let services: AppServices
    let openWalk: (String) -> Void
    var body: some View {
        Owned({ AdvanceViewModel(vigil: services.vigil, position: services.position.provider) }) { AdvanceView(model: $0, openWalk: openWalk) }
    }
}

private struct WalkScreen: View {
    let services: AppServices
    let id: String
    let openIncident: (String) -> Void
    var body: some View {
        Owned({ WalkViewModel(vigil: services.vigil, walkId: id, position: services.position.provider) }) {
            WalkView(model: $0, openIncident: openIncident)
        }
    }
}

private struct SyncScreen: View {
    let services: AppServices
    var body: some View {
        Owned({ SyncViewModel(vigil: services.vigil) }) { SyncView(model: $0) }
    }
}

private struct SettingsScreen: View {
    let services: AppServices
    let unlock: UnlockViewModel
    var body: some View {
        Owned({ SettingsViewModel(vigil: services.vigil, appVersion: services.appVersion) }) { model in
            SettingsView(model: model, unlock: unlock, exportPath: { services.exportPath() })
                .onChange(of: model.state.locked) { _, locked in if locked { unlock.onIntent(.lock) } }
        }
    }
}
