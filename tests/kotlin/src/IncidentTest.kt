package app.vigil.tests

import app.vigil.core.ClearableField
import app.vigil.core.model.IncidentException
import app.vigil.core.model.StoreException
import app.vigil.core.IncidentLog
import app.vigil.core.Vault
import app.vigil.core.verifyBundle
import app.vigil.core.model.*
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import app.vigil.testsupport.*

class IncidentTest {
    @TempDir
    lateinit var dir: Path

    private val store get() = dir.resolve("store").toString()
    private val noFilter = IncidentFilter(null, null, null, null, null, null, null)

    private fun <T> withLog(officer: String? = null, block: (IncidentLog) -> T): T =
        Vault.create(store, pass("incident kotlin test"), FAST_KDF, null).use { v ->
            val log = if (officer == null) IncidentLog(v) else IncidentLog.withOfficer(v, officer)
            log.use(block)
        }

    @Test
    fun `log, quick log, amend, list, search and verify`() = withLog("Bravo 2") { log ->
        val occurred = 1714565100250L // 2024-05-01T12:05:00.250Z
        val r = log.log(
            report(
                Category.HOSTILE_SURVEILLANCE, "Grey van opposite the entrance",
                Severity.MEDIUM, gps(51.501364, -0.14189, 8.5), occurred, 60, "Europe/London",
                listOf("repeat"),
            ),
        )
        assertEquals(1uL, r.seq)
        assertEquals(r.incidentId, r.entryId)
        assertEquals(64, r.hash.length)
        val q = log.quickLog(Category.MEDICAL, null)
        assertEquals(2uL, q.seq)

        val a = log.amend(
            r.incidentId, "colour misread in low light",
            NO_CHANGE.copy(
                narrative = "Blue van opposite the entrance", severity = Severity.HIGH,
                clear = listOf(ClearableField.LOCATION),
            ),
        )
        assertEquals(3uL, a.seq)
        assertEquals(r.incidentId, a.incidentId)

        val view = log.get(r.incidentId)
        assertEquals("Blue van opposite the entrance", view.current.narrative)
        assertEquals(Severity.HIGH, view.current.severity)
        assertNull(view.current.location)
        assertEquals(occurred, view.current.occurred.utc)
        assertEquals(60, view.current.occurred.offsetMinutes)
        assertEquals("Europe/London", view.current.occurred.zone)
        assertEquals("Bravo 2", view.current.officer)
        assertEquals(1u, view.amendments)
        assertEquals(2, view.history.size)
        assertEquals(EntryKind.REPORT, view.history[0].kind)
        assertEquals("Grey van opposite the entrance", view.history[0].report?.narrative)
        assertEquals(51.501364, view.history[0].report?.location?.latitude)
        assertEquals(EntryKind.AMENDMENT, view.history[1].kind)
        assertEquals("colour misread in low light", view.history[1].reason)
        assertEquals(r.incidentId, view.history[1].amends)
        assertEquals(listOf(ClearableField.LOCATION), view.history[1].patch?.clear)
        assertEquals("Bravo 2", view.history[1].author)

        val all = log.list(noFilter, 50u, null)
        assertEquals(2, all.size)
        // Keyset paging: the page after the first row holds the second, then nothing.
        val first = log.list(noFilter, 1u, null)
        val second = log.list(noFilter, 1u, first.last().incidentId)
        assertEquals(all.map { it.incidentId }, (first + second).map { it.incidentId })
        assertTrue(log.list(noFilter, 1u, second.last().incidentId).isEmpty())
        assertThrows<IncidentException.InvalidInput> { log.list(noFilter, 1u, "no-such-incident") }
        val high = log.list(noFilter.copy(minSeverity = Severity.HIGH), 50u, null)
        assertEquals(listOf(r.incidentId), high.map { it.incidentId })
        val medical = log.list(noFilter.copy(category = Category.MEDICAL), 50u, null)
        assertEquals(listOf(q.incidentId), medical.map { it.incidentId })
        val before = log.list(noFilter.copy(to = occurred + 1), 50u, null)
        assertEquals(listOf(r.incidentId), before.map { it.incidentId })

        assertEquals(listOf(r.incidentId), log.search("grey van", 10u, null).map { it.incidentId })
        assertEquals(listOf(r.incidentId), log.search("blu", 10u, null).map { it.incidentId })
        assertTrue(log.search("bicycle", 10u, null).isEmpty())

        val v = log.verify()
        assertTrue(v.ok)
        assertEquals(3uL, v.entriesChecked)
        assertEquals(3uL, v.headSeq)
        assertEquals(a.hash, v.headHash)
        assertNull(v.problem)
    }

