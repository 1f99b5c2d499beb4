package app.vigil.ui

import app.vigil.core.Kdf
import app.vigil.core.KdfChoice
import app.vigil.presentation.VigilCore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.nio.file.Path

val FAST_KDF = KdfChoice(Kdf.Argon2id(64u, 1u, 1u), true)

fun <S> StateFlow<S>.awaitState(predicate: (S) -> Boolean): S = runBlocking {
    withTimeout(60_000) { first(predicate) }
}

/** A real store on disk and a scope for presenters, as the app has them. */
class UiHarness(dir: Path, officer: String = "Officer A") : AutoCloseable {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val vigil = VigilCore(dir.resolve("store").toString(), officer, null, FAST_KDF)

    override fun close() {
        scope.cancel()
        vigil.close()
    }
}
