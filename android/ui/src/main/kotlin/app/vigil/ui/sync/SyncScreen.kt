package app.vigil.ui.sync

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.input.KeyboardType
import app.vigil.presentation.sync.SyncIntent
import app.vigil.presentation.sync.SyncState
import app.vigil.ui.BigButton
import app.vigil.ui.RowCard
import app.vigil.ui.TextInput
import app.vigil.ui.VigilScreen
import app.vigil.ui.SectionTitle

data class SyncStrings(
    val title: String = "Team sync",
    val status: String = "Status",
    val enroll: String = "Join a team",
    val enrollBody: String = "Your team lead gives you the server address and a one-time code.",
    val server: String = "Server address",
    val code: String = "One-time code",
    val pin: String = "Server key pin (optional)",
    val join: String = "Join team",
    val syncNow: String = "Sync now",
    val syncing: String = "Syncing…",
    val team: String = "Team",
    val quarantined: String = "Refused by the server",
    val noneRefused: String = "Nothing refused.",
    val attempts: String = "attempt(s)",
)

@Composable
fun SyncScreen(state: SyncState, onIntent: (SyncIntent) -> Unit, strings: SyncStrings = SyncStrings()) {
    VigilScreen(strings.title, state.error, state.message) {
        SectionTitle(strings.status)
        RowCard(
            state.indicator.line,
            listOfNotNull(state.indicator.problem, state.team?.let { "${strings.team}: ${it.take(8)}" }, state.server),
            alert = state.indicator.problem != null,
            modifier = Modifier.testTag("sync-status"),
        )
        if (!state.indicator.enrolled) {
            SectionTitle(strings.enroll)
            Text(strings.enrollBody, style = MaterialTheme.typography.bodyLarge)
            TextInput(state.enroll.server, { onIntent(SyncIntent.ServerChanged(it)) }, strings.server, "server", KeyboardType.Uri)
            TextInput(state.enroll.code, { onIntent(SyncIntent.CodeChanged(it)) }, strings.code, "code", KeyboardType.Ascii)
            TextInput(state.enroll.pin, { onIntent(SyncIntent.PinChanged(it)) }, strings.pin, "pin", KeyboardType.Ascii)
            BigButton(strings.join, { onIntent(SyncIntent.Enroll) }, enabled = state.canEnroll, modifier = Modifier.testTag("enroll"))
        } else {
            BigButton(
                if (state.busy) strings.syncing else strings.syncNow,
                { onIntent(SyncIntent.SyncNow) },
                enabled = state.canSyncNow,
                modifier = Modifier.testTag("sync-now"),
            )
            SectionTitle(strings.quarantined)
            if (state.quarantined.isEmpty()) Text(strings.noneRefused, style = MaterialTheme.typography.bodyLarge)
            for (q in state.quarantined) RowCard(q.what, listOf(q.reason, "${q.attempts} ${strings.attempts}"), alert = true)
        }
    }
}
