package app.vigil.presentation.home

import app.vigil.core.model.Category
import app.vigil.core.model.TemplateKind
import app.vigil.core.model.WalkSubject
import app.vigil.presentation.advance.seedAdvance
import app.vigil.presentation.Harness
import app.vigil.presentation.TEST_TIME
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull

class HomePresenterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `recent incidents newest first, the walk in progress, sync not set up`() {
        Harness(dir, create = true).use { h ->
            val log = h.vigil.incidents()
            log.quickLog(Category.MEDIA, null)
            log.quickLog(Category.CROWD_OR_PROTEST, null)
            seedAdvance(h.vigil.advance())
            val t = h.vigil.advance().builtinTemplates().first { it.kind == TemplateKind.VENUE }
            val venue = h.vigil.advance().listVenues().single().id
            h.vigil.advance().startWalk(t.id, null, WalkSubject.Venue(venue), "Officer A")

            val p = HomePresenter(h.vigil, h.scope, time = TEST_TIME)
            val s = p.state.awaitState { !it.loading }
            assertEquals("Officer A", s.officer)
            assertEquals(2, s.recent.size)
            val walk = assertNotNull(s.walk)
            assertEquals(t.title, walk.title)
            assertEquals("0 of ${t.sections.sumOf { it.items.size }} checks", walk.progress)
            assertFalse(s.sync.enrolled)
            assertEquals("Not in a team yet", s.sync.line)
            // The test machine's disk has room: no warning (the core decides what "low" is).
            assertEquals(null, s.storageWarning)

            log.quickLog(Category.OTHER, null)
            p.onIntent(HomeIntent.Refresh)
            p.state.awaitState { it.recent.size == 3 }
        }
    }

    @Test
    fun `low storage is put in words that say what is left and what to do`() {
        val low = app.vigil.core.model.StorageStatus(availableBytes = (40uL * 1024u * 1024u), reserveBytes = 524288uL, low = true)
        assertEquals(
            "Phone storage almost full: 40 MB left. Free space now so you can keep logging; quick logs have a small reserve.",
            app.vigil.presentation.Words.storageWarning(low),
        )
        val roomy = low.copy(availableBytes = 8uL * 1024u * 1024u * 1024u, low = false)
        assertEquals(null, app.vigil.presentation.Words.storageWarning(roomy))
    }
}
