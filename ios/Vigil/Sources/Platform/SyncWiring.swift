import BackgroundTasks
import Foundation
import Network
import VigilCore
import Synchronization
import VigilCoreAsync

/// Wakes the core's sync loop; the core decides whether and when to sync (one at a time,
/// backoff). Triggers: a usable network (`NWPathMonitor`), the app to the foreground, a
/// local change (the view models' saves, through `Vigil.onLocalChange`), and the system's
/// background windows (`BGAppRefreshTask` for text, `BGProcessingTask` on power and an
/// unmetered network for photos). On an expensive (cellular, hotspot) or constrained (Low
/// Data Mode) path the core is told `setTextOnly(true)`: photos wait, text never does.
/// Every wake runs on the core's queue, never the main actor; a locked store does not sync.
/// The twin of Android's `SyncWiring`.
final class SyncWiring: Sendable {
    static let refreshTask = "app.vigil.sync.refresh"
    static let processingTask = "app.vigil.sync.processing"

    private let vigil: Vigil
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "app.vigil.path")
    private let textOnly = Flag()

    init(vigil: Vigil) {
        self.vigil = vigil
    }

    /// Call once, before the app finishes launching (BGTaskScheduler's rule).
    func registerBackgroundTasks() {
        _ = BGTaskScheduler.shared.register(forTaskWithIdentifier: Self.refreshTask, using: nil) { task in
            self.runInBackground(task, trigger: .periodic)
            self.scheduleRefresh()
        }
        _ = BGTaskScheduler.shared.register(forTaskWithIdentifier: Self.processingTask, using: nil) { task in
            self.runInBackground(task, trigger: .periodic)
            self.scheduleProcessing()
        }
    }

    func start() {
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            self.textOnly.set(path.isExpensive || path.isConstrained)
            if path.status == .satisfied { self.wake(.networkAvailable) }
        }
        monitor.start(queue: queue)
        vigil.onLocalChange = { [weak self] in self?.wake(.localChange) }
        scheduleRefresh()
        scheduleProcessing()
    }

    func wake(_ trigger: SyncTrigger) {
        let vigil = self.vigil
        let textOnly = self.textOnly.get()
        Task.detached(priority: .utility) {
            _ = try? await vigil.run { v in Self.wakeSync(v, trigger: trigger, textOnly: textOnly) }
        }
    }

    /// On the core's queue. A locked or unenrolled store is not an error here: the sync
    /// screen shows the last error in words (`SyncStatus.lastError`).
    private static func wakeSync(_ v: Vigil, trigger: SyncTrigger, textOnly: Bool) {
        guard v.isUnlocked(), let client = try? v.sync() else { return }
        client.setTextOnly(textOnly: textOnly)
        _ = try? client.wake(trigger: trigger)
    }

    private func runInBackground(_ bgTask: BGTask, trigger: SyncTrigger) {
        let task = BackgroundTaskBox(task: bgTask)
        let vigil = self.vigil
        let textOnly = self.textOnly.get()
        let work = Task.detached(priority: .utility) {
            _ = try? await vigil.run { v in Self.wakeSync(v, trigger: trigger, textOnly: textOnly) }
            task.task.setTaskCompleted(success: true)
        }
        bgTask.expirationHandler = { work.cancel() }
    }

    private func scheduleRefresh() {
        let request = BGAppRefreshTaskRequest(identifier: Self.refreshTask)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    private func scheduleProcessing() {
        let request = BGProcessingTaskRequest(identifier: Self.processingTask)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = true
        try? BGTaskScheduler.shared.submit(request)
    }
}

/// A Bool shared between the path monitor's queue and the wakes.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set(_ v: Bool) { value.withLock { $0 = v } }
    func get() -> Bool { value.withLock { $0 } }
}

/// BGTask is not Sendable; the system allows completing it from any thread.
struct BackgroundTaskBox: @unchecked Sendable {
    let task: BGTask
}
