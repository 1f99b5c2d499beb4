import Foundation
import Testing
import VigilCore
@testable import VigilIOS

/// The words the view models build from the core's numbers: Android's, to the character.
struct WordsTests {
    @Test func distancesBearingsAccuracy() {
        #expect(Words.distance(950.4) == "950 m")
        #expect(Words.distance(1234) == "1.2 km")
        #expect(Words.bearing(45) == "NE (45°)")
        #expect(Words.bearing(-10) == "N (350°)")
        #expect(Words.bearing(200) == "S (200°)")
        #expect(Words.accuracy(7.6) == "±8 m")
        #expect(Words.accuracy(nil) == nil)
    }

    @Test func storageWarningOnlyWhenLow() {
        #expect(Words.storageWarning(StorageStatus(availableBytes: 10 << 30, reserveBytes: 64 << 20, low: false)) == nil)
        let low = Words.storageWarning(StorageStatus(availableBytes: 50 << 20, reserveBytes: 64 << 20, low: true))
        #expect(low?.hasPrefix("Phone storage almost full: 50 MB left.") == true)
    }

    @Test func timesAreTodayOrDated() {
        // testTime's "now" is 2026-12-05 12:00 UTC.
        #expect(testTime.at(1_796_472_000_000 - 3_600_000) == "11:00")
        #expect(testTime.at(1_796_472_000_000 - 86_400_000) == "4 Dec 12:00")
    }

    @Test func coreErrorsInWords() {
        #expect(CoreWords.of(StoreError.WrongPassphrase(attemptsLeft: 1)) == "Wrong passphrase. 1 attempt left before this phone's Vigil data is wiped.")
        #expect(CoreWords.of(StoreError.Locked) == "Vigil is locked. Unlock to continue.")
        #expect(CoreWords.of(SyncError.Transient(reason: "refused", nextAttemptMs: 0)) == "No connection to the team server. Vigil will retry by itself.")
        #expect(CoreWords.of(CocoaError(.fileNoSuchFile)) == CoreWords.generic)
        // A store failure under an incident or sync error is told as the store's code.
        #expect(CoreWords.code(IncidentError.Store(StoreError.DiskFull)) == CoreWords.Code(area: .store, code: "disk_full"))
        #expect(CoreWords.of(SyncError.Store(StoreError.Locked)) == CoreWords.of(StoreError.Locked))
    }
}

@MainActor
struct AutoLockTests {
    @Test func locksTheRealStoreAfterTheIdleTimeATouchRestartsTheWait() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        // Wide margins: the point is the restart, not the timer's precision.
        let lock = AutoLock(vigil: h.vigil, timeout: .seconds(3))
        lock.touch()
        try await Task.sleep(for: .seconds(1))
        lock.touch()
        try await Task.sleep(for: .milliseconds(2500))
        #expect(!lock.locked, "the second touch restarted the wait")
        #expect(h.vigil.isUnlocked())
        _ = try await awaitState({ lock.locked }) { $0 }
        #expect(!h.vigil.isUnlocked())
    }
}
