package app.vigil.tests

import app.vigil.core.model.IncidentException
import app.vigil.core.IncidentLog
import app.vigil.core.SyncObserver
import app.vigil.core.model.SyncProgress
import app.vigil.core.model.*
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.random.Random
import app.vigil.testsupport.*

/**
 * An incident logged offline on one phone reaches a teammate's phone through a real
 * `vigil-server` process, verified and searchable there, exactly once.
 */
class SyncIncidentTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `an incident logged offline on one device is verified and searchable on another`() {
        twoDevices(dir, "Alpha") { va, vb, a, b ->
            // Offline on A: a report and an amendment, queued in the outbox.
            val id = IncidentLog.withOfficer(va, "Officer A").use { log ->
                val r = log.log(report(Category.HOSTILE_SURVEILLANCE, "Blue hatchback photographing the motorcade route", Severity.HIGH, gps(51.5033, -0.1276)))
                log.amend(
                    r.incidentId, "plate read from the photo",
                    NO_CHANGE.copy(tags = listOf("plate-read")),
                )
                r.incidentId
            }
            assertEquals(2uL, a.status().pending)

            val pushed = a.syncNow()
            assertEquals(2uL, pushed.pushed)
            assertEquals(0uL, a.status().pending)

            val pulled = b.syncNow()
            assertTrue(pulled.pulled >= 2uL, "b pulled a's entries: $pulled")
            IncidentLog(vb).use { log ->
                val view = log.get(id)
                assertEquals(
                    "Blue hatchback photographing the motorcade route",
                    view.current.narrative,
                )
                assertEquals(listOf("plate-read"), view.current.tags)
                assertEquals(1u, view.amendments)
                assertEquals(listOf(id), log.search("hatchback", 10u, null).map { it.incidentId })
                assertTrue(log.verify().ok, "a's chain verifies on b")
            }

            // Syncing again brings nothing twice.
            b.syncNow()
            IncidentLog(vb).use { log ->
                assertEquals(1, log.search("hatchback", 10u, null).size)
                assertEquals(1u, log.get(id).amendments)
            }
        }
    }

    @Test
    fun `a photo attached on one device arrives whole on another`() {
        twoDevices(dir, "Bravo") { va, vb, a, b ->
            // Several upload chunks and download ranges' worth of photo.
            val photo = Random(7).nextBytes(1_300_000)
            val file = dir.resolve("photo.jpg")
            Files.write(file, photo)
            val (id, ref) = IncidentLog.withOfficer(va, "Officer A").use { log ->
                val r = log.log(report(Category.SUSPICIOUS_ACTIVITY, "Man filming the hotel's service entrance", Severity.MEDIUM, gps(51.5072, -0.1276)))
                r.incidentId to log.attachFile(r.incidentId, file.toString(), "image/jpeg", null)
            }
            assertEquals(1uL, a.status().attachmentsToUpload)
            // A progress bar on each side; one that throws must not matter.
            val seenA = java.util.Collections.synchronizedList(mutableListOf<SyncProgress>())
            a.setObserver(object : SyncObserver {
                override fun onProgress(progress: SyncProgress) {
                    seenA.add(progress)
                    throw IllegalStateException("a broken progress bar")
                }
            })
            val seenB = java.util.Collections.synchronizedList(mutableListOf<SyncProgress>())
            b.setObserver(object : SyncObserver {
                override fun onProgress(progress: SyncProgress) {
                    seenB.add(progress)
                }
            })
            val pushed = a.syncNow()
            assertEquals(1uL, pushed.attachmentsUploaded)
            assertTrue(seenA.contains(SyncProgress.AttachmentUploaded(1uL)), "$seenA")
            // Text first: the batch that announces the file went before it.
            val uploadedAt = seenA.indexOf(SyncProgress.AttachmentUploaded(1uL))
            val firstPush = seenA.indexOfFirst { it is SyncProgress.Pushed }
            assertTrue(firstPush in 0 until uploadedAt, "$seenA")
            assertEquals(0uL, a.status().attachmentsToUpload)

            val pulled = b.syncNow()
            assertEquals(1uL, pulled.attachmentsDownloaded)
            assertEquals(SyncProgress.AttachmentDownloaded(1uL, 0uL), seenB.last(), "$seenB")
            assertTrue(seenB.any { it is SyncProgress.Pulled }, "$seenB")
            assertEquals(0uL, b.status().attachmentsToDownload)
            IncidentLog(vb).use { log ->
                assertEquals(listOf(ref), log.get(id).current.attachments)
                val out = dir.resolve("received.jpg")
                log.readAttachmentToFile(ref.id, out.toString())
                assertArrayEquals(photo, Files.readAllBytes(out))
                // An id this store does not know is a typed error.
                assertThrows<IncidentException.UnknownAttachment> {
                    log.readAttachmentToFile("0".repeat(32), dir.resolve("x").toString())
                }
            }
        }
    }
}
