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
                let stage: UnlockStage = try await vigil.run { v in
                    if try !v.exists() { return .firstRun }
                    return v.isUnlocked() ? .unlocked : .locked
                }
                state.stage = stage
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
            submit()
        case .lock:
            Task {
                _ = try? await vigil.run { v in try v.lock() }
                state = UnlockState(stage: .locked)
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

    private func submit() {
        let s = state
        guard s.canSubmit else { return }
        state.busy = true
        state.error = nil
        Task {
            do {
                let firstRun = s.stage == .firstRun
                let passphrase = s.passphrase
                try await vigil.run { v in
                    var secret = Data(passphrase.utf8)
                    defer { secret.resetBytes(in: 0..<secret.count) }
                    if firstRun { try v.create(passphrase: secret) } else { try v.unlock(passphrase: secret) }
                }
                state = UnlockState(stage: .unlocked)
            } catch let e as StoreError {
                switch e {
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
