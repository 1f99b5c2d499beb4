package app.vigil.ui.quicklog

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import app.vigil.presentation.quicklog.QuickLogIntent
import app.vigil.presentation.quicklog.QuickLogState
import app.vigil.ui.BigButton
import app.vigil.ui.Choice
import app.vigil.ui.ChoiceRow
import app.vigil.ui.RowCard
import app.vigil.ui.TextInput
import app.vigil.ui.VigilScreen
import app.vigil.ui.SecondaryButton
import app.vigil.ui.SectionTitle

data class QuickLogStrings(
    val title: String = "Log incident",
    val tapOnce: String = "One tap logs it now, with the time and your position.",
    val position: String = "Position",
    val logged: String = "Logged",
    val addDetails: String = "Add details now (or later)",
    val severity: String = "Severity",
    val narrative: String = "What happened",
    val witnesses: String = "Witnesses (one per line)",
    val save: String = "Save details",
    val done: String = "Done",
    val photo: String = "Take photo",
    val photos: String = "photo(s) sealed",
)

/** Ten big tiles, two a row, each at least 88 dp tall: hit with a gloved thumb. */
@Composable
fun QuickLogScreen(
    state: QuickLogState,
    onIntent: (QuickLogIntent) -> Unit,
    onTakePhoto: (() -> Unit)? = null,
    strings: QuickLogStrings = QuickLogStrings(),
) {
    VigilScreen(strings.title, state.error, state.message) {
        Text("${strings.position}: ${state.fix}", style = MaterialTheme.typography.bodyLarge, modifier = Modifier.testTag("fix"))
        val logged = state.logged
        if (logged == null) {
            Text(strings.tapOnce, style = MaterialTheme.typography.bodyMedium)
            // Two tiles a row; one at large font sizes, so a label never breaks inside a word.
            val perRow = if (LocalDensity.current.fontScale >= 1.5f) 1 else 2
            for (pair in state.tiles.chunked(perRow)) {
                Row(horizontalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.fillMaxWidth()) {
                    for (t in pair) {
                        Button(
                            onClick = { onIntent(QuickLogIntent.Log(t.category)) },
                            enabled = !state.busy,
                            shape = MaterialTheme.shapes.medium,
                            colors = ButtonDefaults.buttonColors(
                                containerColor = MaterialTheme.colorScheme.primaryContainer,
                                contentColor = MaterialTheme.colorScheme.onPrimaryContainer,
                            ),
                            modifier = Modifier.weight(1f).heightIn(min = 88.dp).testTag("tile-${t.category.name}"),
                        ) { Text(t.label, style = MaterialTheme.typography.titleMedium, textAlign = TextAlign.Center) }
                    }
                }
            }
        } else {
            RowCard(
                title = "${strings.logged}: ${logged.what}",
                lines = listOfNotNull(logged.at, logged.place, if (logged.photos > 0) "${logged.photos} ${strings.photos}" else null),
                modifier = Modifier.testTag("logged"),
            )
            if (onTakePhoto != null) {
                BigButton(strings.photo, onTakePhoto, enabled = !state.busy, modifier = Modifier.testTag("take-photo"))
            }
            SectionTitle(strings.addDetails)
            Text(strings.severity, style = MaterialTheme.typography.titleMedium)
            ChoiceRow {
                for ((sev, label) in state.severities) {
                    Choice(label, state.details.severity == sev, {
                        onIntent(QuickLogIntent.SeverityPicked(if (state.details.severity == sev) null else sev))
                    })
                }
            }
            TextInput(state.details.narrative, { onIntent(QuickLogIntent.NarrativeChanged(it)) }, strings.narrative, "narrative", minLines = 3)
            TextInput(state.details.witnesses, { onIntent(QuickLogIntent.WitnessesChanged(it)) }, strings.witnesses, "witnesses", minLines = 2)
            BigButton(strings.save, { onIntent(QuickLogIntent.SaveDetails) }, enabled = state.canSaveDetails, modifier = Modifier.testTag("save-details"))
            SecondaryButton(strings.done, { onIntent(QuickLogIntent.Done) }, modifier = Modifier.testTag("done"))
        }
    }
}
