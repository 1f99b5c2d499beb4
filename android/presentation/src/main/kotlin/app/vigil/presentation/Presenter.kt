package app.vigil.presentation

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
}
