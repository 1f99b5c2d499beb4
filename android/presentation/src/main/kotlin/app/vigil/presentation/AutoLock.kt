package app.vigil.presentation

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Locks the store after [timeoutMs] without a touch. The host calls [touch] on every
 * interaction (and the Android app also locks when the screen goes off, if set so);
 * [locked] turns true when the timer fired, and the host shows the unlock screen.
 */
class AutoLock(
    private val vigil: VigilCore,
    private val scope: CoroutineScope,
    private val timeoutMs: Long,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val lockedFlow = MutableStateFlow(false)
    val locked: StateFlow<Boolean> = lockedFlow.asStateFlow()
    private var timer: Job? = null

    /** (Re)starts the inactivity timer. */
    fun touch() {
        timer?.cancel()
        lockedFlow.value = false
        timer = scope.launch {
            delay(timeoutMs)
            withContext(io) { vigil.lock() }
            lockedFlow.value = true
        }
    }

    fun stop() {
        timer?.cancel()
    }
}
