import CoreLocation
import Foundation
import Synchronization

/// The latest fix from Core Location, kept while the app is in the foreground ("when in
/// use"; the usage string is in Info.plist). Fixes older than two minutes are not offered:
/// "no fix" is better than a stale one. The twin of Android's `AndroidPosition`.
@MainActor
final class CorePosition: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    let provider = Provider()

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.distanceFilter = 5
    }

    func start() {
        if manager.authorizationStatus == .notDetermined { manager.requestWhenInUseAuthorization() }
        manager.startUpdatingLocation()
    }

    func stop() {
        manager.stopUpdatingLocation()
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let l = locations.last, l.horizontalAccuracy >= 0 else { return }
        provider.offer(Fix(lat: l.coordinate.latitude, lon: l.coordinate.longitude, accuracyM: l.horizontalAccuracy), at: l.timestamp)
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        // No permission: quick log still works, without a place.
    }

    /// What the view models read, from any thread.
    final class Provider: PositionProvider {
        private let last = Mutex<(Fix, Date)?>(nil)

        func offer(_ fix: Fix, at time: Date) {
            last.withLock { current in
                if case let (prev, prevTime)? = current,
                   let p = prev.accuracyM, let n = fix.accuracyM, n > p, time.timeIntervalSince(prevTime) <= 10 {
                    return
                }
                current = (fix, time)
            }
        }

        func current() -> Fix? {
            last.withLock { current in
                guard case let (fix, time)? = current, Date().timeIntervalSince(time) <= 120 else { return nil }
                return fix
            }
        }
    }
}
