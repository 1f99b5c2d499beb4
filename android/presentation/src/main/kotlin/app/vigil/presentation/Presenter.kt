package app.vigil.presentation

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * One state holder per screen: immutable [state] out, intents in through [onIntent].
 * Every core call goes through [core], which runs it on the IO dispatcher: the caller's
 * thread (the UI's) never blocks on SQLite, the KDF or the network.
 *
 * The one way to run a core call for the screen is [runCore] (an action of the officer's:
 * busy meanwhile) or [readCore] (what the screen shows: not busy); each presenter says once
 * how its state shows that ([working], [idle], [failed]).
 */
abstract class Presenter<S, I>(
    initial: S,
    protected val scope: CoroutineScope,
    private val io: CoroutineDispatcher,
) {
    private val mutable = MutableStateFlow(initial)
    val state: StateFlow<S> = mutable.asStateFlow()

    abstract fun onIntent(intent: I)

    protected fun set(change: (S) -> S) = mutable.update(change)

    protected val current: S get() = mutable.value

    /** Runs [block] on the IO dispatcher. */
    protected suspend fun <T> core(block: () -> T): T = withContext(io) { block() }

    protected fun launch(block: suspend CoroutineScope.() -> Unit): Job = scope.launch(block = block)

    /** The state while an action of the officer's runs: busy, the last words cleared. */
    protected open fun S.working(): S = this

    /** The state once that action has ended, done or failed: no longer busy. */
    protected open fun S.idle(): S = this

    /** The state showing a failure in [words] (a sentence of [CoreWords]). */
    protected abstract fun S.failed(words: String): S

    /**
     * An action of the officer's: the state turns [working] at once, [block] runs on IO, then
     * the state goes [idle] and [done] puts the result in it. If the core refuses, the state
     * goes [idle] and [onError] tells why (by default the core's error in words: [failed]).
     */
    protected fun <T> runCore(
        block: () -> T,
        onError: (S, Exception) -> S = { s, e -> s.failed(CoreWords.of(e)) },
        done: (S, T) -> S,
    ): Job {
        set { it.working() }
        return call(block, { s, e -> onError(s.idle(), e) }) { s, r -> done(s.idle(), r) }
    }

    /** What the screen shows, read on IO: [done] puts it in the state, or the core's error in words. */
    protected fun <T> readCore(block: () -> T, done: (S, T) -> S): Job =
        call(block, { s, e -> s.failed(CoreWords.of(e)) }, done)

    private fun <T> call(block: () -> T, onError: (S, Exception) -> S, done: (S, T) -> S): Job = launch {
        val result = try {
            core(block)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            set { onError(it, e) }
            return@launch
        }
        set { done(it, result) }
    }
}
