package app.vigil.ui

import androidx.compose.foundation.layout.fillMaxSize
import app.vigil.core.model.CheckState
import app.vigil.core.model.Category
import app.vigil.core.model.Severity
import app.vigil.core.model.WalkSubject
import app.vigil.presentation.Harness
import app.vigil.presentation.LONDON
import app.vigil.presentation.TEST_TIME
import app.vigil.presentation.advance.AdvancePresenter
import app.vigil.presentation.advance.AnswerStyle
import app.vigil.presentation.advance.WalkIntent
import app.vigil.presentation.advance.WalkPresenter
import app.vigil.presentation.advance.seedAdvance
import app.vigil.presentation.awaitState
import app.vigil.presentation.home.HomePresenter
import app.vigil.presentation.incidents.IncidentDetailIntent
import app.vigil.presentation.incidents.IncidentDetailPresenter
import app.vigil.presentation.incidents.IncidentsPresenter
import app.vigil.presentation.incidents.emptyPatch
import app.vigil.presentation.quicklog.QuickLogIntent
import app.vigil.presentation.quicklog.QuickLogPresenter
import app.vigil.presentation.settings.SettingsPresenter
import app.vigil.presentation.sync.SyncPresenter
import app.vigil.ui.advance.AdvanceScreen
import app.vigil.ui.advance.WalkScreen
import app.vigil.ui.home.HomeScreen
import app.vigil.ui.incidents.IncidentDetailScreen
import app.vigil.ui.incidents.IncidentsScreen
import app.vigil.ui.quicklog.QuickLogScreen
import app.vigil.ui.settings.SettingsScreen
import app.vigil.ui.sync.SyncScreen
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * Every screen of the app rendered from real presenter states over a real store, in
 * light, dark and 200 % font: target/screens/NAME-LOOK.png.
 */
class AllScreensTest {
    @TempDir
    lateinit var dir: Path

    /** A store with what a working day leaves: incidents, a venue, havens, a route, a walk. */
    private fun day(h: Harness): String {
        seedAdvance(h.vigil.advance())
        val log = h.vigil.incidents()
        val van = log.quickLog(Category.HOSTILE_SURVEILLANCE, LONDON.incidentLocation()).incidentId
        log.amend(van, "Details added after quick log", emptyPatch().copy(narrative = "Grey van parked opposite the hotel, two occupants, engine running", severity = Severity.HIGH))
        log.amend(van, "Plate read from CCTV", emptyPatch().copy(narrative = "Grey van parked opposite the hotel, two occupants, engine running. Index LX19 ABC."))
        val photo = app.vigil.presentation.realPhoto(dir, "van.png")
        log.attachFile(van, photo.path, photo.mime, photo.capturedAtMillis)
        val med = log.quickLog(Category.MEDICAL, null).incidentId
        log.amend(med, "Details added after quick log", emptyPatch().copy(narrative = "Principal felt faint at lunch; water and shade, recovered", severity = Severity.LOW))
        log.quickLog(Category.MEDIA, null)
        return van
    }

    @Test
    fun `home, quick log, incidents, detail`() {
        Harness(dir, create = true).use { h ->
            val van = day(h)
            val venue = h.vigil.advance().listVenues().single().id
            val t = h.vigil.advance().builtinTemplates().first { it.kind == app.vigil.core.model.TemplateKind.VENUE }
            h.vigil.advance().startWalk(t.id, null, WalkSubject.Venue(venue), "Officer A")

            val home = HomePresenter(h.vigil, h.scope, time = TEST_TIME).state.awaitState { !it.loading }
            Screens.renderAll("home") { HomeScreen(home, {}, {}) }
            // The same state as the core reports it on a nearly full phone.
            val full = app.vigil.core.model.StorageStatus(availableBytes = 40uL * 1024u * 1024u, reserveBytes = 524288uL, low = true)
            val homeFull = home.copy(storageWarning = app.vigil.presentation.Words.storageWarning(full))
            Screens.renderAll("home-storage-low") { HomeScreen(homeFull, {}, {}) }

            val quick = QuickLogPresenter(h.vigil, { LONDON }, h.scope, time = TEST_TIME)
            val tiles = quick.state.awaitState { it.fix != "No fix" }
            Screens.renderAll("quicklog-tiles") { QuickLogScreen(tiles, {}) }
            quick.onIntent(QuickLogIntent.Log(Category.APPROACH_OR_THREAT))
            quick.state.awaitState { it.logged != null }
            quick.onIntent(QuickLogIntent.SeverityPicked(Severity.MEDIUM))
            quick.onIntent(QuickLogIntent.NarrativeChanged("Man tried to hand the principal an envelope"))
            val details = quick.state.value
            Screens.renderAll("quicklog-details", 1100) { QuickLogScreen(details, {}, {}) }

            val list = IncidentsPresenter(h.vigil, h.scope, time = TEST_TIME).state.awaitState { !it.loading && it.rows.size == 4 }
            Screens.renderAll("incidents", 1100) { IncidentsScreen(list, {}, {}) }

            val detail = IncidentDetailPresenter(h.vigil, van, h.scope, time = TEST_TIME)
            val opened = detail.state.awaitState { it.card != null && it.chain != null }
            detail.onIntent(IncidentDetailIntent.ShowThumbnail(opened.attachments.single().id))
            val d = detail.state.awaitState { it.thumbnails.size == 1 }
            Screens.renderAll("incident-detail", 1800) { IncidentDetailScreen(d, {}, {}, photos = skiaPhotos) }
            detail.onIntent(IncidentDetailIntent.StartAmend)
            detail.onIntent(IncidentDetailIntent.SeverityPicked(Severity.CRITICAL))
            val amending = detail.state.value
            Screens.renderAll("incident-amend", 900) { IncidentDetailScreen(amending, {}) }
        }
    }

