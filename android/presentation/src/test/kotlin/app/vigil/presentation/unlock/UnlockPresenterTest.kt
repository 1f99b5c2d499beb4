package app.vigil.presentation.unlock

import app.vigil.presentation.Harness
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class UnlockPresenterTest {
    @TempDir
    lateinit var dir: Path

    private val good = "lantern orbit cobalt meadow"

    private fun UnlockPresenter.type(p: String, confirm: String? = null) {
        onIntent(UnlockIntent.PassphraseChanged(p))
        if (confirm != null) onIntent(UnlockIntent.ConfirmChanged(confirm))
    }

    @Test
    fun `a damaged key file shows the locked screen with the reason, and the file is left as it was`() {
        Harness(dir, create = true).use { }
        val keys = dir.resolve("store").resolve("vigil.keys")
        val damaged = ByteArray(64) { 0x5a }
        Files.write(keys, damaged)
        Harness(dir).use { h ->
            val p = UnlockPresenter(h.vigil, h.scope)
            val s = p.state.awaitState { it.error != null }
            assertEquals(UnlockStage.LOCKED, s.stage)
            assertFalse(s.busy)
            assertEquals(app.vigil.presentation.CoreWords.of(app.vigil.core.model.StoreException.KeyFileCorrupt()), s.error)
        }
        assertTrue(damaged.contentEquals(Files.readAllBytes(keys)), "the key file is not touched")
    }

    @Test
    fun `first run refuses a weak passphrase, then creates the store with a strong one`() {
        Harness(dir).use { h ->
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.FIRST_RUN }

            p.type("password1", "password1")
            val weak = p.state.value
            assertTrue(weak.strength!!.score < 3, "score ${weak.strength}")
            assertFalse(weak.canSubmit)
            assertEquals("Use four or more unrelated words.", weak.strength!!.hint)

            p.type(good, "lantern orbit cobalt")
            assertTrue(p.state.value.confirmMismatch)
            assertFalse(p.state.value.canSubmit)

            p.onIntent(UnlockIntent.ConfirmChanged(good))
            assertTrue(p.state.value.canSubmit)
            p.onIntent(UnlockIntent.Submit)
            val done = p.state.awaitState { it.stage == UnlockStage.UNLOCKED }
            assertEquals("", done.passphrase, "the passphrase does not stay in the state")
            assertTrue(h.vigil.isUnlocked())
        }
    }

    @Test
    fun `wrong passphrase shows the attempts left, then the right one unlocks`() {
        Harness(dir).use { h ->
            h.vigil.create(good.toByteArray())
            h.vigil.vault().setWipePolicy(5u)
            h.vigil.lock()
        }
        Harness(dir).use { h ->
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.LOCKED }
            p.type("lantern orbit cobalt")
            p.onIntent(UnlockIntent.Submit)
            val wrong = p.state.awaitState { it.error != null }
            assertEquals(4u, wrong.attemptsLeft)
            assertEquals("Wrong passphrase. 4 attempts left before this phone's Vigil data is wiped.", wrong.error)
            assertEquals(UnlockStage.LOCKED, wrong.stage)
            assertEquals("", wrong.passphrase)

            p.type(good)
            assertNull(p.state.value.error, "typing clears the error")
            p.onIntent(UnlockIntent.Submit)
            p.state.awaitState { it.stage == UnlockStage.UNLOCKED }
            assertEquals(0u, h.vigil.vault().status().failedAttempts)

            p.onIntent(UnlockIntent.Lock)
            p.state.awaitState { it.stage == UnlockStage.LOCKED }
            assertFalse(h.vigil.isUnlocked())
        }
    }

    @Test
    fun `too many wrong passphrases wipe the store and say so`() {
        Harness(dir).use { h ->
            h.vigil.create(good.toByteArray())
            h.vigil.vault().setWipePolicy(1u)
            h.vigil.lock()
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.LOCKED }
            p.type("not it")
            p.onIntent(UnlockIntent.Submit)
            val wiped = p.state.awaitState { it.stage == UnlockStage.WIPED }
            assertEquals("Too many wrong passphrases: Vigil's data on this phone has been wiped.", wiped.error)
        }
        assertFalse(Files.exists(dir.resolve("store/vigil.key")) && Files.size(dir.resolve("store/vigil.key")) > 0)
        Harness(dir).use { h -> assertFalse(h.vigil.exists()) }
    }

    @Test
    fun `panic wipe needs the typed word, then leaves nothing`() {
        Harness(dir).use { h ->
            h.vigil.create(good.toByteArray())
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.UNLOCKED }
            p.onIntent(UnlockIntent.PanicRequested)
            p.onIntent(UnlockIntent.PanicTyped("WIP"))
            assertFalse(p.state.value.panic!!.armed)
            p.onIntent(UnlockIntent.PanicConfirmed)
            assertTrue(h.vigil.exists(), "not armed: nothing wiped")
            p.onIntent(UnlockIntent.PanicCancelled)
            assertNull(p.state.value.panic)

            p.onIntent(UnlockIntent.PanicRequested)
            p.onIntent(UnlockIntent.PanicTyped("wipe"))
            p.onIntent(UnlockIntent.PanicConfirmed)
            p.state.awaitState { it.stage == UnlockStage.WIPED }
            assertFalse(h.vigil.exists())
        }
        val left = Files.walk(dir).use { s -> s.filter { Files.isRegularFile(it) }.toList() }
        assertTrue(left.isEmpty(), "files left: $left")
    }

    @Test
    fun `fingerprint unlock is offered once enabled in settings, and a cancelled prompt leaves the passphrase`() {
        val key = app.vigil.testsupport.JvmKeyWrapper()
        Harness(dir, biometric = key).use { h ->
            h.vigil.create(good.toByteArray())
            val settings = app.vigil.presentation.settings.SettingsPresenter(h.vigil, "test", h.scope)
            assertEquals(false, settings.state.awaitState { it.about != null }.biometric, "supported, not on yet")
            h.vigil.lock()
            val before = UnlockPresenter(h.vigil, h.scope)
            assertFalse(before.state.awaitState { it.stage == UnlockStage.LOCKED }.biometric, "no biometric slot yet")

            h.vigil.unlock(good.toByteArray())
            settings.onIntent(app.vigil.presentation.settings.SettingsIntent.BiometricChanged(true))
            settings.state.awaitState { it.biometric == true && !it.busy }

            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.UNLOCKED }
            p.onIntent(UnlockIntent.Lock)
            val locked = p.state.awaitState { it.stage == UnlockStage.LOCKED }
            assertTrue(locked.biometric && locked.canUseBiometric)

            key.prompt = { false }
            p.onIntent(UnlockIntent.UnlockWithBiometric)
            val refused = p.state.awaitState { it.error != null }
            assertEquals(UnlockPresenter.BIOMETRIC_FAILED, refused.error)
            assertEquals(UnlockStage.LOCKED, refused.stage)
            assertFalse(h.vigil.isUnlocked())

            key.prompt = { true }
            p.onIntent(UnlockIntent.UnlockWithBiometric)
            p.state.awaitState { it.stage == UnlockStage.UNLOCKED }
            assertTrue(h.vigil.isUnlocked())
            assertEquals(2, key.prompts, "one prompt per attempt")

            // Off again: the slot and the key go; the passphrase alone opens the store.
            settings.onIntent(app.vigil.presentation.settings.SettingsIntent.BiometricChanged(false))
            settings.state.awaitState { it.biometric == false && !it.busy }
            h.vigil.lock()
            assertFalse(h.vigil.biometricUnlockAvailable())
            h.vigil.unlock(good.toByteArray())
            assertTrue(h.vigil.isUnlocked())
        }
    }

    /**
     * What someone does who wants unlimited guesses: edits the wipe setting in the key
     * file's attempts records (both copies, checksums redone), as the core's own test does.
     * Only the core's keyed tag cannot be redone.
     */
    private fun switchOffWipePolicy(storeDir: Path) {
        val file = storeDir.resolve("vigil.keys")
        val bytes = Files.readAllBytes(file)
        val record = 88
        for (start in listOf(bytes.size - 2 * record, bytes.size - record)) {
            for (i in 16 until 20) bytes[start + i] = 0
            val sum = java.security.MessageDigest.getInstance("SHA-256").digest(bytes.copyOfRange(start, start + 56))
            sum.copyInto(bytes, start + 56)
        }
        Files.write(file, bytes)
    }

    @Test
    fun `a wipe setting changed outside Vigil is reported and confirmed with the passphrase`() {
        Harness(dir).use { h ->
            h.vigil.create(good.toByteArray())
            h.vigil.vault().setWipePolicy(3u)
        }
        switchOffWipePolicy(dir.resolve("store"))
        Harness(dir).use { h ->
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.LOCKED }
            p.type(good)
            p.onIntent(UnlockIntent.Submit)
            val told = p.state.awaitState { it.policyTampered }
            assertEquals(UnlockStage.LOCKED, told.stage)
            assertTrue(told.error!!.contains("wipe setting was changed outside the app"), told.error)
            assertEquals("", told.passphrase)
            assertFalse(h.vigil.isUnlocked())

            p.type("not it")
            p.onIntent(UnlockIntent.ConfirmPolicy(3))
            val wrong = p.state.awaitState { it.error?.startsWith("Wrong passphrase") == true }
            assertTrue(wrong.policyTampered, "still to be confirmed")
            assertFalse(h.vigil.isUnlocked(), "confirming needs the right passphrase")

            p.type(good)
            p.onIntent(UnlockIntent.ConfirmPolicy(3))
            p.state.awaitState { it.stage == UnlockStage.UNLOCKED }
            assertEquals(3u, h.vigil.vault().status().wipeAfter)
            h.vigil.lock()
            h.vigil.unlock(good.toByteArray())
            assertTrue(h.vigil.isUnlocked(), "the confirmed setting is sealed again: a plain unlock works")
        }
    }
}
