package app.vigil.ui.unlock

import app.vigil.presentation.unlock.UnlockIntent
import app.vigil.presentation.unlock.UnlockPresenter
import app.vigil.presentation.unlock.UnlockStage
import app.vigil.ui.Screens
import app.vigil.presentation.Harness
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.assertTrue

/** The unlock screens rendered from real presenter states over a real store. */
class UnlockScreensTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `first run, weak then strong passphrase`() {
        Harness(dir).use { h ->
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.FIRST_RUN }
            p.onIntent(UnlockIntent.PassphraseChanged("summer2024"))
            val weak = p.state.value
            Screens.renderAll("unlock-first-run-weak") { UnlockScreen(weak, {}) }
            p.onIntent(UnlockIntent.PassphraseChanged("lantern orbit cobalt meadow"))
            p.onIntent(UnlockIntent.ConfirmChanged("lantern orbit cobalt meadow"))
            val strong = p.state.value
            assertTrue(strong.canSubmit)
            Screens.renderAll("unlock-first-run-strong") { UnlockScreen(strong, {}) }
        }
    }

    @Test
    fun `locked, wrong passphrase with attempts left, panic confirmation`() {
        Harness(dir).use { h ->
            h.vigil.create("lantern orbit cobalt meadow".toByteArray())
            h.vigil.vault().setWipePolicy(5u)
            h.vigil.lock()
            val p = UnlockPresenter(h.vigil, h.scope)
            p.state.awaitState { it.stage == UnlockStage.LOCKED }
            Screens.renderAll("unlock-locked") { UnlockScreen(p.state.value, {}) }
            p.onIntent(UnlockIntent.PassphraseChanged("lantern orbit"))
            p.onIntent(UnlockIntent.Submit)
            val wrong = p.state.awaitState { it.error != null }
            Screens.renderAll("unlock-wrong-passphrase") { UnlockScreen(wrong, {}) }
            p.onIntent(UnlockIntent.PanicRequested)
            p.onIntent(UnlockIntent.PanicTyped("WIPE"))
            val panic = p.state.value
            Screens.renderAll("unlock-panic-wipe") { UnlockScreen(panic, {}) }
        }
        assertTrue(Files.isDirectory(Screens.dir))
    }

    @Test
    fun `locked with fingerprint unlock offered`() {
        Harness(dir, biometric = app.vigil.testsupport.JvmKeyWrapper()).use { h ->
            h.vigil.create("lantern orbit cobalt meadow".toByteArray())
            h.vigil.enableBiometric()
            h.vigil.lock()
            val p = UnlockPresenter(h.vigil, h.scope)
            val s = p.state.awaitState { it.stage == UnlockStage.LOCKED }
            assertTrue(s.canUseBiometric)
            Screens.renderAll("unlock-locked-fingerprint") { UnlockScreen(s, {}) }
        }
    }
}
