package app.vigil.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.input.pointer.PointerEventPass
import androidx.compose.ui.input.pointer.pointerInput
import app.vigil.presentation.AutoLock
import app.vigil.presentation.Camera
import app.vigil.presentation.Capture
import app.vigil.presentation.PositionProvider
import app.vigil.presentation.advance.WalkIntent
import app.vigil.presentation.incidents.IncidentDetailIntent
import app.vigil.presentation.quicklog.QuickLogIntent
import app.vigil.presentation.VigilCore
import app.vigil.presentation.advance.AdvancePresenter
import app.vigil.presentation.advance.WalkPresenter
import app.vigil.presentation.home.HomePresenter
import app.vigil.presentation.incidents.IncidentDetailPresenter
import app.vigil.presentation.incidents.IncidentsPresenter
import app.vigil.presentation.quicklog.QuickLogPresenter
import app.vigil.presentation.settings.SettingsIntent
import app.vigil.presentation.settings.SettingsPresenter
import app.vigil.presentation.sync.SyncPresenter
import app.vigil.presentation.unlock.UnlockPresenter
import app.vigil.presentation.unlock.UnlockIntent
import app.vigil.presentation.unlock.UnlockStage
import app.vigil.ui.advance.AdvanceNav
import app.vigil.ui.advance.AdvanceScreen
import app.vigil.ui.advance.WalkScreen
import app.vigil.ui.home.HomeNav
import app.vigil.ui.home.HomeScreen
import app.vigil.ui.incidents.IncidentDetailScreen
import app.vigil.ui.incidents.IncidentsScreen
import app.vigil.ui.quicklog.QuickLogScreen
import app.vigil.ui.settings.SettingsScreen
import app.vigil.ui.sync.SyncScreen
import app.vigil.ui.unlock.UnlockScreen
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch

/** Where the officer is in the app. Navigation is the host's; screens only report taps. */
private sealed interface Place {
    data object Home : Place
    data object QuickLog : Place
    data object Incidents : Place
    data class Incident(val id: String) : Place
    data object Advance : Place
    data class Walk(val id: String) : Place
    data object Sync : Place
    data object Settings : Place
}

/**
 * The app, shared by the Android activity and the desktop window: unlock first, then the
 * tabs. Each presenter is made when its screen opens; [exportPath] asks the platform where
 * to write an evidence package, a new `.zip` (null: cancelled), [onExported] gets the file once written
 * (Android: the share sheet); [camera] takes photos for quick log,
 * incidents and walk items (null: no camera, no photo buttons). After [autoLockMs] without
 * a touch the store locks and the unlock screen comes back.
 */
