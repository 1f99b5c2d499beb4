package app.vigil.ui

import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.assertTextContains
import androidx.compose.ui.test.assertCountEquals
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performTextInput
import androidx.compose.ui.test.runComposeUiTest
import app.vigil.core.model.Category
import app.vigil.presentation.GOOD_PASSPHRASE
import app.vigil.presentation.Harness
import app.vigil.presentation.LONDON
import app.vigil.presentation.TEST_TIME
import app.vigil.presentation.awaitState
import app.vigil.presentation.Camera
import app.vigil.presentation.incidents.IncidentDetailIntent
import app.vigil.presentation.incidents.IncidentDetailPresenter
import app.vigil.presentation.quicklog.QuickLogIntent
import app.vigil.presentation.incidents.emptyPatch
import app.vigil.presentation.quicklog.QuickLogPresenter
import app.vigil.presentation.unlock.UnlockPresenter
import app.vigil.presentation.unlock.UnlockStage
import app.vigil.ui.incidents.IncidentDetailScreen
import app.vigil.ui.quicklog.QuickLogScreen
import app.vigil.ui.unlock.UnlockScreen
import kotlinx.coroutines.launch
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * The officer's main paths, driven through the real screens (click, type, read) over real
 * presenters and a real store.
 */
@OptIn(ExperimentalTestApi::class)
class MainPathsUiTest {
    @TempDir
    lateinit var dir: Path

    private val wait = 30_000L

