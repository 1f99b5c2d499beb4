import CryptoKit
import Foundation
import Testing
import VigilCore
@testable import VigilIOS

@MainActor
struct UnlockViewModelTests {
    @Test func firstRunRefusesAWeakPassphraseThenCreatesTheStore() async throws {
        let h = try Harness()
        defer { h.close() }
        let m = UnlockViewModel(vigil: h.vigil)
        _ = try await awaitState({ m.state }) { $0.stage == .firstRun }

        m.onIntent(.passphraseChanged(text: "password1"))
        m.onIntent(.confirmChanged(text: "password1"))
        let weak = m.state
        let strength = try #require(weak.strength)
        #expect(strength.score < Strength.minScore)
        #expect(!weak.canSubmit)
        #expect(weak.strength?.hint == "Use four or more unrelated words.")

        m.onIntent(.passphraseChanged(text: goodPassphrase))
        m.onIntent(.confirmChanged(text: "lantern orbit cobalt"))
        #expect(m.state.confirmMismatch)
        #expect(!m.state.canSubmit)

        m.onIntent(.confirmChanged(text: goodPassphrase))
        #expect(m.state.canSubmit)
        m.onIntent(.submit)
        let done = try await awaitState({ m.state }) { $0.stage == .unlocked }
        #expect(done.passphrase == "", "the passphrase does not stay in the state")
        #expect(h.vigil.isUnlocked())
    }

    @Test func wrongPassphraseShowsTheAttemptsLeftThenTheRightOneUnlocks() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        try h.vigil.vault().setWipePolicy(maxFailedAttempts: 5)
        try h.vigil.lock()

        let m = UnlockViewModel(vigil: h.vigil)
        _ = try await awaitState({ m.state }) { $0.stage == .locked }
        m.onIntent(.passphraseChanged(text: "lantern orbit cobalt"))
        m.onIntent(.submit)
        let wrong = try await awaitState({ m.state }) { $0.error != nil }
        #expect(wrong.attemptsLeft == 4)
        #expect(wrong.error == "Wrong passphrase. 4 attempts left before this phone's Vigil data is wiped.")
        #expect(wrong.stage == .locked)
        #expect(wrong.passphrase == "")

        m.onIntent(.passphraseChanged(text: goodPassphrase))
        #expect(m.state.error == nil, "typing clears the error")
        m.onIntent(.submit)
        _ = try await awaitState({ m.state }) { $0.stage == .unlocked }
        #expect(try h.vigil.vault().status().failedAttempts == 0)