    @Test
    fun `refused input is a typed exception and leaves the log unchanged`() = withLog { log ->
        val r = log.log(report(Category.MEDIA, "photographer at the gate"))
        val head = log.verify()

        val bad = assertThrows<IncidentException.InvalidInput> {
            log.log(report(Category.MEDIA, "secret narrative", location = gps(91.0, 0.0)))
        }
        assertEquals("latitude", bad.field)
        assertEquals("invalid_input", bad.code())
        assertFalse(bad.message.orEmpty().contains("secret"), bad.message)
        assertFalse(bad.message.orEmpty().contains("91"), bad.message)

        assertThrows<IncidentException.InvalidInput> {
            log.quickLog(Category.MEDICAL, gps(0.0, 181.0))
        }
        assertThrows<IncidentException.UnknownIncident> {
            log.amend("0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f", "why", NO_CHANGE.copy(narrative = "x"))
        }
        assertThrows<IncidentException.UnknownIncident> {
            log.amend("not an id", "why", NO_CHANGE.copy(narrative = "x"))
        }
        assertThrows<IncidentException.UnknownIncident> { log.get("0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f") }
        val empty = assertThrows<IncidentException.InvalidInput> { log.amend(r.incidentId, "why", NO_CHANGE) }
        assertEquals("patch", empty.field)
        assertThrows<IncidentException.InvalidInput> {
            log.amend(r.incidentId, "  ", NO_CHANGE.copy(narrative = "x"))
        }
        assertThrows<IncidentException.InvalidInput> {
            log.amend(
                r.incidentId, "why",
                NO_CHANGE.copy(severity = Severity.LOW, clear = listOf(ClearableField.SEVERITY)),
            )
        }
        assertThrows<IncidentException.InvalidInput> { log.list(noFilter, 0u, null) }

        assertEquals(head, log.verify())
        assertEquals(1, log.list(noFilter, 50u, null).size)
        assertEquals(0u, log.get(r.incidentId).amendments)
    }

    @Test
    fun `a locked vault is a typed exception`() {
        Vault.create(store, pass("p"), FAST_KDF, null).use { v ->
            IncidentLog(v).use { log ->
                log.quickLog(Category.OTHER, null)
                v.lock()
                // The store's failure underneath crosses as it is, with the store's code.
                val locked = assertThrows<IncidentException.Store> { log.verify() }
                assertTrue(locked.v1 is StoreException.Locked, "$locked")
                assertEquals("locked", locked.code())
                assertEquals("the store is locked", locked.toString())
            }
        }
    }

    @Test
    fun `attachment round trip through files`() = withLog { log ->
        val r = log.quickLog(Category.THEFT_OR_LOSS, null)
        // Larger than two 64 KiB chunks, not a multiple of the chunk size.
        val content = ByteArray(150_000).also { SecureRandom().nextBytes(it) }
        val src = dir.resolve("photo.jpg")
        Files.write(src, content)
        val a = log.attachFile(r.incidentId, src.toString(), "image/jpeg", 1714565100000L)
        assertEquals(150_000uL, a.size)
        assertEquals(hex(sha256(content)), a.sha256)
        assertEquals("image/jpeg", a.mime)
        assertEquals(1714565100000L, a.capturedAt)

        val view = log.get(r.incidentId)
        assertEquals(listOf(a), view.current.attachments)
        assertEquals("attachment added", view.history.last().reason)

        val dst = dir.resolve("out.jpg")
        val back = log.readAttachmentToFile(a.id, dst.toString())
        assertEquals(a, back)
        assertArrayEquals(content, Files.readAllBytes(dst))
        // An existing file is never overwritten.
        val exists = assertThrows<IncidentException.ExportIo> { log.readAttachmentToFile(a.id, dst.toString()) }
        assertEquals("io", exists.code())
        assertFalse(exists.toString().contains(dir.toString()), exists.toString())
        assertThrows<IncidentException.UnknownAttachment> {
            log.readAttachmentToFile("0".repeat(32), dir.resolve("none").toString())
        }
        assertFalse(Files.exists(dir.resolve("none")))

        val empty = dir.resolve("empty")
        Files.write(empty, ByteArray(0))
        assertThrows<IncidentException.AttachmentEmpty> {
            log.attachFile(r.incidentId, empty.toString(), "image/jpeg", null)
        }
        assertThrows<IncidentException.AttachmentIo> {
            log.attachFile(r.incidentId, dir.resolve("missing").toString(), "image/jpeg", null)
        }
        assertEquals(1u, log.get(r.incidentId).amendments)

        // Tamper with the sealed file on disk: reading it is refused and nothing is left.
        val sealed = filesUnder(dir.resolve("store")).single { it.fileName.toString() == a.id }
        val bytes = Files.readAllBytes(sealed)
        bytes[100] = (bytes[100].toInt() xor 1).toByte()
        Files.write(sealed, bytes)
        val dst2 = dir.resolve("out2.jpg")
        assertThrows<IncidentException.AttachmentCorrupt> { log.readAttachmentToFile(a.id, dst2.toString()) }
        assertFalse(Files.exists(dst2))
    }

