package app.vigil.ui.advance

import androidx.compose.foundation.BorderStroke
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import app.vigil.core.model.CheckState
import app.vigil.presentation.advance.AnswerStyle
import app.vigil.presentation.advance.ItemRow
import app.vigil.presentation.advance.RaiseDraft
import app.vigil.presentation.advance.WalkIntent
import app.vigil.presentation.advance.WalkScreenState
import app.vigil.ui.BigButton
import app.vigil.ui.Choice
import app.vigil.ui.ChoiceRow
import app.vigil.ui.TextInput
import app.vigil.ui.VigilScreen
import androidx.compose.ui.text.input.KeyboardType
import app.vigil.ui.SecondaryButton
import app.vigil.ui.SectionTitle

data class WalkStrings(
    val ok: String = "OK",
    val issue: String = "Issue",
    val na: String = "n/a",
    val note: String = "Note",
    val answer: String = "Answer",
    val save: String = "Save",
    val required: String = "required",
    val complete: String = "Complete walk",
    val signOff: String = "Sign off",
    val raise: String = "Raise incident",
    val raiseCategory: String = "What happened",
    val raiseSeverity: String = "Severity",
    val fileIncident: String = "File incident",
    val cancel: String = "Cancel",
    val answered: String = "Answer",
    val here: String = "Here (my position)",
    val photo: String = "Photo",
    val photos: String = "photo(s) sealed",
)

/**
 * [onTakePhoto] opens the platform's camera for an item (the host then sends
 * [WalkIntent.AttachPhoto]); null when there is no camera.
 */
@Composable
fun WalkScreen(
    state: WalkScreenState,
    onIntent: (WalkIntent) -> Unit,
    onTakePhoto: ((String) -> Unit)? = null,
    strings: WalkStrings = WalkStrings(),
) {
    VigilScreen(state.title, state.error, state.message) {
        Text(state.stateWords, style = MaterialTheme.typography.titleMedium)
        Text(state.progress, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.testTag("walk-progress"))
        for (section in state.sections) {
            SectionTitle(section.title)
            for (item in section.items) Item(item, state, onIntent, onTakePhoto, strings)
        }
        if (state.editable) {
            BigButton(strings.complete, { onIntent(WalkIntent.Complete) }, enabled = state.canComplete, modifier = Modifier.testTag("complete"))
        }
        if (state.canSignOff) {
            BigButton(strings.signOff, { onIntent(WalkIntent.SignOff) }, modifier = Modifier.testTag("sign-off"))
        }
    }
}