    @Test
    fun `unlock - wrong passphrase shows the attempts left, the right one opens`() {
        Harness(dir, create = true).use { h ->
            h.vigil.vault().setWipePolicy(5u)
            h.vigil.lock()
            val p = UnlockPresenter(h.vigil, h.scope)
            runComposeUiTest {
                setContent {
                    val s by p.state.collectAsState()
                    VigilTheme(dark = true) { UnlockScreen(s, p::onIntent) }
                }
                waitUntil(timeoutMillis = wait) { p.state.value.stage == UnlockStage.LOCKED }
                onNodeWithTag("submit").assertIsNotEnabled()
                onNodeWithTag("passphrase").performTextInput("lantern orbit")
                onNodeWithTag("submit").assertIsEnabled().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.error != null }
                onNodeWithTag("error").assertTextContains("4 attempts left", substring = true)
                onNodeWithTag("passphrase").performTextInput(GOOD_PASSPHRASE)
                onNodeWithTag("submit").performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.stage == UnlockStage.UNLOCKED }
                onNodeWithText("Unlocked").assertExists()
            }
        }
    }

    @Test
    fun `quick log - one tap on a tile, then details typed and saved`() {
        Harness(dir, create = true).use { h ->
            val p = QuickLogPresenter(h.vigil, { LONDON }, h.scope, time = TEST_TIME)
            runComposeUiTest {
                setContent {
                    val s by p.state.collectAsState()
                    VigilTheme(dark = false) { QuickLogScreen(s, p::onIntent) }
                }
                waitUntil(timeoutMillis = wait) { p.state.value.fix == "±8 m" }
                onNodeWithTag("fix").assertTextContains("±8 m", substring = true)
                onNodeWithTag("tile-MEDICAL").performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.logged != null }
                onNodeWithTag("logged").assertExists()
                onNodeWithText("Logged: Medical").assertExists()
                onNodeWithTag("save-details").performScrollTo().assertIsNotEnabled()
                onNodeWithTag("narrative").performScrollTo().performTextInput("Principal fainted on the steps")
                onNodeWithText("High").performScrollTo().performClick()
                onNodeWithTag("save-details").performScrollTo().assertIsEnabled().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.message != null }
                onNodeWithTag("message").assertTextContains("Details added", substring = true)
            }
            val id = p.state.value.logged!!.incidentId
            val view = h.vigil.incidents().get(id)
            assertEquals("Principal fainted on the steps", view.current.narrative)
            assertEquals(Category.MEDICAL, view.current.category)
        }
    }

    @Test
    fun `camera - a photo from quick log is sealed, then listed on the incident with another`() {
        Harness(dir, create = true).use { h ->
            var shots = 0
            // The platform's camera: each shot leaves a real PNG file, as the phone's does.
            val camera = Camera { app.vigil.presentation.realPhoto(dir, "shot-${++shots}.png") }
            val p = QuickLogPresenter(h.vigil, { LONDON }, h.scope, time = TEST_TIME)
            runComposeUiTest {
                setContent {
                    val s by p.state.collectAsState()
                    VigilTheme(dark = true) {
                        QuickLogScreen(s, p::onIntent, { h.scope.launch { camera.takePhoto()?.let { p.onIntent(QuickLogIntent.AttachPhoto(it)) } } })
                    }
                }
                onNodeWithTag("tile-SECURITY_BREACH").performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.logged != null }
                onNodeWithTag("take-photo").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.logged?.photos == 1 }
                onNodeWithText("1 photo(s) sealed").assertExists()
                onNodeWithTag("message").assertTextContains("Photo sealed", substring = true)
            }
            val id = p.state.value.logged!!.incidentId
            val d = IncidentDetailPresenter(h.vigil, id, h.scope, time = TEST_TIME)
            runComposeUiTest {
                setContent {
                    val s by d.state.collectAsState()
                    VigilTheme(dark = false) {
                        IncidentDetailScreen(s, d::onIntent, { h.scope.launch { camera.takePhoto()?.let { d.onIntent(IncidentDetailIntent.Attach(it)) } } })
                    }
                }
                waitUntil(timeoutMillis = wait) { d.state.value.attachments.size == 1 }
                onNodeWithText("taken 11:58", substring = true).performScrollTo().assertExists()
                onNodeWithTag("take-photo").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { d.state.value.attachments.size == 2 && !d.state.value.busy }
                for (a in d.state.value.attachments) onNodeWithTag("attachment-${a.id}").performScrollTo().assertExists()
                onAllNodesWithText("Photo · ", substring = true).assertCountEquals(2)
            }
            assertEquals(2, h.vigil.incidents().get(id).current.attachments.size)
            assertEquals(0, java.nio.file.Files.list(dir).use { l -> l.filter { it.fileName.toString().startsWith("shot-") }.count() }.toInt(),
                "no plaintext photo left behind")
        }
    }

    @Test
    fun `auto-lock - the app left alone locks the store and shows the unlock screen`() {
        Harness(dir, create = true).use { h ->
            runComposeUiTest {
                setContent {
                    VigilApp(h.vigil, h.scope, { LONDON }, dark = true, appVersion = "test", exportPath = { null }, autoLockMs = 1_500)
                }
                waitUntil(timeoutMillis = wait) { onAllNodesWithText("Log incident").fetchSemanticsNodes().isNotEmpty() }
                waitUntil(timeoutMillis = wait) { !h.vigil.isUnlocked() }
                waitUntil(timeoutMillis = wait) { onAllNodesWithText("Vigil is locked").fetchSemanticsNodes().isNotEmpty() }
                onNodeWithTag("passphrase").performTextInput(GOOD_PASSPHRASE)
                onNodeWithTag("submit").performClick()
                waitUntil(timeoutMillis = wait) { h.vigil.isUnlocked() }
                waitUntil(timeoutMillis = wait) { onAllNodesWithText("Log incident").fetchSemanticsNodes().isNotEmpty() }
            }
        }
    }

    @Test
    fun `advance - a tap on a checklist, then on the venue, starts the walk there`() {
        Harness(dir, create = true).use { h ->
            app.vigil.presentation.advance.seedAdvance(h.vigil.advance())
            val p = app.vigil.presentation.advance.AdvancePresenter(h.vigil, { LONDON }, h.scope)
            val t = h.vigil.advance().listTemplates().first { it.kind == app.vigil.core.model.TemplateKind.VENUE }
            runComposeUiTest {
                setContent {
                    val s by p.state.collectAsState()
                    VigilTheme(dark = true) { app.vigil.ui.advance.AdvanceScreen(s, p::onIntent, {}) }
                }
                waitUntil(timeoutMillis = wait) { !p.state.value.loading }
                onNodeWithTag("template-${t.id}").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.starting != null }
                onNodeWithText("Start this walk for").assertExists()
                onNodeWithText("Venue: Guildhall").performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.startedWalkId != null }
            }
            val walk = h.vigil.advance().getWalk(p.state.value.startedWalkId!!)
            assertEquals(h.vigil.advance().listVenues().single().id, (walk.subject as app.vigil.core.model.WalkSubject.Venue).venueId)
        }
    }

    @Test
    fun `photos - a sealed photo shows as a thumbnail, a broken one as its text row`() {
        Harness(dir, create = true).use { h ->
            val id = h.vigil.incidents().quickLog(Category.SUSPICIOUS_ACTIVITY, null).incidentId
            val d = IncidentDetailPresenter(h.vigil, id, h.scope, time = TEST_TIME)
            d.state.awaitState { it.card != null }
            d.onIntent(IncidentDetailIntent.Attach(app.vigil.presentation.realPhoto(dir, "door.png")))
            d.state.awaitState { it.attachments.size == 1 && !it.busy }
            // Bytes that claim to be a PNG and are not: the decoder refuses them.
            val broken = dir.resolve("broken.png").also { java.nio.file.Files.write(it, ByteArray(300) { i -> i.toByte() }) }
            d.onIntent(IncidentDetailIntent.Attach(app.vigil.presentation.Capture(broken.toString(), "image/png", null)))
            val s = d.state.awaitState { it.attachments.size == 2 && !it.busy }
            val (good, bad) = s.attachments
            runComposeUiTest {
                setContent {
                    val st by d.state.collectAsState()
                    VigilTheme(dark = false) { IncidentDetailScreen(st, d::onIntent, photos = skiaPhotos) }
                }
                waitUntil(timeoutMillis = wait) { d.state.value.thumbnails.size == 2 }
                onNodeWithTag("thumbnail-${good.id}").performScrollTo().assertExists()
                onNodeWithTag("thumbnail-${bad.id}").assertDoesNotExist()
                onNodeWithTag("attachment-${bad.id}").performScrollTo().assertExists()
                onAllNodesWithText("Photo · ", substring = true).assertCountEquals(2)
            }
        }
    }

    @Test
    fun `walk - an issue raised as an incident with the category and severity the officer picked`() {
        Harness(dir, create = true).use { h ->
            app.vigil.presentation.advance.seedAdvance(h.vigil.advance())
            val t = h.vigil.advance().listTemplates().first { it.kind == app.vigil.core.model.TemplateKind.VENUE }
            val venue = h.vigil.advance().listVenues().single().id
            val walkId = h.vigil.advance().startWalk(t.id, null, app.vigil.core.model.WalkSubject.Venue(venue), "Officer A").id
            val p = app.vigil.presentation.advance.WalkPresenter(h.vigil, walkId, { LONDON }, h.scope)
            val check = p.state.awaitState { it.sections.isNotEmpty() }.sections.flatMap { it.items }
                .first { it.style == app.vigil.presentation.advance.AnswerStyle.CHECK }
            p.onIntent(app.vigil.presentation.advance.WalkIntent.NoteChanged(check.id, "Fire door propped open"))
            p.onIntent(app.vigil.presentation.advance.WalkIntent.Check(check.id, app.vigil.core.model.CheckState.ISSUE))
            p.state.awaitState { it.issues == 1 && !it.busy }
            runComposeUiTest {
                setContent {
                    val s by p.state.collectAsState()
                    VigilTheme(dark = false) { app.vigil.ui.advance.WalkScreen(s, p::onIntent) }
                }
                onNodeWithTag("raise-${check.id}").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.raising != null }
                onNodeWithTag("raise-category-MEDICAL").performScrollTo().performClick()
                onNodeWithTag("raise-severity-CRITICAL").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.raising?.severity == app.vigil.core.model.Severity.CRITICAL }
                onNodeWithTag("raise-confirm").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.raisedIncidentId != null }
                onNodeWithText("Medical incident raised in the log from this item.").assertExists()
            }
            val incident = h.vigil.incidents().get(p.state.value.raisedIncidentId!!)
            assertEquals(Category.MEDICAL, incident.current.category)
            assertEquals(app.vigil.core.model.Severity.CRITICAL, incident.current.severity)
        }
    }

    @Test
    fun `export - a package from settings and one from an incident verify and go to the platform`() {
        Harness(dir, create = true).use { h ->
            val theft = h.vigil.incidents().quickLog(Category.THEFT_OR_LOSS, null).incidentId
            h.vigil.incidents().quickLog(Category.MEDIA, null)
            var n = 0
            val out = { dir.resolve("evidence-${++n}.zip").toString() }
            var shared: String? = null
            runComposeUiTest {
                setContent {
                    VigilApp(
                        h.vigil, h.scope, { LONDON }, dark = false, appVersion = "test",
                        exportPath = out, onExported = { shared = it },
                    )
                }
                waitUntil(timeoutMillis = wait) { onAllNodesWithText("Settings").fetchSemanticsNodes().isNotEmpty() }
                onNodeWithText("Settings").performClick()
                onNodeWithTag("export").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { shared != null }
                onNodeWithText("Evidence package written: 2 incident(s)", substring = true).assertExists()
            }
            assertEquals(dir.resolve("evidence-1.zip").toString(), shared)
            val all = app.vigil.core.verifyPackage(shared!!)
            assertTrue(all.ok, "the package verifies on its own: $all")
            assertEquals(2, all.incidents.size)

            val d = IncidentDetailPresenter(h.vigil, theft, h.scope, time = TEST_TIME)
            shared = null
            runComposeUiTest {
                setContent {
                    val s by d.state.collectAsState()
                    androidx.compose.runtime.LaunchedEffect(s.exported) { s.exported?.let { shared = it } }
                    VigilTheme(dark = true) {
                        IncidentDetailScreen(s, d::onIntent, onExport = { d.onIntent(IncidentDetailIntent.ExportPackage(out())) })
                    }
                }
                waitUntil(timeoutMillis = wait) { d.state.value.card != null }
                onNodeWithTag("export").performScrollTo().performClick()
                waitUntil(timeoutMillis = wait) { shared != null }
            }
            val one = app.vigil.core.verifyPackage(shared!!)
            assertTrue(one.ok, "$one")
            assertEquals(listOf(theft), one.incidents, "only this incident is disclosed")
        }
    }

    @Test
    fun `amend - the save button waits for a reason, the history shows it`() {
        Harness(dir, create = true).use { h ->
            val log = h.vigil.incidents()
            val id = log.quickLog(Category.MEDIA, null).incidentId
            log.amend(id, "details", emptyPatch().copy(narrative = "Photographer at the side entrance"))
            val p = IncidentDetailPresenter(h.vigil, id, h.scope, time = TEST_TIME)
            runComposeUiTest {
                setContent {
                    val s by p.state.collectAsState()
                    VigilTheme(dark = true) { IncidentDetailScreen(s, p::onIntent) }
                }
                waitUntil(timeoutMillis = wait) { p.state.value.card != null }
                onNodeWithTag("amend").performScrollTo().performClick()
                onNodeWithTag("amend-narrative").performTextInput(" with a long lens")
                onNodeWithTag("amend-save").performScrollTo().assertIsNotEnabled()
                onNodeWithTag("amend-reason").performScrollTo().performTextInput("Seen again at 15:10")
                onNodeWithTag("amend-save").performScrollTo().assertIsEnabled().performClick()
                waitUntil(timeoutMillis = wait) { p.state.value.history.size == 3 }
                onNodeWithText("“Seen again at 15:10”").performScrollTo().assertExists()
            }
        }
    }
}