    @Test
    fun `entries verify in Kotlin alone from the documented encoding`() = withLog("Bravo 2") { log ->
        val r = log.log(report(Category.SECURITY_BREACH, "Side door found propped open", Severity.HIGH))
        log.amend(r.incidentId, "door was alarmed after all", NO_CHANGE.copy(tags = listOf("door", "alarm")))
        log.quickLog(Category.OTHER, null)
        val second = log.quickLog(Category.MEDIA, null)
        log.amend(second.incidentId, "photographer left", NO_CHANGE.copy(clear = listOf(ClearableField.VENUE_ID)))

        val withIncident = log.get(r.incidentId).history.map { it to r.incidentId } +
            log.get(second.incidentId).history.map { it to second.incidentId }
        val entries = withIncident.sortedBy { it.first.seq }.map { it.first }
        assertEquals(listOf(1uL, 2uL, 4uL, 5uL), entries.map { it.seq })
        for ((e, incident) in withIncident) {
            assertEquals(32, e.prevHash.size)
            assertEquals(32, e.hash.size)
            assertEquals(64, e.signature.size)
            assertEquals(32, e.devicePublicKey.size)
            val recomputed = entryHash(e.seq.toLong(), e.prevHash, e.deviceId, e.entryId, incident, e.body)
            assertArrayEquals(e.hash, recomputed, "hash of seq ${e.seq}")
            assertTrue(ed25519Verify(e.devicePublicKey, recomputed, e.signature), "signature of seq ${e.seq}")
            val body = String(e.body, Charsets.UTF_8)
            assertTrue(body.startsWith("{\"v\":2,\"entry_id\":\"${e.entryId}\""), body)
            // One byte changed in the body: the hash no longer matches.
            val edited = e.body.copyOf().also { it[it.size / 2] = (it[it.size / 2].toInt() xor 0x20).toByte() }
            assertFalse(e.hash.contentEquals(entryHash(e.seq.toLong(), e.prevHash, e.deviceId, e.entryId, incident, edited)))
            // Filed under another incident: the hash no longer matches (the incident is committed).
            val other = if (incident == r.incidentId) second.incidentId else r.incidentId
            assertFalse(e.hash.contentEquals(entryHash(e.seq.toLong(), e.prevHash, e.deviceId, e.entryId, other, e.body)))
            // A signature over a different hash does not verify.
            assertFalse(ed25519Verify(e.devicePublicKey, sha256(edited), e.signature))
        }
        assertArrayEquals(ByteArray(32), entries[0].prevHash)
        assertArrayEquals(entries[0].hash, entries[1].prevHash)
        assertTrue(String(entries[0].body, Charsets.UTF_8).contains("\"narrative\":\"Side door found propped open\""))
        assertTrue(String(entries[3].body, Charsets.UTF_8).contains("\"patch\":{\"venue_id\":null}"))
        assertEquals(hex(entries[3].hash), log.verify().headHash)
    }

