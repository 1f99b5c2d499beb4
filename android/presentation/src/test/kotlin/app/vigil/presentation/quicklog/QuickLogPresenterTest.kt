package app.vigil.presentation.quicklog

import app.vigil.core.model.Category
import app.vigil.core.model.Severity
import app.vigil.presentation.Harness
import app.vigil.presentation.LONDON
import app.vigil.presentation.PositionProvider
import app.vigil.presentation.TEST_TIME
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

class QuickLogPresenterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `ten tiles, one tap logs with the fix, details follow as an amendment`() {
        Harness(dir, create = true).use { h ->
            val changes = java.util.concurrent.atomic.AtomicInteger()
            h.vigil.onLocalChange = { changes.incrementAndGet() }
            val p = QuickLogPresenter(h.vigil, { LONDON }, h.scope, time = TEST_TIME)
            val s0 = p.state.awaitState { it.fix != "No fix" }
            assertEquals(10, s0.tiles.size)
            assertEquals("±8 m", s0.fix)
            assertEquals("Hostile surveillance", s0.tiles[1].label)

            p.onIntent(QuickLogIntent.Log(Category.HOSTILE_SURVEILLANCE))
            val logged = p.state.awaitState { it.logged != null }.logged!!
            assertEquals("Hostile surveillance", logged.what)
            assertEquals("Place recorded (±8 m)", logged.place)
            assertFalse(p.state.value.canSaveDetails, "nothing typed yet")

            p.onIntent(QuickLogIntent.SeverityPicked(Severity.HIGH))
            p.onIntent(QuickLogIntent.NarrativeChanged("Grey van, same driver as yesterday"))
            p.onIntent(QuickLogIntent.WitnessesChanged("Doorman\nPS Hale"))
            assertTrue(p.state.value.canSaveDetails)
            p.onIntent(QuickLogIntent.SaveDetails)
            p.state.awaitState { it.message != null }

            val view = h.vigil.incidents().get(logged.incidentId)
            assertEquals(Severity.HIGH, view.current.severity)
            assertEquals("Grey van, same driver as yesterday", view.current.narrative)
            assertEquals(listOf("Doorman", "PS Hale"), view.current.witnesses)
            assertEquals(2, view.history.size, "the quick entry and one amendment")
            assertEquals(QuickLogPresenter.REASON, view.history[1].reason)
            assertEquals(51.5080, view.current.location!!.latitude)
            assertEquals(2, changes.get(), "the log and the amendment each woke the sync loop")

            // A photo follows from the same screen: sealed, added by an amendment, plaintext gone.
            val photo = app.vigil.presentation.realPhoto(dir)
            val bytes = java.nio.file.Files.readAllBytes(Path.of(photo.path))
            p.onIntent(QuickLogIntent.AttachPhoto(photo))
            val withPhoto = p.state.awaitState { it.logged?.photos == 1 && !it.busy }
            assertEquals("Photo sealed and added to the hostile surveillance entry.", withPhoto.message)
            assertFalse(java.nio.file.Files.exists(Path.of(photo.path)))
            val after = h.vigil.incidents().get(logged.incidentId)
            assertEquals(3, after.history.size)
            assertEquals(app.vigil.presentation.sha256Hex(bytes), after.current.attachments.single().sha256)
            assertEquals("image/png", after.current.attachments.single().mime)
            assertEquals(3, changes.get())
        }
    }

    @Test
    fun `no fix is fine - the incident is logged without a place`() {
        Harness(dir, create = true).use { h ->
            val p = QuickLogPresenter(h.vigil, PositionProvider.NONE, h.scope, time = TEST_TIME)
            p.onIntent(QuickLogIntent.Log(Category.MEDICAL))
            val logged = p.state.awaitState { it.logged != null }.logged!!
            assertEquals("No fix: logged without a place", logged.place)
            assertEquals("No fix", p.state.value.fix)
            val view = h.vigil.incidents().get(logged.incidentId)
            assertEquals(null, view.current.location)
            assertEquals(Category.MEDICAL, view.current.category)
        }
    }

    @Test
    fun `a locked store says so in words and logs nothing`() {
        Harness(dir, create = true).use { h ->
            h.vigil.lock()
            val p = QuickLogPresenter(h.vigil, PositionProvider.NONE, h.scope, time = TEST_TIME)
            p.onIntent(QuickLogIntent.Log(Category.MEDIA))
            val s = p.state.awaitState { it.error != null }
            assertEquals("Vigil is locked. Unlock to continue.", s.error)
            assertNotNull(s.tiles)
            assertEquals(null, s.logged)
        }
    }
}
