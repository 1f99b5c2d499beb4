import Foundation
import Testing
import VigilCore
import VigilCoreAsync
@testable import VigilIOS

/// Cheap KDF parameters, asked for explicitly: tests must stay fast.
let fastKdf = KdfChoice(params: .argon2id(memoryKib: 64, iterations: 1, parallelism: 1), allowWeak: true)

/// The passphrase the test stores are created with.
let goodPassphrase = "lantern orbit cobalt meadow"

/// Times are shown in UTC against a fixed "now", so asserted words are stable.
let testTime = TimeWords(zone: TimeZone(identifier: "UTC")!, clock: { Date(timeIntervalSince1970: 1_796_472_000) })

/// A fix in central London, 8 m accuracy.
let london = Fix(lat: 51.5080, lon: -0.1281, accuracyM: 8.0)

struct FixedPosition: PositionProvider {
    let fix: Fix
    func current() -> Fix? { fix }
}

/// A real store in a fresh temporary directory, opened the way the app opens it (no
/// platform key: the simulator's Keychain is not the subject here).
final class Harness {
    let dir: URL
    let vigil: Vigil
    /// A directory the test passed in is the test's to delete.
    private let ownsDir: Bool

    init(create: Bool = false, dir: URL? = nil, biometric: KeyWrapper? = nil) throws {
        let d = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        self.dir = d
        ownsDir = dir == nil
        vigil = Vigil(
            storeDir: d.appendingPathComponent("store").path, officer: "Officer A", platform: nil,
            biometric: biometric, kdf: fastKdf
        )
        if create { try vigil.create(passphrase: Data(goodPassphrase.utf8)) }
    }

    func close() {
        vigil.close()
    }

    deinit {
        if ownsDir { try? FileManager.default.removeItem(at: dir) }
    }
}

struct StateNeverMatched: Error, CustomStringConvertible {
    let last: String
    var description: String { "state never matched; last: \(last)" }
}

/// Waits (bounded) until the view model's state satisfies `predicate`; returns that state.
@MainActor
func awaitState<S>(_ read: @MainActor () -> S, timeout: Duration = .seconds(60), _ predicate: (S) -> Bool) async throws -> S {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        let s = read()
        if predicate(s) { return s }
        if clock.now > deadline { throw StateNeverMatched(last: String(describing: s)) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