    @Test
    fun `bundle and CSV export through the bindings`() = withLog { log ->
        val r = log.log(report(Category.CROWD_OR_PROTEST, "crowd of about fifty", Severity.LOW))
        log.amend(r.incidentId, "more arrived", NO_CHANGE.copy(narrative = "crowd of about two hundred"))
        val other = log.quickLog(Category.MEDICAL, null)

        val bytes = log.exportBundle(null)
        val ok = verifyBundle(bytes)
        assertTrue(ok.ok)
        assertNull(ok.problem)
        assertEquals(setOf(r.incidentId, other.incidentId), ok.incidents.toSet())
        assertEquals(3uL, ok.chain?.headSeq)

        val scoped = verifyBundle(log.exportBundle(listOf(other.incidentId)))
        assertTrue(scoped.ok)
        assertEquals(listOf(other.incidentId), scoped.incidents)

        val edited = bytes.copyOf()
        val at = String(edited, Charsets.ISO_8859_1).indexOf("two hundred")
        assertTrue(at > 0)
        edited[at] = 'T'.code.toByte()
        val bad = verifyBundle(edited)
        assertFalse(bad.ok)
        assertNotNull(bad.problem)
        assertEquals(BundleProblem.Unparseable, verifyBundle("not json".toByteArray()).problem)

        val file = dir.resolve("bundle.json")
        log.exportBundleToFile(file.toString(), null)
        assertTrue(verifyBundle(Files.readAllBytes(file)).ok)
        assertThrows<IncidentException.ExportIo> { log.exportBundleToFile(file.toString(), null) }

        val csv = dir.resolve("incidents.csv")
        log.exportCsv(noFilter, csv.toString())
        val text = String(Files.readAllBytes(csv), Charsets.UTF_8)
        assertEquals(3, text.split("\r\n").count { it.isNotEmpty() })
        assertTrue(text.contains("crowd of about two hundred"))
    }

    @Test
    fun `no marker, coordinate or time is readable in the store's files`() {
        val marker = "VIGIL-MARKER-" + hex(ByteArray(8).also { SecureRandom().nextBytes(it) })
        val lat = 51.50136417
        val lon = -0.14189263
        val occurred = 1714565100250L
        Vault.create(store, pass("marker scan"), FAST_KDF, null).use { v ->
            IncidentLog.withOfficer(v, "Officer $marker").use { log ->
                val r = log.log(
                    report(
                        Category.APPROACH_OR_THREAT, "Man shouted $marker at the principal",
                        Severity.CRITICAL, gps(lat, lon, 3.25), occurred, 120, "Europe/Paris",
                        listOf("tag-$marker"),
                    ),
                )
                log.amend(r.incidentId, "reason $marker", NO_CHANGE.copy(narrative = "amended $marker"))
                val att = dir.resolve("note.txt")
                Files.write(att, "attachment $marker".toByteArray())
                log.attachFile(r.incidentId, att.toString(), "text/plain", occurred)
                Files.delete(att)
                assertEquals(1, log.search(marker, 10u, null).size)
                assertTrue(log.verify().ok)
            }
            v.lock()
        }
        fun le(d: Double) = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(d).array()
        fun be(d: Double) = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(d).array()
        val needles = mapOf(
            "marker" to marker.toByteArray(),
            "marker (UTF-16LE)" to marker.toByteArray(Charsets.UTF_16LE),
            "latitude text" to "51.50136417".toByteArray(),
            "longitude text" to "-0.14189263".toByteArray(),
            "latitude nanodegrees" to "51501364170".toByteArray(),
            "longitude nanodegrees" to "-141892630".toByteArray(),
            "latitude f64 LE" to le(lat),
            "latitude f64 BE" to be(lat),
            "longitude f64 LE" to le(lon),
            "timestamp" to "2024-05-01T12:05:00.250Z".toByteArray(),
            "epoch millis" to occurred.toString().toByteArray(),
            "zone" to "Europe/Paris".toByteArray(),
        )
        val files = filesUnder(dir.resolve("store"))
        assertTrue(files.size >= 3, "key file, database and an attachment: $files")
        for (f in files) {
            val bytes = Files.readAllBytes(f)
            for ((what, needle) in needles) {
                assertFalse(contains(bytes, needle), "$what found in $f")
            }
        }
        // The data are still there for whoever holds the passphrase.
        Vault.open(store).use { v ->
            v.unlockWithPassphrase(pass("marker scan"), null)
            IncidentLog(v).use { log -> assertEquals(1, log.search(marker, 10u, null).size) }
        }
    }
}
