import Foundation
import VigilCoreAsync

/// The one way a view model runs a core call: `runCore` (an action of the officer's: busy
/// meanwhile) or `readCore` (what the screen shows: not busy). The core call runs on the
/// core's queue (`Vigil.run`), never on the main actor; its result, or the core's error in
/// words (`CoreWords`), comes back to the state on the main actor. How the state shows that
/// (`working`, `idle`, `failed`) comes with `ActionState`, or the view model says it once.
/// The twin of android/presentation's `Presenter.runCore` / `readCore`.
@MainActor
protocol CoreCalls: AnyObject, Sendable {
    associatedtype State
    var vigil: Vigil { get }
    /// Changes the state (the view model's own `state`, which the views only read).
    func update(_ change: (inout State) -> Void)
    /// The state while an action of the officer's runs: busy, the last words cleared.
    static func working(_ s: inout State)
    /// The state once that action has ended, done or failed: no longer busy.
    static func idle(_ s: inout State)
    /// The state showing a failure in `words` (a sentence of CoreWords).
    static func failed(_ s: inout State, _ words: String)
}

/// A screen state with the officer's actions in it: busy while one runs, its error, its message.
protocol ActionState {
    var busy: Bool { get set }
    var error: String? { get set }
    var message: String? { get set }
}

extension CoreCalls {
    static func working(_ s: inout State) {}
    static func idle(_ s: inout State) {}
}

extension CoreCalls where State: ActionState {
    static func working(_ s: inout State) {
        s.busy = true
        s.error = nil
        s.message = nil
    }

    static func idle(_ s: inout State) { s.busy = false }

    static func failed(_ s: inout State, _ words: String) { s.error = words }
}

extension CoreCalls {
    /// An action of the officer's: the state turns `working` at once, `body` runs on the
    /// core's queue, then the state goes `idle` and `done` puts the result in it. If the
    /// core refuses, the state goes `idle` and `onError` tells why (by default the core's
    /// error in words: `failed`).
    @discardableResult
    func runCore<T: Sendable>(
        _ body: @escaping @Sendable (Vigil) throws -> T,
        onError: (@MainActor (inout State, any Error) -> Void)? = nil,
        done: @escaping @MainActor (inout State, T) -> Void
    ) -> Task<Void, Never> {
        update { Self.working(&$0) }
        return call(body) { result in
            self.update { s in
                Self.idle(&s)
                switch result {
                case .success(let value):
                    done(&s, value)
                case .failure(let error):
                    if let onError {
                        onError(&s, error)
                    } else {
                        Self.failed(&s, CoreWords.of(error))
                    }
                }
            }
        }
    }

    /// What the screen shows, read on the core's queue: `done` puts it in the state, or the
    /// core's error in words.
    @discardableResult
    func readCore<T: Sendable>(
        _ body: @escaping @Sendable (Vigil) throws -> T,
        done: @escaping @MainActor (inout State, T) -> Void
    ) -> Task<Void, Never> {
        call(body) { result in
            self.update { s in
                switch result {
                case .success(let value):
                    done(&s, value)
                case .failure(let error):
                    Self.failed(&s, CoreWords.of(error))
                }
            }
        }
    }

    private func call<T: Sendable>(
        _ body: @escaping @Sendable (Vigil) throws -> T,
        then: @escaping @MainActor (Result<T, any Error>) -> Void
    ) -> Task<Void, Never> {
        let vigil = self.vigil
        return Task { @MainActor in
            do {
                let value = try await vigil.run(body)
                then(.success(value))
            } catch {
                then(.failure(error))
            }
        }
    }
}
