package app.vigil.presentation.sync

import app.vigil.core.model.Category
import app.vigil.presentation.Harness
import app.vigil.presentation.LONDON
import app.vigil.testsupport.ServerProcess
import app.vigil.presentation.TEST_TIME
import app.vigil.presentation.awaitState
import app.vigil.presentation.home.HomePresenter
import app.vigil.presentation.incidents.IncidentDetailPresenter
import app.vigil.presentation.incidents.IncidentsPresenter
import app.vigil.presentation.quicklog.QuickLogIntent
import app.vigil.presentation.quicklog.QuickLogPresenter
import app.vigil.testsupport.serverAdmin
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Two phones, one real `vigil-server` on loopback: what one logs, the other's screens show. */
class TwoDevicesTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `enroll both, log on A, sync both, B's screens show A's incident`() {
        val serverDir = dir.resolve("server")
        val team = serverAdmin(serverDir, "create-team", "Alpha")
        ServerProcess(serverDir).use { server ->
            Harness(dir.resolve("a"), "Officer A", create = true).use { a ->
                Harness(dir.resolve("b"), "Officer B", create = true).use { b ->
                    val syncA = SyncPresenter(a.vigil, a.scope, time = TEST_TIME)
                    val syncB = SyncPresenter(b.vigil, b.scope, time = TEST_TIME)
                    val before = syncA.state.awaitState { !it.loading }
                    assertFalse(before.indicator.enrolled)
                    assertEquals("Not in a team yet", before.indicator.line)
                    assertFalse(before.canSyncNow)

                    // A wrong code is refused in words; nothing changes.
                    syncA.onIntent(SyncIntent.ServerChanged(server.url))
                    syncA.onIntent(SyncIntent.CodeChanged("not-a-code"))
                    syncA.onIntent(SyncIntent.Enroll)
                    val refused = syncA.state.awaitState { it.error != null }
                    assertEquals("The server refused the code. Ask your team lead for a new one.", refused.error)

                    syncA.onIntent(SyncIntent.CodeChanged(server.code(team)))
                    syncA.onIntent(SyncIntent.Enroll)
                    assertTrue(syncA.state.awaitState { it.indicator.enrolled }.canSyncNow)
                    syncB.onIntent(SyncIntent.ServerChanged(server.url))
                    syncB.onIntent(SyncIntent.CodeChanged(server.code(team)))
                    syncB.onIntent(SyncIntent.Enroll)
                    syncB.state.awaitState { it.indicator.enrolled }

                    val quick = QuickLogPresenter(a.vigil, { LONDON }, a.scope, time = TEST_TIME)
                    quick.onIntent(QuickLogIntent.Log(Category.APPROACH_OR_THREAT))
                    val logged = quick.state.awaitState { it.logged != null }.logged!!
                    quick.onIntent(QuickLogIntent.NarrativeChanged("Man tried to hand the principal an envelope"))
                    quick.onIntent(QuickLogIntent.SaveDetails)
                    quick.state.awaitState { it.message != null }

                    syncA.onIntent(SyncIntent.Refresh)
                    assertTrue(syncA.state.awaitState { it.indicator.pending > 0 }.indicator.line.contains("waiting"))
                    syncA.onIntent(SyncIntent.SyncNow)
                    val sentA = syncA.state.awaitState { it.message != null && !it.busy }
                    assertNull(sentA.error)
                    assertTrue(sentA.message!!.startsWith("Synced:"), sentA.message)
                    assertTrue(sentA.indicator.line.startsWith("All sent"), "the report and the status after it, together: ${sentA.indicator.line}")

                    syncB.onIntent(SyncIntent.SyncNow)
                    val gotB = syncB.state.awaitState { it.message != null && !it.busy }
                    assertNull(gotB.error)
                    assertTrue(gotB.quarantined.isEmpty())

                    val listB = IncidentsPresenter(b.vigil, b.scope, time = TEST_TIME)
                    val rows = listB.state.awaitState { !it.loading && it.rows.isNotEmpty() }.rows
                    assertEquals(logged.incidentId, rows.single().id)
                    assertEquals("Approach or threat", rows.single().title)

                    val detailB = IncidentDetailPresenter(b.vigil, logged.incidentId, b.scope, time = TEST_TIME)
                    val d = detailB.state.awaitState { it.card != null }
                    assertEquals("Man tried to hand the principal an envelope", d.card!!.narrative)
                    assertEquals(listOf("Officer A", "Officer A"), d.history.map { it.author })

                    val homeB = HomePresenter(b.vigil, b.scope, time = TEST_TIME)
                    val h = homeB.state.awaitState { !it.loading }
                    assertEquals(logged.incidentId, h.recent.single().id)
                    assertTrue(h.sync.enrolled)
                    assertTrue(h.sync.line.startsWith("All sent"), h.sync.line)
                }
            }
        }
    }
}
