package app.vigil.tests

import app.vigil.core.AdvanceWork
import app.vigil.core.model.AnswerValue
import app.vigil.core.model.CheckState
import app.vigil.core.HttpHeader
import app.vigil.core.HttpResponse
import app.vigil.core.model.Category as IncidentCategory
import app.vigil.core.model.IncidentFilter
import app.vigil.core.IncidentLog
import app.vigil.core.PlatformTransport
import app.vigil.core.model.WalkSubject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.random.Random
import app.vigil.testsupport.*

/**
 * Nothing the officer does waits for the network (issue 11): a platform transport holds one
 * request (a push, a pull or an attachment upload) until the test releases it; meanwhile a
 * quick log, an amendment, a checklist answer, a list and a search on another thread of the
 * same vault must all complete. Latches, not timings: the officer's calls must finish while
 * the request is still held (the long waits only guard against a hang). Then the sync
 * completes and nothing is lost or sent twice.
 */
class SyncNonBlockingTest {
    @TempDir
    lateinit var dir: Path

    private val noFilter = IncidentFilter(null, null, null, null, null, null, null)

    /** The real JVM transport, stopped once at the first request [matches] accepts. */
    private class Held(val matches: (String, ByteArray) -> Boolean) : PlatformTransport {
        private val real = JvmTransport()
        private val taken = AtomicBoolean(false)
        val inside = CountDownLatch(1)
        val release = CountDownLatch(1)

        override fun post(url: String, headers: List<HttpHeader>, body: ByteArray): HttpResponse {
            if (matches(url, body) && taken.compareAndSet(false, true)) {
                inside.countDown()
                release.await(120, TimeUnit.SECONDS)
            }
            return real.post(url, headers, body)
        }
    }

    private fun heldSync(hold: (String, ByteArray) -> Boolean) {
        val held = Held(hold)
        twoDevices(dir, "Alpha", transportA = held) { va, vb, a, b ->
            // Something for A to pull.
            IncidentLog.withOfficer(vb, "Officer B").use { it.quickLog(IncidentCategory.MEDICAL, null) }
            b.syncNow()

            // A's queued work: two incidents, one with a photo, a walk.
            val photo = dir.resolve("photo.jpg")
            Files.write(photo, Random(7).nextBytes(300 * 1024))
            val vanId = IncidentLog.withOfficer(va, "Officer A").use { log ->
                val van = log.log(report(IncidentCategory.HOSTILE_SURVEILLANCE, "Grey van opposite the entrance"))
                val q = log.quickLog(IncidentCategory.SUSPICIOUS_ACTIVITY, null)
                log.attachFile(q.incidentId, photo.toString(), "image/jpeg", null)
                van.incidentId
            }
            val (walkId, itemId) = AdvanceWork(va).use { w ->
                val walk = w.startWalk("vigil.vehicle-check", null, WalkSubject.Other("Car 2"), "Officer A")
                val item = walk.template.sections.flatMap { it.items }
                    .first { it.kind is app.vigil.core.model.ItemKind.Check }
                walk.id to item.id
            }
            val queuedBefore = a.status().pending

            val sync = Background { a.syncNow() }
            assertTrue(held.inside.await(60, TimeUnit.SECONDS), "the sync reached the held request")

            val officer = Background {
                IncidentLog.withOfficer(va, "Officer A").use { log ->
                    log.quickLog(IncidentCategory.MEDICAL, null)
                    log.amend(vanId, "more detail", NO_CHANGE.copy(narrative = "The van left at 14:05"))
                    assertTrue(log.list(noFilter, 50u, null).size >= 2)
                    assertEquals(listOf(vanId), log.search("grey van", 10u, null).map { it.incidentId })
                }
                AdvanceWork(va).use { w ->
                    w.answerItem(walkId, answer(itemId, AnswerValue.Check(CheckState.OK), officer = "Officer A"))
                }
            }
            val officerError = officer.join(120_000)
            assertFalse(officer.isAlive, "the officer's calls returned")
            assertEquals(1L, held.release.count, "... while the request was still held")
            assertNull(officerError, "the officer's calls succeeded: $officerError")

            held.release.countDown()
            val syncError = sync.join(120_000)
            assertFalse(sync.isAlive, "the held sync completed")
            assertNull(syncError, "the held sync completed: $syncError")

            // The officer's three changes went in the next batch; nothing lost.
            a.syncNow()
            assertEquals(0uL, a.status().pending)
            val r = b.syncNow()
            assertEquals(queuedBefore + 3uL, r.pulled, "B received each of A's changes once: $r")
            assertEquals(r.pulled, r.applied + r.storedOnly + r.refused + r.alreadyHad)
            IncidentLog(vb).use { log ->
                assertEquals(4, log.list(noFilter, 50u, null).size)
                assertEquals(1, log.search("van left", 10u, null).size)
            }
        }
    }

    @Test
    fun `officer calls do not wait for a held push`() =
        heldSync { url, body -> url.endsWith("/v1/push") && String(body).contains("\"entries\":[{") }

    @Test
    fun `officer calls do not wait for a held pull`() = heldSync { url, _ -> url.endsWith("/v1/pull") }

    @Test
    fun `officer calls do not wait for a held attachment upload`() =
        heldSync { url, _ -> url.endsWith("/v1/blobs/put") }
}
