package app.vigil.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.selected
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** The places the tab bar leads to, with their words. */
enum class Tab(val label: String) {
    HOME("Home"),
    INCIDENTS("Incidents"),
    ADVANCE("Advance"),
    SYNC("Sync"),
    SETTINGS("Settings"),
}

/**
 * The tab bar under every screen after unlock. Each tab is as wide as its word and at
 * least [MinTouch] tall; a word is never cut: when the five do not fit on one line (large
 * font sizes) they wrap onto a second one. The selected tab is filled, as a selected choice
 * is (a colour of the words alone hardly shows by day), and marked for accessibility
 * services.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun TabBar(selected: Tab?, onPick: (Tab) -> Unit) {
    FlowRow(horizontalArrangement = Arrangement.SpaceEvenly, modifier = Modifier.fillMaxWidth().testTag("tabs")) {
        for (t in Tab.entries) {
            val on = t == selected
            TextButton(
                onClick = { onPick(t) },
                colors = if (on) {
                    ButtonDefaults.textButtonColors(
                        containerColor = MaterialTheme.colorScheme.primaryContainer,
                        contentColor = MaterialTheme.colorScheme.onPrimaryContainer,
                    )
                } else {
                    ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.onSurfaceVariant)
                },
                contentPadding = PaddingValues(horizontal = 6.dp),
                modifier = Modifier.heightIn(min = MinTouch).semantics { this.selected = on },
            ) {
                Text(t.label, style = MaterialTheme.typography.labelLarge.copy(fontSize = 15.sp), maxLines = 1, softWrap = false)
            }
        }
    }
}