@Composable
private fun Item(
    item: ItemRow,
    state: WalkScreenState,
    onIntent: (WalkIntent) -> Unit,
    onTakePhoto: ((String) -> Unit)?,
    strings: WalkStrings,
) {
    val border = if (item.issue) BorderStroke(2.dp, MaterialTheme.colorScheme.error) else BorderStroke(1.dp, MaterialTheme.colorScheme.outline)
    Surface(shape = MaterialTheme.shapes.medium, border = border, color = MaterialTheme.colorScheme.surface, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(if (item.required) "${item.label} (${strings.required})" else item.label, style = MaterialTheme.typography.titleMedium)
            if (item.guidance.isNotEmpty()) Text(item.guidance, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
            item.answer?.let {
                Text(
                    "${strings.answered}: $it" + if (item.note.isNotEmpty()) " · ${item.note}" else "",
                    style = MaterialTheme.typography.bodyLarge,
                    color = if (item.issue) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface,
                    modifier = Modifier.testTag("answer-${item.id}"),
                )
            }
            if (item.photos > 0) {
                Text("${item.photos} ${strings.photos}", style = MaterialTheme.typography.bodyMedium, modifier = Modifier.testTag("photos-${item.id}"))
            }
            if (state.editable) {
                val typed = state.notes[item.id].orEmpty()
                if (item.style != AnswerStyle.CHOICE && item.style != AnswerStyle.OTHER) {
                    TextInput(
                        typed, { onIntent(WalkIntent.NoteChanged(item.id, it)) },
                        if (item.style == AnswerStyle.TEXT || item.style == AnswerStyle.NUMBER) strings.answer else strings.note,
                        "note-${item.id}",
                        // A number answer gets the number pad: no hunting for digits with gloves on.
                        type = if (item.style == AnswerStyle.NUMBER) KeyboardType.Decimal else KeyboardType.Text,
                    )
                }
                ChoiceRow {
                    when (item.style) {
                        AnswerStyle.CHECK -> {
                            Choice(strings.ok, item.checked == CheckState.OK, { onIntent(WalkIntent.Check(item.id, CheckState.OK)) }, Modifier.testTag("ok-${item.id}"))
                            Choice(strings.issue, item.issue, { onIntent(WalkIntent.Check(item.id, CheckState.ISSUE)) }, Modifier.testTag("issue-${item.id}"))
                            Choice(strings.na, item.notApplicable, { onIntent(WalkIntent.Check(item.id, CheckState.NOT_APPLICABLE)) })
                        }
                        AnswerStyle.TEXT, AnswerStyle.NUMBER -> {
                            Choice(strings.save, false, { onIntent(WalkIntent.SaveText(item.id)) }, Modifier.testTag("save-${item.id}"))
                            Choice(strings.na, item.notApplicable, { onIntent(WalkIntent.NotApplicable(item.id)) })
                        }
                        AnswerStyle.CHOICE -> {
                            for (o in item.options) Choice(o, item.answer == o, { onIntent(WalkIntent.Choose(item.id, o)) })
                            Choice(strings.na, item.notApplicable, { onIntent(WalkIntent.NotApplicable(item.id)) })
                        }
                        AnswerStyle.LOCATION -> {
                            Choice(strings.here, false, { onIntent(WalkIntent.HereNow(item.id)) })
                            Choice(strings.na, item.notApplicable, { onIntent(WalkIntent.NotApplicable(item.id)) })
                        }
                        AnswerStyle.PHOTO, AnswerStyle.OTHER -> Choice(strings.na, item.notApplicable, { onIntent(WalkIntent.NotApplicable(item.id)) })
                    }
                    if (onTakePhoto != null) {
                        Choice(strings.photo, false, { onTakePhoto(item.id) }, Modifier.testTag("photo-${item.id}"))
                    }
                }
            }
            val draft = state.raising
            if (draft != null && draft.itemId == item.id) {
                RaiseSheet(draft, state, onIntent, strings)
            } else if (item.issue) {
                SecondaryButton(strings.raise, { onIntent(WalkIntent.RaiseIncident(item.id)) }, enabled = !state.busy, modifier = Modifier.testTag("raise-${item.id}"))
            }
        }
    }
}

/** The incident's category (the quick log's ten tiles) and severity, then file it or cancel. */
@Composable
private fun RaiseSheet(draft: RaiseDraft, state: WalkScreenState, onIntent: (WalkIntent) -> Unit, strings: WalkStrings) {
    Text(strings.raiseCategory, style = MaterialTheme.typography.titleMedium)
    ChoiceRow {
        for (t in state.raiseTiles) {
            Choice(t.label, draft.category == t.category, { onIntent(WalkIntent.RaiseCategoryPicked(t.category)) }, Modifier.testTag("raise-category-${t.category.name}"))
        }
    }
    Text(strings.raiseSeverity, style = MaterialTheme.typography.titleMedium)
    ChoiceRow {
        for ((sev, label) in state.raiseSeverities) {
            Choice(label, draft.severity == sev, {
                onIntent(WalkIntent.RaiseSeverityPicked(if (draft.severity == sev) null else sev))
            }, Modifier.testTag("raise-severity-${sev.name}"))
        }
    }
    BigButton(strings.fileIncident, { onIntent(WalkIntent.ConfirmRaise) }, enabled = !state.busy, modifier = Modifier.testTag("raise-confirm"))
    SecondaryButton(strings.cancel, { onIntent(WalkIntent.CancelRaise) }, modifier = Modifier.testTag("raise-cancel"))
}
