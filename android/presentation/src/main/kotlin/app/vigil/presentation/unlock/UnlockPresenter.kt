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
        // A store that cannot even be looked at (a damaged key file) shows the locked screen
        // with the reason, never a crash.
        runCore(
            {
                when {
                    !vigil.exists() -> UnlockStage.FIRST_RUN to false
                    vigil.isUnlocked() -> UnlockStage.UNLOCKED to false
                    else -> UnlockStage.LOCKED to biometricOffered()
                }
            },
            onError = { s, e -> s.copy(stage = UnlockStage.LOCKED, error = CoreWords.of(e)) },
        ) { s, (stage, bio) -> s.copy(stage = stage, biometric = bio) }
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
            UnlockIntent.Lock -> runCore(
                {
                    vigil.lock()
                    biometricOffered()
                },
                onError = { _, _ -> UnlockState(stage = UnlockStage.LOCKED) },
            ) { _, bio -> UnlockState(stage = UnlockStage.LOCKED, biometric = bio) }
            UnlockIntent.PanicRequested -> set { it.copy(panic = PanicWipe()) }
            is UnlockIntent.PanicTyped -> set { it.copy(panic = PanicWipe(intent.text)) }
            UnlockIntent.PanicCancelled -> set { it.copy(panic = null) }
            UnlockIntent.PanicConfirmed -> if (current.panic?.armed == true) wipe()
        }
    }

    override fun UnlockState.working() = copy(busy = true, error = null)

    override fun UnlockState.idle() = copy(busy = false)

    override fun UnlockState.failed(words: String) = copy(error = words)

    /** A refused unlock: what the officer sees, and what the passphrase field keeps. */
    private fun UnlockState.refused(e: Exception): UnlockState = when (e) {
        is StoreException.PolicyTampered -> copy(passphrase = "", error = CoreWords.of(e), policyTampered = true)
        is StoreException.WrongPassphrase -> copy(passphrase = "", error = CoreWords.of(e), attemptsLeft = e.attemptsLeft)
        is StoreException.WipedAfterFailedAttempts, is StoreException.Wiped ->
            UnlockState(stage = UnlockStage.WIPED, error = CoreWords.of(e))
        else -> failed(CoreWords.of(e))
    }

    private fun submit(confirm: UnlockIntent.ConfirmPolicy? = null) {
        val s = current
        if (!s.canSubmit || (confirm != null && !s.policyTampered)) return
        runCore({
            val bytes = s.passphrase.toByteArray(Charsets.UTF_8)
            try {
                when {
                    s.stage == UnlockStage.FIRST_RUN -> vigil.create(bytes)
                    confirm != null -> vigil.unlockConfirmingPolicy(bytes, confirm.wipeAfter?.toUInt())
                    else -> vigil.unlock(bytes)
                }
            } finally {
                bytes.fill(0)
            }
        }, onError = { st, e -> st.refused(e) }) { _, _ -> UnlockState(stage = UnlockStage.UNLOCKED) }
    }

    /** A failure to read the slots is no reason to refuse the passphrase screen. */
    private fun biometricOffered(): Boolean = try {
        vigil.biometricUnlockAvailable()
    } catch (e: Exception) {
        false
    }

    private fun biometricUnlock() {
        if (!current.canUseBiometric) return
        runCore({ vigil.unlockWithBiometric() }, onError = { st, e ->
            when (e) {
                // Cancelled, not recognised, or the key was invalidated by a new fingerprint.
                is StoreException.PlatformKeyRejected, is StoreException.KeyWrapper -> st.failed(BIOMETRIC_FAILED)
                else -> st.refused(e)
            }
        }) { _, _ -> UnlockState(stage = UnlockStage.UNLOCKED) }
    }

    companion object {
        /** Cancelled, not recognised, or the key was invalidated by a new fingerprint. */
        const val BIOMETRIC_FAILED = "Fingerprint unlock did not work. Unlock with your passphrase."
    }

    private fun wipe() {
        runCore({ vigil.wipe() }) { _, _ ->
            UnlockState(stage = UnlockStage.WIPED, error = "Wiped. Nothing of Vigil is left on this phone.")
        }
    }
}
