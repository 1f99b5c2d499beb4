package app.vigil.ui.incidents

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import app.vigil.presentation.incidents.IncidentsIntent
import app.vigil.presentation.incidents.IncidentsState
import app.vigil.ui.Choice
import app.vigil.ui.ChoiceRow
import app.vigil.ui.RowCard
import app.vigil.ui.TextInput
import app.vigil.ui.VigilScreen
import app.vigil.ui.SectionTitle

data class IncidentsStrings(
    val title: String = "Incidents",
    val search: String = "Search incidents",
    val category: String = "Category",
    val severity: String = "Severity at least",
    val period: String = "When",
    val none: String = "No incident matches.",
    val amended: String = "amended",
)

@Composable
fun IncidentsScreen(
    state: IncidentsState,
    onIntent: (IncidentsIntent) -> Unit,
    onOpen: (String) -> Unit,
    strings: IncidentsStrings = IncidentsStrings(),
) {
    // The error under the title, not under the filters: at 200 % font they fill the screen.
    VigilScreen(strings.title, state.error) {
        TextInput(state.query, { onIntent(IncidentsIntent.QueryChanged(it)) }, strings.search, "search")
        SectionTitle(strings.category)
        ChoiceRow {
            for (c in state.categories) Choice(c.label, c.selected, { onIntent(IncidentsIntent.CategoryPicked(c.value)) })
        }
        SectionTitle(strings.severity)
        ChoiceRow {
            for (s in state.severities) Choice(s.label, s.selected, { onIntent(IncidentsIntent.MinSeverityPicked(s.value)) })
        }
        SectionTitle(strings.period)
        ChoiceRow {
            for (p in state.periods) Choice(p.label, p.selected, { onIntent(IncidentsIntent.PeriodPicked(p.value)) })
        }
        if (state.empty) Text(strings.none, style = MaterialTheme.typography.bodyLarge)
        for (r in state.rows) {
            RowCard(
                title = r.title,
                lines = listOf(r.occurred + " · " + r.severity + if (r.amendments > 0) " · ${strings.amended}" else "", r.preview),
                alert = r.severe,
                modifier = Modifier.testTag("incident-${r.id}"),
                onClick = { onOpen(r.id) },
            )
        }
    }
}
