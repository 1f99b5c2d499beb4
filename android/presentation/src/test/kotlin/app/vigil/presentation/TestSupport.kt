package app.vigil.presentation

import app.vigil.core.Kdf
import app.vigil.core.KdfChoice
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.nio.file.Path

/** Cheap KDF parameters, asked for explicitly: tests must stay fast. */
val FAST_KDF = KdfChoice(Kdf.Argon2id(64u, 1u, 1u), true)

/** Waits (bounded) until the state satisfies [predicate]; returns that state. */
fun <S> StateFlow<S>.awaitState(predicate: (S) -> Boolean): S = runBlocking {
    withTimeout(60_000) { first(predicate) }
}

/**
 * A real store in [dir], opened the way the app opens it, and a scope for presenters;
 * closes both.
 */
class Harness(dir: Path, officer: String = "Officer A") : AutoCloseable {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val vigil = VigilCore(dir.resolve("store").toString(), officer, null, FAST_KDF)

    override fun close() {
        scope.cancel()
        vigil.close()
    }
}
