package app.vigil.desktop

import androidx.compose.ui.unit.DpSize
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Window
import androidx.compose.ui.window.application
import androidx.compose.ui.window.rememberWindowState
import app.vigil.presentation.Fix
import app.vigil.presentation.PositionProvider
import app.vigil.presentation.VigilCore
import app.vigil.ui.VigilApp
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import java.nio.file.Paths

/**
 * Vigil in a desktop window: the phone's screens and presenters over a real store.
 * System properties: `vigil.store` (default ~/.local/share/vigil-desktop), `vigil.officer`,
 * `vigil.dark` (default true), `vigil.fix` ("lat,lon,accuracy": a laptop has no GPS).
 */
fun main() {
    val store = System.getProperty("vigil.store")
        ?: Paths.get(System.getProperty("user.home"), ".local", "share", "vigil-desktop").toString()
    val officer = System.getProperty("vigil.officer") ?: System.getProperty("user.name") ?: "Officer"
    val dark = System.getProperty("vigil.dark")?.toBoolean() ?: true
    val fix = System.getProperty("vigil.fix")?.split(",")?.mapNotNull { it.trim().toDoubleOrNull() }
        ?.takeIf { it.size >= 2 }?.let { Fix(it[0], it[1], it.getOrNull(2)) }
    val vigil = VigilCore(store, officer)
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    try {
        application {
            Window(
                onCloseRequest = ::exitApplication,
                title = "Vigil",
                state = rememberWindowState(size = DpSize(420.dp, 860.dp)),
            ) {
                VigilApp(
                    vigil, scope, PositionProvider { fix }, dark, "Vigil desktop 0.1.0",
                    exportPath = {
                        Paths.get(System.getProperty("user.home"), "vigil-evidence-${System.currentTimeMillis()}.zip").toString()
                    },
                    camera = DesktopCamera(Paths.get("$store-captures").toFile()),
                    photos = SkiaPhotoDecoder,
                )
            }
        }
    } finally {
        scope.cancel()
        vigil.close()
    }
}
