import Foundation
import Observation
import VigilCore
import VigilCoreAsync

/// Where the officer stands between opening the app and using it.
enum UnlockStage: Sendable, Equatable { case checking, firstRun, locked, unlocked, wiped }

/// The panic wipe's confirmation: the officer types `PanicWipe.word` to arm it.
struct PanicWipe: Sendable, Equatable {
    var typed: String = ""

    var armed: Bool { typed.trimmingCharacters(in: .whitespacesAndNewlines).caseInsensitiveCompare(Self.word) == .orderedSame }

    static let word = "WIPE"
}

struct UnlockState: Sendable, Equatable {
    var stage: UnlockStage = .checking
    var passphrase: String = ""
    var confirm: String = ""
    var strength: Strength? = nil
    var busy: Bool = false
    var error: String? = nil
    /// Under a wipe policy, the attempts left before the store is wiped.
    var attemptsLeft: UInt32? = nil
    /// Non-nil while the panic wipe confirmation is shown.
    var panic: PanicWipe? = nil
    /// A biometric key opens this store: the screen offers Face ID / Touch ID.
    var biometric: Bool = false
    /// The wipe setting was changed outside Vigil: the officer confirms one of
    /// `wipeChoices` with the passphrase to unlock (`UnlockIntent.confirmPolicy`).
    var policyTampered: Bool = false
    var wipeChoices: [Int?] = [nil, 3, 5, 10]

    func wipeWords(_ n: Int?) -> String { n.map { "Unlock, wipe after \($0) wrong passphrases" } ?? "Unlock, never wipe" }

    var canUseBiometric: Bool { biometric && !busy && stage == .locked }

    var confirmMismatch: Bool { !confirm.isEmpty && confirm != passphrase }

    var canSubmit: Bool {
        guard !busy else { return false }
        switch stage {
        case .firstRun: return strength?.acceptable == true && confirm == passphrase
        case .locked: return !passphrase.isEmpty
        default: return false
        }
    }
}

enum UnlockIntent: Sendable {
    case passphraseChanged(text: String)
    case confirmChanged(text: String)
    /// Create (first run) or unlock (locked), whichever the stage calls for.
    case submit
    /// Unlock with Face ID / Touch ID (the system's prompt appears; the passphrase always works too).
    case unlockWithBiometric
    /// After a tampered wipe setting: unlock with the typed passphrase and this setting.
    case confirmPolicy(wipeAfter: Int?)
    case lock
    case panicRequested
    case panicTyped(text: String)
    case panicCancelled
    case panicConfirmed
}

/// First run (create the store, with a strength meter), unlock (wrong passphrase: the
/// attempts left), lock, and the panic wipe behind a typed confirmation.
@Observable
@MainActor
final class UnlockViewModel {
    private(set) var state = UnlockState()
    private let vigil: Vigil
    private let strength: PassphraseStrength

    init(vigil: Vigil, strength: PassphraseStrength = PassphraseStrength()) {
        self.vigil = vigil
        self.strength = strength
        Task {
            do {
                let (stage, bio): (UnlockStage, Bool) = try await vigil.run { v in
                    if try !v.exists() { return (.firstRun, false) }
                    if v.isUnlocked() { return (.unlocked, false) }
                    return (.locked, Self.biometricOffered(v))
                }
                state.stage = stage
                state.biometric = bio
            } catch {
                state.stage = .locked
                state.error = CoreWords.of(error)
            }
        }
    }

    func onIntent(_ intent: UnlockIntent) {
        switch intent {
        case .passphraseChanged(let text):
            state.passphrase = text
            state.strength = state.stage == .firstRun ? strength.of(text) : nil
            state.error = nil
        case .confirmChanged(let text):
            state.confirm = text
            state.error = nil
        case .submit:
            submit(confirm: nil)
        case .unlockWithBiometric:
            biometricUnlock()
        case .confirmPolicy(let wipeAfter):
            submit(confirm: .some(wipeAfter))
        case .lock:
            Task {
                let bio = (try? await vigil.run { v in
                    try v.lock()
                    return Self.biometricOffered(v)
                }) ?? false
                state = UnlockState(stage: .locked, biometric: bio)
            }
        case .panicRequested:
            state.panic = PanicWipe()
        case .panicTyped(let text):
            state.panic = PanicWipe(typed: text)
        case .panicCancelled:
            state.panic = nil
        case .panicConfirmed:
            if state.panic?.armed == true { wipe() }
        }
    }

    /// `confirm`: nil for a plain submit; `.some(wipeAfter)` to unlock confirming the wipe
    /// setting after a tampered one (`.some(nil)`: never wipe).
    private func submit(confirm: Int??) {
        let s = state
        if !s.canSubmit || (confirm != nil && !s.policyTampered) { return }
        state.busy = true
        state.error = nil
        Task {
            do {
                let firstRun = s.stage == .firstRun
                let passphrase = s.passphrase
                try await vigil.run { v in
                    var secret = Data(passphrase.utf8)
                    defer { secret.resetBytes(in: 0..<secret.count) }
                    if firstRun {
                        try v.create(passphrase: secret)
                    } else if let wipeAfter = confirm {
                        try v.unlockConfirmingPolicy(passphrase: secret, wipeAfter: wipeAfter.map { UInt32($0) })
                    } else {
                        try v.unlock(passphrase: secret)
                    }
                }
                state = UnlockState(stage: .unlocked)
            } catch let e as StoreError {
                switch e {
                case .PolicyTampered:
                    state.busy = false
                    state.passphrase = ""
                    state.error = CoreWords.of(e)
                    state.policyTampered = true
                case .WrongPassphrase(let left):
                    state.busy = false
                    state.passphrase = ""
                    state.error = CoreWords.of(e)
                    state.attemptsLeft = left
                case .WipedAfterFailedAttempts, .Wiped:
                    state = UnlockState(stage: .wiped, error: CoreWords.of(e))
                default:
                    state.busy = false
                    state.error = CoreWords.of(e)
                }
            } catch {
                state.busy = false
                state.error = CoreWords.of(error)
            }
        }
    }

    /// A failure to read the slots is no reason to refuse the passphrase screen.
    private nonisolated static func biometricOffered(_ v: Vigil) -> Bool {
        (try? v.biometricUnlockAvailable()) ?? false
    }

    private func biometricUnlock() {
        guard state.canUseBiometric else { return }
        state.busy = true
        state.error = nil
        Task {
            do {
                try await vigil.run { v in try v.unlockWithBiometric() }
                state = UnlockState(stage: .unlocked)
            } catch let e as StoreError {
                switch e {
                case .WipedAfterFailedAttempts, .Wiped:
                    state = UnlockState(stage: .wiped, error: CoreWords.of(e))
                case .PlatformKeyRejected, .KeyWrapper:
                    state.busy = false
                    state.error = Self.biometricFailed
                default:
                    state.busy = false
                    state.error = CoreWords.of(e)
                }
            } catch {
                state.busy = false
                state.error = CoreWords.of(error)
            }
        }
    }

    /// Cancelled, not recognised, or the key was invalidated by a new enrolment.
    static let biometricFailed = "Fingerprint unlock did not work. Unlock with your passphrase."

    private func wipe() {
        state.busy = true
        Task {
            do {
                try await vigil.run { v in try v.wipe() }
                state = UnlockState(stage: .wiped, error: "Wiped. Nothing of Vigil is left on this phone.")
            } catch {
                state.busy = false
                state.error = CoreWords.of(error)
            }
        }
    }
}