    @Test
    fun `advance work, a walk, sync, settings`() {
        Harness(dir, create = true).use { h ->
            day(h)
            val adv = AdvancePresenter(h.vigil, { LONDON }, h.scope)
            val routeId = adv.state.awaitState { !it.loading }.routes.single().id
            adv.onIntent(app.vigil.presentation.advance.AdvanceIntent.WatchRoute(routeId))
            adv.state.awaitState { it.watch != null }
            val venue = adv.state.value.venues.single().id
            val t = h.vigil.advance().builtinTemplates().first { it.kind == app.vigil.core.model.TemplateKind.VENUE }
            adv.onIntent(app.vigil.presentation.advance.AdvanceIntent.StartWalk(t.id, WalkSubject.Venue(venue)))
            val walkId = adv.state.awaitState { it.startedWalkId != null }.startedWalkId!!
            adv.onIntent(app.vigil.presentation.advance.AdvanceIntent.Refresh)
            val advState = adv.state.awaitState { it.walks.isNotEmpty() && it.watch != null }
            Screens.renderAll("advance", 1800) { AdvanceScreen(advState, {}, {}) }
            adv.onIntent(app.vigil.presentation.advance.AdvanceIntent.ChooseTemplate(t.id))
            val choosing = adv.state.awaitState { it.starting != null }
            Screens.renderAll("advance-start-walk") { AdvanceScreen(choosing, {}, {}) }
            adv.onIntent(app.vigil.presentation.advance.AdvanceIntent.CancelStart)

            val walk = WalkPresenter(h.vigil, walkId, { LONDON }, h.scope)
            val items = walk.state.awaitState { it.sections.isNotEmpty() }.sections.flatMap { it.items }
            val checks = items.filter { it.style == AnswerStyle.CHECK }
            walk.onIntent(WalkIntent.Check(checks[0].id, CheckState.OK))
            walk.state.awaitState { s -> !s.busy && s.sections.flatMap { it.items }.first { it.id == checks[0].id }.answer != null }
            walk.onIntent(WalkIntent.NoteChanged(checks[1].id, "Fire door propped open"))
            walk.onIntent(WalkIntent.Check(checks[1].id, CheckState.ISSUE))
            walk.state.awaitState { it.issues == 1 && !it.busy }
            walk.onIntent(WalkIntent.AttachPhoto(checks[1].id, app.vigil.presentation.realPhoto(dir, "door.png")))
            val w = walk.state.awaitState { s -> !s.busy && s.sections.flatMap { it.items }.first { it.id == checks[1].id }.photos == 1 }
            Screens.renderAll("walk", 1700) { WalkScreen(w, {}, {}) }
            walk.onIntent(WalkIntent.RaiseIncident(checks[1].id))
            walk.onIntent(WalkIntent.RaiseCategoryPicked(Category.HOSTILE_SURVEILLANCE))
            val raising = walk.state.awaitState { it.raising?.category == Category.HOSTILE_SURVEILLANCE }
            // Only the section of the item raised: the sheet opens under it.
            val sheet = raising.copy(sections = raising.sections.filter { s -> s.items.any { it.id == checks[1].id } })
            Screens.renderAll("walk-raise-incident", 3000) { WalkScreen(sheet, {}, {}) }
            walk.onIntent(WalkIntent.CancelRaise)

            val sync = SyncPresenter(h.vigil, h.scope, time = TEST_TIME).state.awaitState { !it.loading }
            Screens.renderAll("sync-enroll", 900) { SyncScreen(sync, {}) }
            // Enrolled in a team on a real vigil-server on loopback, after "sync now".
            val serverDir = dir.resolve("server")
            val team = app.vigil.testsupport.serverAdmin(serverDir, "create-team", "Alpha")
            app.vigil.testsupport.ServerProcess(serverDir).use { server ->
                val sp = SyncPresenter(h.vigil, h.scope, time = TEST_TIME)
                sp.state.awaitState { !it.loading }
                sp.onIntent(app.vigil.presentation.sync.SyncIntent.ServerChanged(server.url))
                sp.onIntent(app.vigil.presentation.sync.SyncIntent.CodeChanged(server.code(team)))
                sp.onIntent(app.vigil.presentation.sync.SyncIntent.Enroll)
                sp.state.awaitState { it.indicator.enrolled && !it.busy }
                sp.onIntent(app.vigil.presentation.sync.SyncIntent.SyncNow)
                val synced = sp.state.awaitState { it.message != null && !it.busy }
                Screens.renderAll("sync-status", 900) { SyncScreen(synced, {}) }
            }

            val settings = SettingsPresenter(h.vigil, "Vigil 0.1.0", h.scope).state.awaitState { it.about != null }
            Screens.renderAll("settings", 1500) { SettingsScreen(settings, {}, {}) }
        }
    }

    @Test
    fun `the tab bar`() {
        // Each word whole: at 200 % font the tabs wrap onto a second line rather than cut one.
        Screens.renderAll("tabs", 240) {
            androidx.compose.material3.Surface(
                color = androidx.compose.material3.MaterialTheme.colorScheme.background,
                modifier = androidx.compose.ui.Modifier.fillMaxSize(),
            ) {
                TabBar(Tab.INCIDENTS) {}
            }
        }
    }
}
