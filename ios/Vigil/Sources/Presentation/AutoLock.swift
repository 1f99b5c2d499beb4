import Foundation
import Observation
import VigilCoreAsync

/// Locks the store after `timeout` without a touch. The host calls `touch()` on every
/// interaction; `locked` turns true when the timer fired, and the host shows the unlock
/// screen. The twin of android/presentation's `AutoLock`.
@Observable
@MainActor
final class AutoLock {
    private let vigil: Vigil
    private let timeout: Duration
    private(set) var locked = false
    @ObservationIgnored private var timer: Task<Void, Never>?

    init(vigil: Vigil, timeout: Duration) {
        self.vigil = vigil
        self.timeout = timeout
    }

    /// (Re)starts the inactivity timer.
    func touch() {
        timer?.cancel()
        locked = false
        let vigil = self.vigil
        let timeout = self.timeout
        timer = Task { [weak self] in
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return
            }
            _ = try? await vigil.run { v in try v.lock() }
            self?.locked = true
        }
    }

    func stop() {
        timer?.cancel()
    }
}
