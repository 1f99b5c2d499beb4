package app.vigil.presentation

import app.vigil.core.model.AdvanceException
import app.vigil.core.model.IncidentException
import app.vigil.core.model.StoreException
import app.vigil.core.model.SyncException
import app.vigil.presentation.CoreWords.Area
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

class CoreWordsTest {
    private val root: Path = Path.of(System.getProperty("vigil.root") ?: error("-Dvigil.root is not set"))

    /**
     * The codes of one `impl <Error> { fn code ... }` block of a Rust file: every
     * `=> "snake_case"` up to the block's end.
     */
    private fun codesOf(file: Path, type: String): Set<String> {
        val text = Files.readString(file)
        val start = Regex("""impl\s+$type\s*\{""").find(text) ?: return emptySet()
        val rest = text.substring(start.range.last)
        val body = rest.substring(0, Regex("""\n}\n""").find(rest)?.range?.first ?: rest.length)
        return Regex("""=>\s*"([a-z0-9_]+)"""").findAll(body).map { it.groupValues[1] }.toSet()
    }

    /** Every code the core defines, by area: core/src/codes.rs (sync: its `kind`, wherever it lives). */
    private fun coreCodes(): Map<Area, Set<String>> {
        val codes = root.resolve("core/src/codes.rs")
        val sync = codesOf(codes, "SyncError").ifEmpty {
            // Until the sync codes join codes.rs, the CLI's `kind` is where they are defined.
            val cli = root.resolve("cli/src/commands/sync.rs")
            Regex("""=>\s*"([a-z0-9_]+)"""")
                .findAll(Files.readString(cli).substringAfter("pub fn kind(").substringBefore("\n}\n"))
                .map { it.groupValues[1] }.toSet()
        }
        return mapOf(
            Area.STORE to codesOf(codes, "StoreError"),
            Area.INCIDENT to codesOf(codes, "IncidentError"),
            Area.ADVANCE to codesOf(codes, "AdvanceError"),
            Area.SYNC to sync,
        )
    }

    @Test
    fun every_code_the_core_defines_has_words() {
        val all = coreCodes()
        for ((area, codes) in all) {
            assertTrue(codes.size >= 8, "too few $area codes parsed from the core: $codes")
            for (code in codes) {
                val words = assertNotNull(CoreWords.sentence(area, code), "no words for $area code '$code'")
                assertTrue(words.endsWith(".") && words.length in 12..200, "$area/$code: '$words'")
            }
        }
        // The codes this session added dedicated sentences for are among the parsed ones.
        assertTrue("busy" in all.getValue(Area.STORE) && "disk_full" in all.getValue(Area.STORE))
        assertTrue("policy_tampered" in all.getValue(Area.STORE) && "too_large" in all.getValue(Area.ADVANCE))
    }

    @Test
    fun new_store_and_advance_errors_have_their_own_sentence() {
        val busy = CoreWords.of(StoreException.Busy())
        val full = CoreWords.of(StoreException.DiskFull())
        val tampered = CoreWords.of(StoreException.PolicyTampered())
        val large = CoreWords.of(AdvanceException.TooLarge("route file", 10_000_000u))
        assertTrue("try again" in busy && "Nothing was lost" in busy, busy)
        assertTrue("storage is full" in full && "Free some space" in full, full)
        assertTrue("wipe setting" in tampered, tampered)
        assertTrue("too large" in large, large)
        val all = listOf(busy, full, tampered, large)
        assertEquals(all.size, all.toSet().size)
        all.forEach { assertNotEquals(CoreWords.GENERIC, it) }
    }

    @Test
    fun codes_follow_the_area_and_never_show_the_error_text() {
        assertEquals(CoreWords.Code(Area.ADVANCE, "not_found"), CoreWords.code(AdvanceException.NotFound("venue")))
        assertEquals(CoreWords.Code(Area.STORE, "not_found"), CoreWords.code(StoreException.NotFound()))
        assertNotEquals(CoreWords.of(AdvanceException.NotFound("venue")), CoreWords.of(StoreException.NotFound()))
        assertEquals("Wrong passphrase. 2 attempts left before this phone's Vigil data is wiped.",
            CoreWords.of(StoreException.WrongPassphrase(2u)))
        val secret = "narrative: principal at the back door"
        for (e in listOf(StoreException.Sqlite(secret), IncidentException.Bundle(secret), SyncException.Protocol(secret))) {
            val words = CoreWords.of(e)
            assertTrue(secret !in words && "principal" !in words, words)
        }
        assertEquals(CoreWords.GENERIC, CoreWords.of(IllegalStateException("boom")))
        // The code is the core's own (`e.code()`), and a store failure underneath an incident,
        // advance or sync error is told as the store's.
        assertEquals("too_large", AdvanceException.TooLarge("route file", 10_000_000u).code())
        val full = IncidentException.Store(StoreException.DiskFull())
        assertEquals("disk_full", full.code())
        assertEquals(CoreWords.Code(Area.STORE, "disk_full"), CoreWords.code(full))
        assertEquals(CoreWords.of(StoreException.DiskFull()), CoreWords.of(full))
        assertEquals(CoreWords.Code(Area.STORE, "locked"), CoreWords.code(SyncException.Store(StoreException.Locked())))
        assertEquals(CoreWords.Code(Area.INCIDENT, "unknown_incident"),
            CoreWords.code(AdvanceException.Incident(IncidentException.UnknownIncident())))
        assertEquals(null, CoreWords.code(IllegalStateException("boom")))
    }
}