@Composable
fun VigilApp(
    vigil: VigilCore,
    scope: CoroutineScope,
    position: PositionProvider,
    dark: Boolean,
    appVersion: String,
    exportPath: () -> String?,
    onExported: (String) -> Unit = {},
    camera: Camera? = null,
    autoLockMs: Long = AUTO_LOCK_MS,
    photos: PhotoDecoder? = null,
) {
    // Runs the camera, then hands the photo to the screen's presenter.
    fun photo(then: (Capture) -> Unit): (() -> Unit)? = camera?.let { c -> { scope.launch { c.takePhoto()?.let(then) } } }
    val unlock = remember { UnlockPresenter(vigil, scope) }
    val unlockState by unlock.state.collectAsState()
    val autoLock = remember { AutoLock(vigil, scope, autoLockMs) }
    val idleLocked by autoLock.locked.collectAsState()
    LaunchedEffect(unlockState.stage) {
        if (unlockState.stage == UnlockStage.UNLOCKED) autoLock.touch() else autoLock.stop()
    }
    LaunchedEffect(idleLocked) { if (idleLocked) unlock.onIntent(UnlockIntent.Lock) }
    VigilTheme(dark = dark) {
        if (unlockState.stage != UnlockStage.UNLOCKED) {
            UnlockScreen(unlockState, unlock::onIntent)
            return@VigilTheme
        }
        var place by remember { mutableStateOf<Place>(Place.Home) }
        // Every touch anywhere restarts the idle timer (seen before the screens handle it).
        val touches = Modifier.pointerInput(autoLock) {
            awaitPointerEventScope {
                while (true) {
                    awaitPointerEvent(PointerEventPass.Initial)
                    autoLock.touch()
                }
            }
        }
        Surface(color = MaterialTheme.colorScheme.background, modifier = Modifier.fillMaxSize().then(touches)) {
            Column(Modifier.fillMaxSize()) {
                Column(Modifier.weight(1f)) {
                    when (val p = place) {
                        Place.Home -> {
                            val presenter = remember { HomePresenter(vigil, scope) }
                            val s by presenter.state.collectAsState()
                            HomeScreen(s, presenter::onIntent, { nav ->
                                place = when (nav) {
                                    HomeNav.QuickLog -> Place.QuickLog
                                    is HomeNav.Incident -> Place.Incident(nav.id)
                                    is HomeNav.Walk -> Place.Walk(nav.id)
                                    HomeNav.Sync -> Place.Sync
                                }
                            })
                        }
                        Place.QuickLog -> {
                            val presenter = remember { QuickLogPresenter(vigil, position, scope) }
                            val s by presenter.state.collectAsState()
                            QuickLogScreen(s, presenter::onIntent, photo { presenter.onIntent(QuickLogIntent.AttachPhoto(it)) })
                        }
                        Place.Incidents -> {
                            val presenter = remember { IncidentsPresenter(vigil, scope) }
                            val s by presenter.state.collectAsState()
                            IncidentsScreen(s, presenter::onIntent, { place = Place.Incident(it) })
                        }
                        is Place.Incident -> {
                            val presenter = remember(p.id) { IncidentDetailPresenter(vigil, p.id, scope) }
                            val s by presenter.state.collectAsState()
                            LaunchedEffect(s.exported) { s.exported?.let(onExported) }
                            IncidentDetailScreen(
                                s, presenter::onIntent, photo { presenter.onIntent(IncidentDetailIntent.Attach(it)) },
                                { exportPath()?.let { presenter.onIntent(IncidentDetailIntent.ExportPackage(it)) } },
                                photos = photos,
                            )
                        }
                        Place.Advance -> {
                            val presenter = remember { AdvancePresenter(vigil, position, scope) }
                            val s by presenter.state.collectAsState()
                            LaunchedEffect(s.startedWalkId) { s.startedWalkId?.let { place = Place.Walk(it) } }
                            AdvanceScreen(s, presenter::onIntent, { nav ->
                                when (nav) {
                                    is AdvanceNav.Walk -> place = Place.Walk(nav.walkId)
                                }
                            })
                        }
                        is Place.Walk -> {
                            val presenter = remember(p.id) { WalkPresenter(vigil, p.id, position, scope) }
                            val s by presenter.state.collectAsState()
                            WalkScreen(
                                s, presenter::onIntent,
                                camera?.let { { itemId: String -> photo { presenter.onIntent(WalkIntent.AttachPhoto(itemId, it)) }?.invoke() } },
                            )
                        }
                        Place.Sync -> {
                            val presenter = remember { SyncPresenter(vigil, scope) }
                            val s by presenter.state.collectAsState()
                            SyncScreen(s, presenter::onIntent)
                        }
                        Place.Settings -> {
                            val presenter = remember { SettingsPresenter(vigil, appVersion, scope) }
                            val s by presenter.state.collectAsState()
                            LaunchedEffect(s.locked) { if (s.locked) unlock.onIntent(UnlockIntent.Lock) }
                            LaunchedEffect(s.exported) { s.exported?.let(onExported) }
                            SettingsScreen(s, presenter::onIntent, {
                                exportPath()?.let { presenter.onIntent(SettingsIntent.ExportPackage(it)) }
                            })
                        }
                    }
                }
                val tab = when (place) {
                    Place.Home -> Tab.HOME
                    Place.Incidents -> Tab.INCIDENTS
                    Place.Advance -> Tab.ADVANCE
                    Place.Sync -> Tab.SYNC
                    Place.Settings -> Tab.SETTINGS
                    else -> null
                }
                TabBar(tab) { t ->
                    place = when (t) {
                        Tab.HOME -> Place.Home
                        Tab.INCIDENTS -> Place.Incidents
                        Tab.ADVANCE -> Place.Advance
                        Tab.SYNC -> Place.Sync
                        Tab.SETTINGS -> Place.Settings
                    }
                }
            }
        }
    }
}

/** Idle time before the store locks itself: five minutes without a touch. */
const val AUTO_LOCK_MS: Long = 5 * 60_000L
