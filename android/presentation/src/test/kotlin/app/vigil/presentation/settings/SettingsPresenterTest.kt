package app.vigil.presentation.settings

import app.vigil.core.model.Category
import app.vigil.core.model.StoreException
import app.vigil.presentation.GOOD_PASSPHRASE
import app.vigil.presentation.Harness
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlin.test.fail

class SettingsPresenterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `wipe policy, change passphrase, export, about, lock now`() {
        Harness(dir, create = true).use { h ->
            h.vigil.incidents().quickLog(Category.MEDIA, null)
            val p = SettingsPresenter(h.vigil, "Vigil 0.1.0", h.scope)
            val s = p.state.awaitState { it.about != null }
            assertEquals("Vigil 0.1.0", s.about!!.app)
            assertEquals(null, s.wipeAfter)
            assertEquals("Never", s.wipeWords(null))

            p.onIntent(SettingsIntent.WipeAfterPicked(5))
            p.state.awaitState { it.wipeAfter == 5 && !it.busy }
            assertEquals(5u, h.vigil.vault().status().wipeAfter)

            p.onIntent(SettingsIntent.StartChange)
            p.onIntent(SettingsIntent.OldChanged("wrong old"))
            p.onIntent(SettingsIntent.NewChanged("harbour violet engine quarry"))
            p.onIntent(SettingsIntent.ConfirmChanged("harbour violet engine quarry"))
            assertTrue(p.state.value.change!!.ready)
            p.onIntent(SettingsIntent.SaveChange)
            val wrong = p.state.awaitState { it.error != null }
            assertTrue(wrong.error!!.startsWith("Wrong passphrase."), wrong.error)
            p.onIntent(SettingsIntent.OldChanged(GOOD_PASSPHRASE))
            p.onIntent(SettingsIntent.SaveChange)
            p.state.awaitState { it.change == null && it.message == "Passphrase changed." }

            val pkg = dir.resolve("evidence.zip")
            p.onIntent(SettingsIntent.ExportPackage(pkg.toString()))
            val exported = p.state.awaitState { it.exported != null && !it.busy }
            assertTrue(exported.message!!.startsWith("Evidence package written: "), exported.message)
            assertTrue(exported.message!!.contains("not encrypted"))
            val report = app.vigil.core.verifyPackage(pkg.toString())
            assertTrue(report.ok, "the package verifies on its own: $report")

            // An existing file is never overwritten: refused in words, the file untouched.
            val size = Files.size(pkg)
            p.onIntent(SettingsIntent.ExportPackage(pkg.toString()))
            val refused = p.state.awaitState { it.error != null && !it.busy }
            assertTrue(refused.exported == null)
            assertEquals(size, Files.size(pkg))

            p.onIntent(SettingsIntent.LockNow)
            p.state.awaitState { it.locked }
            assertFalse(h.vigil.isUnlocked())
            try {
                h.vigil.unlock(GOOD_PASSPHRASE.toByteArray())
                fail("the old passphrase still opens the store")
            } catch (e: StoreException.WrongPassphrase) {
                assertTrue(e.attemptsLeft!! < 5u)
            }
            h.vigil.unlock("harbour violet engine quarry".toByteArray())
            assertTrue(h.vigil.isUnlocked())
        }
    }

    @Test
    fun `duress passphrase - set here, entered at unlock it leaves an empty store`() {
        Harness(dir, create = true).use { h ->
            h.vigil.incidents().quickLog(Category.MEDIA, null)
            val p = SettingsPresenter(h.vigil, "Vigil", h.scope)
            p.state.awaitState { it.about != null }
            p.onIntent(SettingsIntent.DuressChanged("blue"))
            p.onIntent(SettingsIntent.SetDuress)
            p.state.awaitState { it.duressSet && !it.busy }
            h.vigil.lock()
            h.vigil.unlock("blue".toByteArray())
            assertTrue(h.vigil.isUnlocked())
            assertTrue(h.vigil.incidents().list(app.vigil.core.model.IncidentFilter(null, null, null, null, null, null, null), 10u, null).isEmpty())
        }
    }
}
