package app.vigil.presentation.unlock

import app.vigil.core.model.StoreException
import app.vigil.presentation.CoreWords
import app.vigil.presentation.PassphraseStrength
import app.vigil.presentation.Presenter
import app.vigil.presentation.Strength
import app.vigil.presentation.VigilCore
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/** Where the officer stands between opening the app and using it. */
enum class UnlockStage { CHECKING, FIRST_RUN, LOCKED, UNLOCKED, WIPED }

/** The panic wipe's confirmation: the officer types [PanicWipe.WORD] to arm it. */
data class PanicWipe(val typed: String = "") {
    val armed: Boolean get() = typed.trim().equals(WORD, ignoreCase = true)

    companion object {
        const val WORD = "WIPE"
    }
}

data class UnlockState(
    val stage: UnlockStage = UnlockStage.CHECKING,
    val passphrase: String = "",
    val confirm: String = "",
    val strength: Strength? = null,
    val busy: Boolean = false,
    val error: String? = null,
    /** Under a wipe policy, the attempts left before the store is wiped. */
    val attemptsLeft: UInt? = null,
    /** Non-null while the panic wipe confirmation is shown. */
    val panic: PanicWipe? = null,
    /** A biometric key opens this store: the screen offers the fingerprint. */
    val biometric: Boolean = false,
    /**
     * The wipe setting was changed outside Vigil: the officer confirms one of
     * [wipeChoices] with the passphrase to unlock ([UnlockIntent.ConfirmPolicy]).
     */
    val policyTampered: Boolean = false,
    val wipeChoices: List<Int?> = listOf(null, 3, 5, 10),
) {
    fun wipeWords(n: Int?): String = if (n == null) "Unlock, never wipe" else "Unlock, wipe after $n wrong passphrases"

    val canUseBiometric: Boolean get() = biometric && !busy && stage == UnlockStage.LOCKED

    val confirmMismatch: Boolean get() = confirm.isNotEmpty() && confirm != passphrase

    val canSubmit: Boolean
        get() = !busy && when (stage) {
            UnlockStage.FIRST_RUN -> strength?.acceptable == true && confirm == passphrase
            UnlockStage.LOCKED -> passphrase.isNotEmpty()
            else -> false
        }
}

sealed interface UnlockIntent {
    data class PassphraseChanged(val text: String) : UnlockIntent
    data class ConfirmChanged(val text: String) : UnlockIntent
    /** Create (first run) or unlock (locked), whichever the stage calls for. */
    data object Submit : UnlockIntent
    /** Unlock with the fingerprint (the platform's prompt appears; the passphrase always works too). */
    data object UnlockWithBiometric : UnlockIntent
    /** After a tampered wipe setting: unlock with the typed passphrase and this setting. */
    data class ConfirmPolicy(val wipeAfter: Int?) : UnlockIntent
    data object Lock : UnlockIntent
    data object PanicRequested : UnlockIntent
    data class PanicTyped(val text: String) : UnlockIntent
    data object PanicCancelled : UnlockIntent
    data object PanicConfirmed : UnlockIntent
}

/**
 * First run (create the store, with a strength meter), unlock (wrong passphrase: the
 * attempts left), lock, and the panic wipe behind a typed confirmation.
 */
