package app.vigil.ui.home

import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import app.vigil.presentation.home.HomeIntent
import app.vigil.presentation.home.HomeState
import app.vigil.ui.VigilScreen
import app.vigil.ui.RowCard
import app.vigil.ui.ScreenPadding
import app.vigil.ui.SectionTitle

data class HomeStrings(
    val greeting: String = "On duty",
    val logIncident: String = "Log incident",
    val recent: String = "Recent incidents",
    val none: String = "Nothing logged yet.",
    val walk: String = "Walk in progress",
    val sync: String = "Team sync",
    val storage: String = "Storage",
    val issues: String = "issue(s)",
    val amended: String = "amended",
)

/** Where the app's navigation goes from home; the host owns navigation. */
sealed interface HomeNav {
    data object QuickLog : HomeNav
    data class Incident(val id: String) : HomeNav
    data class Walk(val id: String) : HomeNav
    data object Sync : HomeNav
}

/**
 * Home. The "Log incident" action sits at the bottom, under the thumb, and is the largest
 * thing on the screen; everything above it scrolls.
 */
@Composable
fun HomeScreen(
    state: HomeState,
    onIntent: (HomeIntent) -> Unit,
    onNavigate: (HomeNav) -> Unit,
    strings: HomeStrings = HomeStrings(),
) {
    VigilScreen(
        "${strings.greeting} · ${state.officer}",
        state.error,
        bottom = {
            Button(
                onClick = { onNavigate(HomeNav.QuickLog) },
                shape = MaterialTheme.shapes.large,
                modifier = Modifier.fillMaxWidth().padding(ScreenPadding).heightIn(min = 96.dp).testTag("log-incident"),
            ) { Text(strings.logIncident, style = MaterialTheme.typography.headlineMedium) }
        },
    ) {
        state.storageWarning?.let { w ->
            RowCard(
                title = strings.storage,
                lines = listOf(w),
                alert = true,
                modifier = Modifier.testTag("storage-warning"),
            )
        }
        SectionTitle(strings.sync)
        RowCard(
            title = state.sync.line,
            lines = listOfNotNull(state.sync.problem),
            alert = state.sync.problem != null,
            modifier = Modifier.testTag("sync-indicator"),
            onClick = { onNavigate(HomeNav.Sync) },
        )
        state.walk?.let { w ->
            SectionTitle(strings.walk)
            RowCard(
                title = w.title,
                lines = listOf(w.progress),
                badge = if (w.issues > 0) "${w.issues} ${strings.issues}" else null,
                alert = w.issues > 0,
                onClick = { onNavigate(HomeNav.Walk(w.walkId)) },
            )
        }
        SectionTitle(strings.recent)
        if (state.recent.isEmpty() && !state.loading) Text(strings.none, style = MaterialTheme.typography.bodyLarge)
        for (r in state.recent) {
            RowCard(
                title = r.title,
                lines = listOf(
                    r.occurred + " · " + r.severity + if (r.amendments > 0) " · ${strings.amended}" else "",
                    r.preview,
                ),
                alert = r.severe,
                modifier = Modifier.testTag("incident-${r.id}"),
                onClick = { onNavigate(HomeNav.Incident(r.id)) },
            )
        }
    }
}