        m.onIntent(.lock)
        _ = try await awaitState({ m.state }) { $0.stage == .locked }
        #expect(!h.vigil.isUnlocked())
    }

    @Test func panicWipeNeedsTheTypedWordThenLeavesNothing() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let m = UnlockViewModel(vigil: h.vigil)
        _ = try await awaitState({ m.state }) { $0.stage == .unlocked }
        m.onIntent(.panicRequested)
        m.onIntent(.panicTyped(text: "WIP"))
        #expect(m.state.panic?.armed == false)
        m.onIntent(.panicConfirmed)
        #expect(try h.vigil.exists(), "not armed: nothing wiped")
        m.onIntent(.panicCancelled)
        #expect(m.state.panic == nil)

        m.onIntent(.panicRequested)
        m.onIntent(.panicTyped(text: " wipe "))
        #expect(m.state.panic?.armed == true)
        m.onIntent(.panicConfirmed)
        let wiped = try await awaitState({ m.state }) { $0.stage == .wiped }
        #expect(wiped.error == "Wiped. Nothing of Vigil is left on this phone.")
        #expect(try !h.vigil.exists())
    }

    @Test func biometricUnlockIsOfferedOnceEnabledInSettingsAndACancelledPromptLeavesThePassphrase() async throws {
        let key = BiometricKey()
        let h = try Harness(biometric: key)
        defer { h.close() }
        try h.vigil.create(passphrase: Data(goodPassphrase.utf8))
        let settings = SettingsViewModel(vigil: h.vigil, appVersion: "test")
        let loaded = try await awaitState({ settings.state }) { $0.about != nil }
        #expect(loaded.biometric == false, "supported, not on yet")
        try h.vigil.lock()
        let before = UnlockViewModel(vigil: h.vigil)
        #expect(try await awaitState({ before.state }) { $0.stage == .locked }.biometric == false, "no biometric slot yet")

        try h.vigil.unlock(passphrase: Data(goodPassphrase.utf8))
        settings.onIntent(.biometricChanged(enabled: true))
        _ = try await awaitState({ settings.state }) { $0.biometric == true && !$0.busy }

        let m = UnlockViewModel(vigil: h.vigil)
        _ = try await awaitState({ m.state }) { $0.stage == .unlocked }
        m.onIntent(.lock)
        let locked = try await awaitState({ m.state }) { $0.stage == .locked }
        #expect(locked.biometric && locked.canUseBiometric)

        key.prompt = false
        m.onIntent(.unlockWithBiometric)
        let refused = try await awaitState({ m.state }) { $0.error != nil }
        #expect(refused.error == UnlockViewModel.biometricFailed)
        #expect(refused.stage == .locked)
        #expect(!h.vigil.isUnlocked())

        key.prompt = true
        m.onIntent(.unlockWithBiometric)
        _ = try await awaitState({ m.state }) { $0.stage == .unlocked }
        #expect(h.vigil.isUnlocked())
        #expect(key.prompts == 2, "one prompt per attempt")

        // Off again: the slot and the key go; the passphrase alone opens the store.
        settings.onIntent(.biometricChanged(enabled: false))
        _ = try await awaitState({ settings.state }) { $0.biometric == false && !$0.busy }
        try h.vigil.lock()
        #expect(try !h.vigil.biometricUnlockAvailable())
        try h.vigil.unlock(passphrase: Data(goodPassphrase.utf8))
        #expect(h.vigil.isUnlocked())
    }

    /// What someone does who wants unlimited guesses: edits the wipe setting in the key
    /// file's attempts records (both copies, checksums redone), as the core's own test and
    /// Android's do. Only the core's keyed tag cannot be redone.
    private func switchOffWipePolicy(_ storeDir: URL) throws {
        let file = storeDir.appendingPathComponent("vigil.keys")
        var bytes = [UInt8](try Data(contentsOf: file))
        let record = 88
        for start in [bytes.count - 2 * record, bytes.count - record] {
            for i in 16..<20 { bytes[start + i] = 0 }
            let sum = SHA256.hash(data: Data(bytes[start..<(start + 56)]))
            bytes.replaceSubrange((start + 56)..<(start + 88), with: Array(sum))
        }
        try Data(bytes).write(to: file)
    }

    @Test func aWipeSettingChangedOutsideVigilIsReportedAndConfirmedWithThePassphrase() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Harness(create: true, dir: dir)
        try first.vigil.vault().setWipePolicy(maxFailedAttempts: 3)
        first.close()
        try switchOffWipePolicy(dir.appendingPathComponent("store"))

        let h = try Harness(dir: dir)
        defer { h.close() }
        let m = UnlockViewModel(vigil: h.vigil)
        _ = try await awaitState({ m.state }) { $0.stage == .locked }
        m.onIntent(.passphraseChanged(text: goodPassphrase))
        m.onIntent(.submit)
        let told = try await awaitState({ m.state }) { $0.policyTampered }
        #expect(told.stage == .locked)
        #expect(told.error?.contains("wipe setting was changed outside the app") == true)
        #expect(told.passphrase == "")
        #expect(!h.vigil.isUnlocked())

        m.onIntent(.passphraseChanged(text: "not it"))
        m.onIntent(.confirmPolicy(wipeAfter: 3))
        let wrong = try await awaitState({ m.state }) { $0.error?.hasPrefix("Wrong passphrase") == true }
        #expect(wrong.policyTampered, "still to be confirmed")
        #expect(!h.vigil.isUnlocked(), "confirming needs the right passphrase")

        m.onIntent(.passphraseChanged(text: goodPassphrase))
        m.onIntent(.confirmPolicy(wipeAfter: 3))
        _ = try await awaitState({ m.state }) { $0.stage == .unlocked }
        #expect(try h.vigil.vault().status().wipeAfter == 3)
        try h.vigil.lock()
        try h.vigil.unlock(passphrase: Data(goodPassphrase.utf8))
        #expect(h.vigil.isUnlocked(), "the confirmed setting is sealed again: a plain unlock works")
    }
}
