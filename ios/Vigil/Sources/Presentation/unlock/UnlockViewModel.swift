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
final class UnlockViewModel: CoreCalls {
    typealias State = UnlockState
    private(set) var state = UnlockState()
    let vigil: Vigil
    private let strength: PassphraseStrength

    init(vigil: Vigil, strength: PassphraseStrength = PassphraseStrength()) {
        self.vigil = vigil
        self.strength = strength
        runCore({ v -> (UnlockStage, Bool) in
            if try !v.exists() { return (.firstRun, false) }
            if v.isUnlocked() { return (.unlocked, false) }
            return (.locked, Self.biometricOffered(v))
        }, onError: { s, e in
            s.stage = .locked
            s.error = CoreWords.of(e)
        }) { s, found in
            s.stage = found.0
            s.biometric = found.1
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
            runCore({ v -> Bool in
                try v.lock()
                return Self.biometricOffered(v)
            }, onError: { s, _ in s = UnlockState(stage: .locked) }) { s, bio in
                s = UnlockState(stage: .locked, biometric: bio)
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

    func update(_ change: (inout UnlockState) -> Void) { change(&state) }

    static func working(_ s: inout UnlockState) {
        s.busy = true
        s.error = nil
    }

    static func idle(_ s: inout UnlockState) { s.busy = false }

    static func failed(_ s: inout UnlockState, _ words: String) { s.error = words }

    /// A refused unlock: what the officer sees, and what the passphrase field keeps.
    private static func refused(_ s: inout UnlockState, _ error: any Error) {
        switch error as? StoreError {
        case .PolicyTampered?:
            s.passphrase = ""
            s.error = CoreWords.of(error)
            s.policyTampered = true
        case .WrongPassphrase(let left)?:
            s.passphrase = ""
            s.error = CoreWords.of(error)
            s.attemptsLeft = left
        case .WipedAfterFailedAttempts?, .Wiped?:
            s = UnlockState(stage: .wiped, error: CoreWords.of(error))
        default:
            failed(&s, CoreWords.of(error))
        }
    }

    /// `confirm`: nil for a plain submit; `.some(wipeAfter)` to unlock confirming the wipe
    /// setting after a tampered one (`.some(nil)`: never wipe).
    private func submit(confirm: Int??) {
        let s = state
        if !s.canSubmit || (confirm != nil && !s.policyTampered) { return }
        let firstRun = s.stage == .firstRun
        let passphrase = s.passphrase
        runCore({ v in
            var secret = Data(passphrase.utf8)
            defer { secret.resetBytes(in: 0..<secret.count) }
            if firstRun {
                try v.create(passphrase: secret)
            } else if let wipeAfter = confirm {
                try v.unlockConfirmingPolicy(passphrase: secret, wipeAfter: wipeAfter.map { UInt32($0) })
            } else {
                try v.unlock(passphrase: secret)
            }
        }, onError: { s, e in Self.refused(&s, e) }) { s, _ in
            s = UnlockState(stage: .unlocked)
        }
    }

    /// A failure to read the slots is no reason to refuse the passphrase screen.
    private nonisolated static func biometricOffered(_ v: Vigil) -> Bool {
        (try? v.biometricUnlockAvailable()) ?? false
    }

    private func biometricUnlock() {
        guard state.canUseBiometric else { return }
        runCore({ v in try v.unlockWithBiometric() }, onError: { s, e in
            switch e as? StoreError {
            // Cancelled, not recognised, or the key was invalidated by a new enrolment.
            case .PlatformKeyRejected?, .KeyWrapper?:
                Self.failed(&s, Self.biometricFailed)
            default:
                Self.refused(&s, e)
            }
        }) { s, _ in
            s = UnlockState(stage: .unlocked)
        }
    }

    /// Cancelled, not recognised, or the key was invalidated by a new enrolment.
    static let biometricFailed = "Fingerprint unlock did not work. Unlock with your passphrase."

    private func wipe() {
        runCore({ v in try v.wipe() }) { s, _ in
            s = UnlockState(stage: .wiped, error: "Wiped. Nothing of Vigil is left on this phone.")
        }
    }
}
