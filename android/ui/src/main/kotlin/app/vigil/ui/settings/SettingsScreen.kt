package app.vigil.ui.settings

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import app.vigil.presentation.settings.SettingsIntent
import app.vigil.presentation.settings.SettingsState
import app.vigil.ui.BigButton
import app.vigil.ui.Choice
import app.vigil.ui.ChoiceRow
import app.vigil.ui.TextInput
import app.vigil.ui.RowCard
import app.vigil.ui.VigilScreen
import app.vigil.ui.SecondaryButton
import app.vigil.ui.SectionTitle

data class SettingsStrings(
    val title: String = "Settings",
    val lockNow: String = "Lock now",
    val passphrase: String = "Passphrase",
    val change: String = "Change passphrase",
    val old: String = "Current passphrase",
    val new: String = "New passphrase",
    val confirm: String = "New passphrase again",
    val save: String = "Save new passphrase",
    val cancel: String = "Cancel",
    val strength: String = "Strength",
    val wipe: String = "Wipe after wrong passphrases",
    val duress: String = "Duress passphrase",
    val duressBody: String = "A second passphrase to give under coercion. Entered at unlock, it destroys everything and opens an empty Vigil.",
    val duressField: String = "Duress passphrase",
    val duressSet: String = "Set duress passphrase",
    val duressIsSet: String = "A duress passphrase is set.",
    val export: String = "Evidence",
    val exportButton: String = "Export evidence package",
    val exportBody: String = "Every incident, its photos and the proof they were not altered, in one .zip for the investigator.",
    val about: String = "About",
    val biometric: String = "Fingerprint unlock",
    val on: String = "On",
    val off: String = "Off",
)

/** Settings. [onExport] asks the host for a file (the platform's picker), then sends ExportPackage. */
@Composable
fun SettingsScreen(
    state: SettingsState,
    onIntent: (SettingsIntent) -> Unit,
    onExport: () -> Unit,
    strings: SettingsStrings = SettingsStrings(),
) {
    VigilScreen(strings.title, state.error, state.message) {
        BigButton(strings.lockNow, { onIntent(SettingsIntent.LockNow) }, enabled = !state.busy, modifier = Modifier.testTag("lock-now"))

        SectionTitle(strings.passphrase)
        val change = state.change
        if (change == null) {
            SecondaryButton(strings.change, { onIntent(SettingsIntent.StartChange) }, modifier = Modifier.testTag("change"))
        } else {
            TextInput(change.old, { onIntent(SettingsIntent.OldChanged(it)) }, strings.old, "old", secret = true)
            TextInput(change.new, { onIntent(SettingsIntent.NewChanged(it)) }, strings.new, "new", secret = true)
            change.strength?.let { Text("${strings.strength}: ${it.words}", style = MaterialTheme.typography.bodyLarge) }
            TextInput(
                change.confirm, { onIntent(SettingsIntent.ConfirmChanged(it)) }, strings.confirm, "confirm",
                isError = change.confirm.isNotEmpty() && change.confirm != change.new, secret = true,
            )
            BigButton(strings.save, { onIntent(SettingsIntent.SaveChange) }, enabled = change.ready && !state.busy, modifier = Modifier.testTag("save-change"))
            SecondaryButton(strings.cancel, { onIntent(SettingsIntent.CancelChange) })
        }

        state.biometric?.let { on ->
            SectionTitle(strings.biometric)
            ChoiceRow {
                Choice(strings.on, on, { onIntent(SettingsIntent.BiometricChanged(true)) }, Modifier.testTag("biometric-on"))
                Choice(strings.off, !on, { onIntent(SettingsIntent.BiometricChanged(false)) }, Modifier.testTag("biometric-off"))
            }
        }

        SectionTitle(strings.wipe)
        ChoiceRow {
            for (n in state.wipeChoices) Choice(state.wipeWords(n), state.wipeAfter == n, { onIntent(SettingsIntent.WipeAfterPicked(n)) })
        }

        SectionTitle(strings.duress)
        Text(strings.duressBody, style = MaterialTheme.typography.bodyMedium)
        if (state.duressSet) Text(strings.duressIsSet, style = MaterialTheme.typography.bodyLarge)
        TextInput(state.duress, { onIntent(SettingsIntent.DuressChanged(it)) }, strings.duressField, "duress", secret = true)
        SecondaryButton(strings.duressSet, { onIntent(SettingsIntent.SetDuress) }, enabled = state.canSetDuress, modifier = Modifier.testTag("set-duress"))

        SectionTitle(strings.export)
        Text(strings.exportBody, style = MaterialTheme.typography.bodyMedium)
        SecondaryButton(strings.exportButton, onExport, enabled = !state.busy, modifier = Modifier.testTag("export"))

        SectionTitle(strings.about)
        state.about?.let { a -> RowCard(a.app, listOf(a.keyFile, a.schema, a.device)) }
    }
}