class UnlockPresenter(
    private val vigil: VigilCore,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val strength: PassphraseStrength = PassphraseStrength(),
) : Presenter<UnlockState, UnlockIntent>(UnlockState(), scope, io) {

    init {
        launch {
            val (stage, bio) = core {
                when {
                    !vigil.exists() -> UnlockStage.FIRST_RUN to false
                    vigil.isUnlocked() -> UnlockStage.UNLOCKED to false
                    else -> UnlockStage.LOCKED to biometricOffered()
                }
            }
            set { it.copy(stage = stage, biometric = bio) }
        }
    }

    override fun onIntent(intent: UnlockIntent) {
        when (intent) {
            is UnlockIntent.PassphraseChanged -> set {
                it.copy(
                    passphrase = intent.text,
                    strength = if (it.stage == UnlockStage.FIRST_RUN) strength.of(intent.text) else null,
                    error = null,
                )
            }
            is UnlockIntent.ConfirmChanged -> set { it.copy(confirm = intent.text, error = null) }
            UnlockIntent.Submit -> submit()
            UnlockIntent.UnlockWithBiometric -> biometricUnlock()
            is UnlockIntent.ConfirmPolicy -> submit(confirm = intent)
            UnlockIntent.Lock -> launch {
                val bio = core {
                    vigil.lock()
                    biometricOffered()
                }
                set { UnlockState(stage = UnlockStage.LOCKED, biometric = bio) }
            }
            UnlockIntent.PanicRequested -> set { it.copy(panic = PanicWipe()) }
            is UnlockIntent.PanicTyped -> set { it.copy(panic = PanicWipe(intent.text)) }
            UnlockIntent.PanicCancelled -> set { it.copy(panic = null) }
            UnlockIntent.PanicConfirmed -> if (current.panic?.armed == true) wipe()
        }
    }

    private fun submit(confirm: UnlockIntent.ConfirmPolicy? = null) {
        val s = current
        if (!s.canSubmit || (confirm != null && !s.policyTampered)) return
        set { it.copy(busy = true, error = null) }
        launch {
            val bytes = s.passphrase.toByteArray(Charsets.UTF_8)
            try {
                core {
                    when {
                        s.stage == UnlockStage.FIRST_RUN -> vigil.create(bytes)
                        confirm != null -> vigil.unlockConfirmingPolicy(bytes, confirm.wipeAfter?.toUInt())
                        else -> vigil.unlock(bytes)
                    }
                }
                set { UnlockState(stage = UnlockStage.UNLOCKED) }
            } catch (e: StoreException.PolicyTampered) {
                set { it.copy(busy = false, passphrase = "", error = CoreWords.of(e), policyTampered = true) }
            } catch (e: StoreException.WrongPassphrase) {
                set {
                    it.copy(busy = false, passphrase = "", error = CoreWords.of(e), attemptsLeft = e.attemptsLeft)
                }
            } catch (e: StoreException.WipedAfterFailedAttempts) {
                set { UnlockState(stage = UnlockStage.WIPED, error = CoreWords.of(e)) }
            } catch (e: StoreException.Wiped) {
                set { UnlockState(stage = UnlockStage.WIPED, error = CoreWords.of(e)) }
            } catch (e: Exception) {
                set { it.copy(busy = false, error = CoreWords.of(e)) }
            } finally {
                bytes.fill(0)
            }
        }
    }

    /** A failure to read the slots is no reason to refuse the passphrase screen. */
    private fun biometricOffered(): Boolean = try {
        vigil.biometricUnlockAvailable()
    } catch (e: Exception) {
        false
    }

    private fun biometricUnlock() {
        if (!current.canUseBiometric) return
        set { it.copy(busy = true, error = null) }
        launch {
            try {
                core { vigil.unlockWithBiometric() }
                set { UnlockState(stage = UnlockStage.UNLOCKED) }
            } catch (e: StoreException.WipedAfterFailedAttempts) {
                set { UnlockState(stage = UnlockStage.WIPED, error = CoreWords.of(e)) }
            } catch (e: StoreException.Wiped) {
                set { UnlockState(stage = UnlockStage.WIPED, error = CoreWords.of(e)) }
            } catch (e: StoreException.PlatformKeyRejected) {
                set { it.copy(busy = false, error = BIOMETRIC_FAILED) }
            } catch (e: StoreException.KeyWrapper) {
                set { it.copy(busy = false, error = BIOMETRIC_FAILED) }
            } catch (e: Exception) {
                set { it.copy(busy = false, error = CoreWords.of(e)) }
            }
        }
    }

    companion object {
        /** Cancelled, not recognised, or the key was invalidated by a new fingerprint. */
        const val BIOMETRIC_FAILED = "Fingerprint unlock did not work. Unlock with your passphrase."
    }

    private fun wipe() {
        set { it.copy(busy = true) }
        launch {
            try {
                core { vigil.wipe() }
                set { UnlockState(stage = UnlockStage.WIPED, error = "Wiped. Nothing of Vigil is left on this phone.") }
            } catch (e: Exception) {
                set { it.copy(busy = false, error = CoreWords.of(e)) }
            }
        }
    }
}
