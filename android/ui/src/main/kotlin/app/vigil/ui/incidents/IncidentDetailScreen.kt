package app.vigil.ui.incidents

import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import app.vigil.presentation.incidents.AttachmentRow
import app.vigil.presentation.incidents.IncidentDetailIntent
import app.vigil.presentation.incidents.IncidentDetailState
import app.vigil.ui.BigButton
import app.vigil.ui.Choice
import app.vigil.ui.ChoiceRow
import app.vigil.ui.PhotoDecoder
import app.vigil.ui.decodeOrNull
import app.vigil.ui.RowCard
import app.vigil.ui.TextInput
import app.vigil.ui.VigilScreen
import app.vigil.ui.SecondaryButton
import app.vigil.ui.SectionTitle

data class IncidentDetailStrings(
    val loading: String = "Opening…",
    val now: String = "As it stands",
    val history: String = "History (nothing is ever overwritten)",
    val attachments: String = "Attachments",
    val noAttachments: String = "None.",
    val chain: String = "Integrity",
    val amend: String = "Amend",
    val amendTitle: String = "Amendment",
    val narrative: String = "What happened",
    val severity: String = "Severity",
    val reason: String = "Reason for the amendment (required)",
    val save: String = "Save amendment",
    val cancel: String = "Cancel",
    val witnesses: String = "Witnesses",
    val by: String = "by",
    val photo: String = "Add photo",
    val export: String = "Share as evidence package",
)

@Composable
fun IncidentDetailScreen(
    state: IncidentDetailState,
    onIntent: (IncidentDetailIntent) -> Unit,
    onTakePhoto: (() -> Unit)? = null,
    onExport: (() -> Unit)? = null,
    strings: IncidentDetailStrings = IncidentDetailStrings(),
    photos: PhotoDecoder? = null,
) {
    val card = state.card
    VigilScreen(card?.title ?: strings.loading, state.error, state.message) {
        if (card == null) return@VigilScreen
        val amend = state.amend
        if (amend != null) {
            SectionTitle(strings.amendTitle)
            TextInput(amend.narrative, { onIntent(IncidentDetailIntent.NarrativeChanged(it)) }, strings.narrative, "amend-narrative", minLines = 3)
            Text(strings.severity, style = MaterialTheme.typography.titleMedium)
            ChoiceRow {
                for ((s, label) in state.severities) {
                    Choice(label, amend.severity == s, { onIntent(IncidentDetailIntent.SeverityPicked(s)) })
                }
            }
            TextInput(
                amend.reason, { onIntent(IncidentDetailIntent.ReasonChanged(it)) }, strings.reason, "amend-reason",
                isError = amend.reason.isBlank(),
            )
            BigButton(strings.save, { onIntent(IncidentDetailIntent.SaveAmendment) }, enabled = state.canSaveAmendment, modifier = Modifier.testTag("amend-save"))
            SecondaryButton(strings.cancel, { onIntent(IncidentDetailIntent.CancelAmend) })
            return@VigilScreen
        }
        SectionTitle(strings.now)
        RowCard(
            title = "${card.occurred} · ${card.severity}",
            lines = listOfNotNull(card.place, card.officer?.let { "${strings.by} $it" }),
        )
        if (card.narrative.isNotEmpty()) Text(card.narrative, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.testTag("narrative"))
        if (card.witnesses.isNotEmpty()) Text("${strings.witnesses}: " + card.witnesses.joinToString(", "), style = MaterialTheme.typography.bodyLarge)
        BigButton(strings.amend, { onIntent(IncidentDetailIntent.StartAmend) }, enabled = !state.busy, modifier = Modifier.testTag("amend"))
        SectionTitle(strings.chain)
        Text(
            state.chain ?: "…",
            style = MaterialTheme.typography.bodyLarge,
            color = if (state.chainOk) MaterialTheme.colorScheme.onBackground else MaterialTheme.colorScheme.error,
            modifier = Modifier.testTag("chain"),
        )
        SectionTitle(strings.attachments)
        if (state.attachments.isEmpty()) Text(strings.noAttachments, style = MaterialTheme.typography.bodyLarge)
        for (a in state.attachments) AttachmentCard(a, state, onIntent, photos)
        if (onTakePhoto != null) SecondaryButton(strings.photo, onTakePhoto, enabled = !state.busy, modifier = Modifier.testTag("take-photo"))
        if (onExport != null) SecondaryButton(strings.export, onExport, enabled = !state.busy, modifier = Modifier.testTag("export"))
        SectionTitle(strings.history)
        for (h in state.history) {
            RowCard(
                title = "${h.title} · ${h.at}",
                lines = listOfNotNull("${strings.by} ${h.author}", h.reason?.let { "“$it”" }, h.changes),
            )
        }
    }
}

/** The text row; a photo row also shows its thumbnail once its bytes arrive and decode. */
@Composable
private fun AttachmentCard(
    a: AttachmentRow,
    state: IncidentDetailState,
    onIntent: (IncidentDetailIntent) -> Unit,
    photos: PhotoDecoder?,
) {
    if (a.photo && photos != null) LaunchedEffect(a.id) { onIntent(IncidentDetailIntent.ShowThumbnail(a.id)) }
    val bytes = state.thumbnails[a.id]
    val maxPx = with(LocalDensity.current) { THUMBNAIL.roundToPx() }
    val image = remember(bytes) { if (bytes != null && photos != null) photos.decodeOrNull(bytes, maxPx) else null }
    Column(Modifier.fillMaxWidth().testTag("attachment-${a.id}")) {
        if (image != null) {
            Image(
                image, contentDescription = a.words, contentScale = ContentScale.Fit,
                modifier = Modifier.heightIn(max = THUMBNAIL).fillMaxWidth().padding(bottom = 4.dp).testTag("thumbnail-${a.id}"),
            )
        }
        RowCard(a.words, emptyList())
    }
}

private val THUMBNAIL = 200.dp
