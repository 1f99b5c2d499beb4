package app.vigil.desktop

import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.unit.DpSize
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import app.vigil.presentation.VigilCore
import app.vigil.presentation.unlock.UnlockPresenter
import app.vigil.ui.VigilTheme
import app.vigil.ui.unlock.UnlockScreen
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import java.nio.file.Paths

/**
 * Vigil in a desktop window: the phone's screens and presenters over a real store.
 * The store lives in `vigil.store` (default ~/.local/share/vigil-desktop); `vigil.dark`
 * picks the night theme; `vigil.officer` names the officer.
 */
fun main() {
    val store = System.getProperty("vigil.store")
        ?: Paths.get(System.getProperty("user.home"), ".local", "share", "vigil-desktop").toString()
    val officer = System.getProperty("vigil.officer") ?: System.getProperty("user.name") ?: "Officer"
    val dark = System.getProperty("vigil.dark")?.toBoolean() ?: true
    val vigil = VigilCore(store, officer)
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main)
    try {
        application {
            val unlock = remember { UnlockPresenter(vigil, scope) }
            Window(
                onCloseRequest = ::exitApplication,
                title = "Vigil",
                state = rememberWindowState(size = DpSize(420.dp, 860.dp)),
            ) {
                val state by unlock.state.collectAsState()
                VigilTheme(dark = dark) { UnlockScreen(state, unlock::onIntent) }
            }
        }
    } finally {
        scope.cancel()
        vigil.close()
    }
}
