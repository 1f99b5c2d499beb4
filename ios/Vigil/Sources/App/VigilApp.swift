import SwiftUI
import VigilCore
import VigilCoreAsync

/// The app: one `Vigil` (the owner of every Rust object) for the process's life, the
/// platform key, the position provider and the sync wiring; unlock first, then the tabs.
@main
struct VigilApp: App {
    private let services: AppServices
    @Environment(\.scenePhase) private var scenePhase

    init() {
        let services = AppServices()
        // BGTaskScheduler wants its handlers before the app finishes launching.
        services.sync.registerBackgroundTasks()
        self.services = services
    }

    var body: some Scene {
        WindowGroup {
            RootView(services: services)
                // The app switcher's snapshot is taken after the scene leaves `.active`:
                // cover everything first, so no incident or passphrase shows there.
                .overlay { if scenePhase != .active { PrivacyCover() } }
        }
        .onChange(of: scenePhase) { _, phase in
            switch phase {
            case .active:
                services.position.start()
                services.sync.wake(.foreground)
            case .background:
                services.position.stop()
            default:
                break
            }
        }
    }
}

/// What the app holds for its whole life.
@MainActor
final class AppServices {
    let vigil: Vigil
    let position = CorePosition()
    let sync: SyncWiring
    let appVersion: String
    /// The unlock screen's view model lives as long as the app: lock and panic wipe are
    /// reached from the lock screen and from Settings.
    let unlock: UnlockViewModel
    /// Locks the store after five minutes without a touch.
    let autoLock: AutoLock

    init() {
        PendingPhotos.removeAll()
        let dir = (try? ProtectedStore.directory())?.path
            ?? NSTemporaryDirectory() + "vigil-store-unavailable"
        let officer = UserDefaults.standard.string(forKey: "officer") ?? "Officer"
        // A second platform key, behind Face ID / Touch ID, opens the platform-only slot
        // Settings can add: unlock without typing (the passphrase always works too).
        let biometric = KeychainKeyWrapper.biometricsAvailable
            ? KeychainKeyWrapper(tag: "app.vigil.biometric.v1", biometric: true) : nil
        vigil = Vigil(storeDir: dir, officer: officer, platform: KeychainKeyWrapper(), biometric: biometric)
        sync = SyncWiring(vigil: vigil)
        sync.start()
        unlock = UnlockViewModel(vigil: vigil)
        autoLock = AutoLock(vigil: vigil, timeout: .seconds(5 * 60))
        let version = Bundle.main.infoDictionary?["CFBundleShortVersionString"] as? String ?? "?"
        appVersion = "Vigil \(version)"
    }

    /// Where an evidence package is written: a new `.zip` (the core refuses an existing
    /// path) in a protected folder the share sheet reads from.
    func exportPath() -> String? {
        guard let dir = try? ProtectedStore.exports() else { return nil }
        let stamp = Int64(Date().timeIntervalSince1970 * 1000)
        return dir.appendingPathComponent("vigil-evidence-\(stamp).zip").path
    }
}

/// Shown over everything while the app is not active (app switcher, Control Centre).
struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(.systemBackground).ignoresSafeArea()
            Text("Vigil").font(.largeTitle.weight(.bold)).foregroundStyle(Color.accentColor)
        }
    }
}
