package app.vigil.presentation.incidents

import app.vigil.core.model.Category
import app.vigil.core.model.Severity
import app.vigil.presentation.Harness
import app.vigil.presentation.TEST_TIME
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class IncidentsPresenterTest {
    @TempDir
    lateinit var dir: Path

    private fun seed(h: Harness): Map<String, String> {
        val log = h.vigil.incidents()
        val a = log.quickLog(Category.HOSTILE_SURVEILLANCE, null).incidentId
        log.amend(a, "details", emptyPatch().copy(narrative = "Grey van parked opposite the hotel", severity = Severity.HIGH))
        val b = log.quickLog(Category.MEDICAL, null).incidentId
        log.amend(b, "details", emptyPatch().copy(narrative = "Principal felt faint at lunch", severity = Severity.LOW))
        return mapOf("van" to a, "faint" to b)
    }

    /** The incident, its page's presenter (settled), and the photo as the camera wrote it (bytes, path). */
    private data class Attached(val id: String, val p: IncidentDetailPresenter, val bytes: ByteArray, val path: Path)

    /** The seeded van incident's page, once a real photo named [name] was attached from it. */
    private fun vanWithPhoto(h: Harness, name: String): Attached {
        val id = seed(h)["van"]!!
        val photo = app.vigil.presentation.realPhoto(dir, name)
        val bytes = Files.readAllBytes(Path.of(photo.path))
        val p = IncidentDetailPresenter(h.vigil, id, h.scope, time = TEST_TIME)
        p.state.awaitState { it.card != null }
        p.onIntent(IncidentDetailIntent.Attach(photo))
        p.state.awaitState { it.attachments.size == 1 && !it.busy }
        return Attached(id, p, bytes, Path.of(photo.path))
    }

    @Test
    fun `list, filter by category and severity, search`() {
        Harness(dir, create = true).use { h ->
            val ids = seed(h)
            val p = IncidentsPresenter(h.vigil, h.scope, time = TEST_TIME)
            val all = p.state.awaitState { !it.loading && it.rows.size == 2 }
            assertEquals(setOf("Hostile surveillance", "Medical"), all.rows.map { it.title }.toSet())

            p.onIntent(IncidentsIntent.CategoryPicked(Category.MEDICAL))
            val med = p.state.awaitState { !it.loading && it.rows.size == 1 }
            assertEquals(ids["faint"], med.rows[0].id)
            assertTrue(med.categories.first { it.value == Category.MEDICAL }.selected)

            p.onIntent(IncidentsIntent.CategoryPicked(null))
            p.onIntent(IncidentsIntent.MinSeverityPicked(Severity.HIGH))
            val high = p.state.awaitState { !it.loading && it.rows.size == 1 && it.rows[0].id == ids["van"] }
            assertTrue(high.rows[0].severe)

            p.onIntent(IncidentsIntent.MinSeverityPicked(null))
            p.onIntent(IncidentsIntent.QueryChanged("faint"))
            val found = p.state.awaitState { !it.loading && it.query == "faint" && it.rows.size == 1 }
            assertEquals(ids["faint"], found.rows[0].id)

            p.onIntent(IncidentsIntent.QueryChanged("helicopter"))
            assertTrue(p.state.awaitState { !it.loading && it.query == "helicopter" }.empty)
        }
    }

    @Test
    fun `a search honours the category, severity and period filters`() {
        Harness(dir, create = true).use { h ->
            val ids = seed(h)
            // A third incident that matches the text but not the filters: a medical one, low.
            val log = h.vigil.incidents()
            val c = log.quickLog(Category.MEDICAL, null).incidentId
            log.amend(c, "details", emptyPatch().copy(narrative = "Driver saw the grey van again", severity = Severity.LOW))
            // The presenter's "now" is real time here: the seeded incidents are minutes old.
            val p = IncidentsPresenter(h.vigil, h.scope)
            p.onIntent(IncidentsIntent.QueryChanged("grey van"))
            val both = p.state.awaitState { !it.loading && it.query == "grey van" && it.rows.size == 2 }
            assertEquals(setOf(ids["van"], c), both.rows.map { it.id }.toSet())

            p.onIntent(IncidentsIntent.CategoryPicked(Category.HOSTILE_SURVEILLANCE))
            val byCategory = p.state.awaitState { !it.loading && it.category != null && it.rows.size == 1 }
            assertEquals(ids["van"], byCategory.rows[0].id)

            p.onIntent(IncidentsIntent.CategoryPicked(null))
            p.onIntent(IncidentsIntent.MinSeverityPicked(Severity.MEDIUM))
            val bySeverity = p.state.awaitState { !it.loading && it.category == null && it.minSeverity != null && it.rows.size == 1 }
            assertEquals(ids["van"], bySeverity.rows[0].id)

            p.onIntent(IncidentsIntent.MinSeverityPicked(null))
            p.onIntent(IncidentsIntent.PeriodPicked(Period.DAY))
            val today = p.state.awaitState { !it.loading && it.period == Period.DAY && it.minSeverity == null && it.rows.size == 2 }
            assertTrue(today.periods.first { it.value == Period.DAY }.selected)
        }
        // Against a clock a year on, nothing happened in the last 30 days.
        Harness(dir).use { h ->
            h.vigil.unlock(app.vigil.presentation.GOOD_PASSPHRASE.toByteArray())
            val later = app.vigil.presentation.TimeWords(
                java.time.ZoneOffset.UTC,
                java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofDays(365)),
            )
            val p = IncidentsPresenter(h.vigil, h.scope, time = later)
            p.state.awaitState { !it.loading && it.rows.size == 3 }
            p.onIntent(IncidentsIntent.QueryChanged("grey van"))
            p.onIntent(IncidentsIntent.PeriodPicked(Period.MONTH))
            assertTrue(p.state.awaitState { !it.loading && it.period == Period.MONTH && it.query == "grey van" }.empty)
        }
    }

    @Test
    fun `detail - a photo row carries the photo's bytes once shown, a broken or non-photo one stays text`() {
        Harness(dir, create = true).use { h ->
            val (id, p, png) = vanWithPhoto(h, "door.png")
            val s = p.state.value
            val row = s.attachments.single()
            assertTrue(row.photo)
            assertTrue(s.thumbnails.isEmpty(), "nothing is read before the row is on screen")
            p.onIntent(IncidentDetailIntent.ShowThumbnail(row.id))
            val shown = p.state.awaitState { row.id in it.thumbnails }
            assertTrue(png.contentEquals(shown.thumbnails[row.id]), "the thumbnail is the sealed PNG, byte for byte")
            // The core refuses more than the cap asked for; nothing is decrypted.
            val e = kotlin.runCatching { h.vigil.incidents().attachmentBytes(id, row.id, 10uL) }.exceptionOrNull()
            assertTrue(e is app.vigil.core.model.IncidentException.InvalidInput, "got $e")
            // A text file is listed, never read for a thumbnail.
            val notes = dir.resolve("notes.txt").also { Files.writeString(it, "plain notes") }
            p.onIntent(IncidentDetailIntent.Attach(app.vigil.presentation.Capture(notes.toString(), "text/plain", null)))
            val both = p.state.awaitState { it.attachments.size == 2 && !it.busy }
            val text = both.attachments.first { it.id != row.id }
            assertFalse(text.photo)
            p.onIntent(IncidentDetailIntent.ShowThumbnail(text.id))
            p.onIntent(IncidentDetailIntent.Refresh)
            val after = p.state.awaitState { it.chain != null && !it.busy }
            assertEquals(setOf(row.id), after.thumbnails.keys)
        }
    }

    @Test
    fun `detail shows the whole history, amending needs a reason and keeps the original`() {
        Harness(dir, create = true).use { h ->
            val id = seed(h)["van"]!!
            val p = IncidentDetailPresenter(h.vigil, id, h.scope, time = TEST_TIME)
            val s = p.state.awaitState { it.card != null }
            assertEquals("Grey van parked opposite the hotel", s.card!!.narrative)
            assertEquals(listOf("Reported", "Amended"), s.history.map { it.title })
            assertEquals("Changed: severity, narrative", s.history[1].changes)
            assertTrue(s.chainOk)
            assertTrue(s.chain!!.startsWith("Log verified"), s.chain)

            p.onIntent(IncidentDetailIntent.StartAmend)
            p.onIntent(IncidentDetailIntent.NarrativeChanged("Grey van parked opposite the hotel, index LX19 ABC"))
            assertFalse(p.state.value.canSaveAmendment, "no reason yet")
            p.onIntent(IncidentDetailIntent.ReasonChanged("   "))
            assertFalse(p.state.value.canSaveAmendment, "a blank reason is no reason")
            p.onIntent(IncidentDetailIntent.ReasonChanged("Plate read from CCTV"))
            assertTrue(p.state.value.canSaveAmendment)
            p.onIntent(IncidentDetailIntent.SaveAmendment)
            val after = p.state.awaitState { it.history.size == 3 }
            assertNull(after.amend)
            assertEquals("Plate read from CCTV", after.history[2].reason)
            assertEquals("Changed: narrative", after.history[2].changes)
            assertEquals("Grey van parked opposite the hotel, index LX19 ABC", after.card!!.narrative)
            val view = h.vigil.incidents().get(id)
            assertEquals("Grey van parked opposite the hotel", view.history[1].patch!!.narrative, "the earlier text stays")
        }
    }

    @Test
    fun `a photo is attached by an amendment and listed`() {
        Harness(dir, create = true).use { h ->
            val (id, p, bytes, photo) = vanWithPhoto(h, "van.png")
            val s = p.state.value
            val size = if (bytes.size < 1024) "${bytes.size} B" else "${bytes.size / 1024} KB"
            assertEquals("Photo · $size · taken 11:58", s.attachments[0].words)
            assertEquals(3, s.history.size)
            assertEquals("Changed: attachments", s.history[2].changes)
            assertFalse(Files.exists(photo), "the camera's plaintext file is deleted once sealed")
            val ref = h.vigil.incidents().get(id).current.attachments.single()
            assertEquals(app.vigil.presentation.sha256Hex(bytes), ref.sha256)
            val back = dir.resolve("back.png")
            h.vigil.incidents().readAttachmentToFile(ref.id, back.toString())
            assertTrue(bytes.contentEquals(Files.readAllBytes(back)))
        }
    }

    @Test
    fun `a photo that cannot be read is explained and nothing changes`() {
        Harness(dir, create = true).use { h ->
            val id = seed(h)["van"]!!
            val p = IncidentDetailPresenter(h.vigil, id, h.scope, time = TEST_TIME)
            p.state.awaitState { it.card != null }
            val empty = dir.resolve("empty.jpg")
            Files.write(empty, ByteArray(0))
            p.onIntent(IncidentDetailIntent.Attach(app.vigil.presentation.Capture(empty.toString(), "image/jpeg", null)))
            assertEquals("The file is empty: nothing was attached.", p.state.awaitState { it.error != null }.error)
            assertTrue(Files.exists(empty), "a capture that was not sealed is kept")
            assertEquals(2, h.vigil.incidents().get(id).history.size)
        }
    }

    @Test
    fun `an unknown incident is explained, not thrown`() {
        Harness(dir, create = true).use { h ->
            val p = IncidentDetailPresenter(h.vigil, "no-such-incident", h.scope, time = TEST_TIME)
            val s = p.state.awaitState { it.error != null }
            assertTrue(s.error == "That incident is not on this phone." || s.error == "That was not accepted. Check what you typed.", s.error)
        }
    }
}
