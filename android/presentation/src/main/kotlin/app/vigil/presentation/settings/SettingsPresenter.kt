package app.vigil.presentation.settings

import app.vigil.core.model.PackageSummary
import app.vigil.presentation.CoreWords
import app.vigil.presentation.PassphraseStrength
import app.vigil.presentation.Presenter
import app.vigil.presentation.Strength
import app.vigil.presentation.VigilCore
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/** Changing the passphrase: the old one, the new one (with the meter) twice. */
data class PassphraseChange(
    val old: String = "",
    val new: String = "",
    val confirm: String = "",
    val strength: Strength? = null,
) {
    val ready: Boolean get() = old.isNotEmpty() && strength?.acceptable == true && confirm == new
}

data class About(val app: String, val keyFile: String, val schema: String, val device: String)

data class SettingsState(
    val wipeAfter: Int? = null,
    val wipeChoices: List<Int?> = listOf(null, 3, 5, 10),
    val duressSet: Boolean = false,
    val duress: String = "",
    val change: PassphraseChange? = null,
    val about: About? = null,
    val busy: Boolean = false,
    val error: String? = null,
    val message: String? = null,
    /** Set once the store is locked from here: the host shows the unlock screen. */
    val locked: Boolean = false,
    /** Where the last evidence package was written (the host hands it to the share sheet). */
    val exported: String? = null,
    /** Fingerprint unlock on (true) or off (false); null when this phone has no biometric key. */
    val biometric: Boolean? = null,
) {
    fun wipeWords(n: Int?): String = if (n == null) "Never" else "After $n wrong passphrases"
    val canSetDuress: Boolean get() = duress.length >= 4 && !busy
}

sealed interface SettingsIntent {
    data object LockNow : SettingsIntent
    data class WipeAfterPicked(val attempts: Int?) : SettingsIntent
    data class DuressChanged(val text: String) : SettingsIntent
    data object SetDuress : SettingsIntent
    data object StartChange : SettingsIntent
    data class OldChanged(val text: String) : SettingsIntent
    data class NewChanged(val text: String) : SettingsIntent
    data class ConfirmChanged(val text: String) : SettingsIntent
    data object SaveChange : SettingsIntent
    data object CancelChange : SettingsIntent
    /**
     * Writes an evidence package of every incident to [path] (a new `.zip` the platform
     * chose): the signed bundle, the photos, a README for the recipient, a signed manifest.
     */
    data class ExportPackage(val path: String) : SettingsIntent
    /** Turns fingerprint unlock on (adds the biometric slot) or off (removes it, deletes the key). */
    data class BiometricChanged(val enabled: Boolean) : SettingsIntent
}

/**
 * What an evidence package holds, and the warning that goes with it: its photos are not
 * encrypted (the recipient must be able to open them), so it is handed over with care.
 */
fun packageWords(s: PackageSummary): String =
    "Evidence package written: ${s.incidents.size} incident(s), ${s.attachments} photo(s) or file(s). " +
        "Its photos are not encrypted: hand it over in person or over a secure channel."

/** Settings: lock now, change passphrase, duress passphrase, wipe policy, evidence export, about. */
class SettingsPresenter(
    private val vigil: VigilCore,
    private val appVersion: String,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val strength: PassphraseStrength = PassphraseStrength(),
) : Presenter<SettingsState, SettingsIntent>(SettingsState(), scope, io) {

    init {
        load()
    }

    override fun onIntent(intent: SettingsIntent) {
        when (intent) {
            SettingsIntent.LockNow -> run("Locked.") { vigil.lock(); set { it.copy(locked = true) } }
            is SettingsIntent.WipeAfterPicked -> run(
                if (intent.attempts == null) "Wipe after wrong passphrases is off." else "Vigil wipes itself after ${intent.attempts} wrong passphrases in a row.",
            ) {
                vigil.vault().setWipePolicy(intent.attempts?.toUInt())
                set { it.copy(wipeAfter = intent.attempts) }
            }
            is SettingsIntent.DuressChanged -> set { it.copy(duress = intent.text, error = null) }
            SettingsIntent.SetDuress -> {
                val d = current.duress
                if (!current.canSetDuress) return
                run("Duress passphrase set. Entered at unlock, it destroys everything and opens an empty Vigil.") {
                    val bytes = d.toByteArray(Charsets.UTF_8)
                    try {
                        vigil.vault().setDuressPassphrase(bytes)
                    } finally {
                        bytes.fill(0)
                    }
                    set { it.copy(duress = "", duressSet = true) }
                }
            }
            SettingsIntent.StartChange -> set { it.copy(change = PassphraseChange(), message = null) }
            is SettingsIntent.OldChanged -> set { it.copy(change = it.change?.copy(old = intent.text), error = null) }
            is SettingsIntent.NewChanged -> set {
                it.copy(change = it.change?.copy(new = intent.text, strength = strength.of(intent.text)), error = null)
            }
            is SettingsIntent.ConfirmChanged -> set { it.copy(change = it.change?.copy(confirm = intent.text)) }
            SettingsIntent.CancelChange -> set { it.copy(change = null) }
            SettingsIntent.SaveChange -> {
                val c = current.change ?: return
                if (!c.ready) return
                run("Passphrase changed.") {
                    val old = c.old.toByteArray(Charsets.UTF_8)
                    val new = c.new.toByteArray(Charsets.UTF_8)
                    try {
                        vigil.vault().changePassphrase(old, new, vigil.platformKey)
                    } finally {
                        old.fill(0)
                        new.fill(0)
                    }
                    set { it.copy(change = null) }
                }
            }
            is SettingsIntent.BiometricChanged -> run(
                if (intent.enabled) "Fingerprint unlock is on. Your passphrase still works." else "Fingerprint unlock is off.",
            ) {
                if (intent.enabled) vigil.enableBiometric() else vigil.disableBiometric()
                set { it.copy(biometric = intent.enabled) }
            }
            is SettingsIntent.ExportPackage -> exportPackage(intent.path)
        }
    }

    private fun load() {
        launch {
            try {
                val (st, bio) = core {
                    vigil.vault().status() to vigil.biometricSupported.takeIf { it }?.let { vigil.biometricUnlockAvailable() }
                }
                set {
                    it.copy(
                        wipeAfter = st.wipeAfter?.toInt(),
                        biometric = bio,
                        about = About(
                            app = appVersion,
                            keyFile = "Key file format ${st.keyFileVersion}",
                            schema = "Database schema ${st.schemaVersion ?: 0u}",
                            device = st.deviceId?.let { d -> "Device ${d.take(8)}" } ?: "Device not registered",
                        ),
                    )
                }
            } catch (e: Exception) {
                set { it.copy(error = CoreWords.of(e)) }
            }
        }
    }

    private fun exportPackage(path: String) {
        set { it.copy(busy = true, error = null, message = null, exported = null) }
        launch {
            try {
                val summary = core { vigil.incidents().exportPackage(path, null) }
                set { it.copy(busy = false, message = packageWords(summary), exported = summary.path) }
            } catch (e: Exception) {
                set { it.copy(busy = false, error = CoreWords.of(e)) }
            }
        }
    }

    /** Runs a core action on IO; on success shows [done], on failure the error in words. */
    private fun run(done: String, action: () -> Unit) {
        set { it.copy(busy = true, error = null, message = null) }
        launch {
            try {
                core(action)
                set { it.copy(busy = false, message = done) }
            } catch (e: Exception) {
                set { it.copy(busy = false, error = CoreWords.of(e)) }
            }
        }
    }
}
