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
}
