package app.vigil.presentation.settings

import app.vigil.core.model.PackageSummary
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
            SettingsIntent.LockNow -> runCore({ vigil.lock() }) { s, _ -> s.copy(locked = true, message = "Locked.") }
            is SettingsIntent.WipeAfterPicked -> runCore({ vigil.vault().setWipePolicy(intent.attempts?.toUInt()) }) { s, _ ->
                s.copy(
                    wipeAfter = intent.attempts,
                    message = if (intent.attempts == null) {
                        "Wipe after wrong passphrases is off."
                    } else {
                        "Vigil wipes itself after ${intent.attempts} wrong passphrases in a row."
                    },
                )
            }
            is SettingsIntent.DuressChanged -> set { it.copy(duress = intent.text, error = null) }
            SettingsIntent.SetDuress -> {
                val d = current.duress
                if (!current.canSetDuress) return
                runCore({
                    val bytes = d.toByteArray(Charsets.UTF_8)
                    try {
                        vigil.vault().setDuressPassphrase(bytes)
                    } finally {
                        bytes.fill(0)
                    }
                }) { s, _ ->
                    s.copy(
                        duress = "",
                        duressSet = true,
                        message = "Duress passphrase set. Entered at unlock, it destroys everything and opens an empty Vigil.",
                    )
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
                runCore({
                    val old = c.old.toByteArray(Charsets.UTF_8)
                    val new = c.new.toByteArray(Charsets.UTF_8)
                    try {
                        vigil.vault().changePassphrase(old, new, vigil.platformKey)
                    } finally {
                        old.fill(0)
                        new.fill(0)
                    }
                }) { s, _ -> s.copy(change = null, message = "Passphrase changed.") }
            }
            is SettingsIntent.BiometricChanged -> runCore({
                if (intent.enabled) vigil.enableBiometric() else vigil.disableBiometric()
            }) { s, _ ->
                s.copy(
                    biometric = intent.enabled,
                    message = if (intent.enabled) "Fingerprint unlock is on. Your passphrase still works." else "Fingerprint unlock is off.",
                )
            }
            is SettingsIntent.ExportPackage -> exportPackage(intent.path)
        }
    }

    override fun SettingsState.working() = copy(busy = true, error = null, message = null)

    override fun SettingsState.idle() = copy(busy = false)

    override fun SettingsState.failed(words: String) = copy(error = words)

    private fun load() {
        readCore({
            vigil.vault().status() to vigil.biometricSupported.takeIf { it }?.let { vigil.biometricUnlockAvailable() }
        }) { s, (st, bio) ->
            s.copy(
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
    }

    private fun exportPackage(path: String) {
        set { it.copy(exported = null) }
        runCore({ vigil.incidents().exportPackage(path, null) }) { s, summary ->
            s.copy(message = packageWords(summary), exported = summary.path)
        }
    }
}
