package app.vigil.ui.advance

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import app.vigil.presentation.advance.AdvanceIntent
import app.vigil.presentation.advance.AdvanceState
import app.vigil.ui.RowCard
import app.vigil.ui.VigilScreen
import app.vigil.ui.SecondaryButton
import app.vigil.ui.SectionTitle

data class AdvanceStrings(
    val title: String = "Advance work",
    val nearestAe: String = "Nearest A&E",
    val noFix: String = "No fix: nearest A&E unknown.",
    val noAe: String = "No A&E hospital saved yet.",
    val venues: String = "Venues",
    val exits: String = "exit(s)",
    val safeRoom: String = "Safe room",
    val noSafeRoom: String = "No safe room recorded",
    val points: String = "point(s)",
    val havens: String = "Safe havens",
    val aeTag: String = "A&E",
    val routes: String = "Routes",
    val worstGap: String = "Worst gap",
    val havensInCorridor: String = "haven(s) along it",
    val watching: String = "On the move",
    val walks: String = "Walks",
    val templates: String = "Checklists (tap to start a walk)",
    val items: String = "item(s)",
    val issues: String = "issue(s)",
    val none: String = "None yet.",
    val startFor: String = "Start this walk for",
    val cancel: String = "Cancel",
)

/** Where a tap on the advance screen leads; the host navigates. */
sealed interface AdvanceNav {
    data class Walk(val walkId: String) : AdvanceNav
}

@Composable
fun AdvanceScreen(
    state: AdvanceState,
    onIntent: (AdvanceIntent) -> Unit,
    onNavigate: (AdvanceNav) -> Unit,
    strings: AdvanceStrings = AdvanceStrings(),
) {
    val starting = state.starting
    if (starting != null) {
        // The choice fills the screen: big rows, nothing else to hit by mistake.
        VigilScreen(starting.title, state.error) {
            SectionTitle(strings.startFor)
            for (c in starting.subjects) {
                RowCard(c.label, emptyList(), modifier = Modifier.testTag("subject-${c.label}"), onClick = {
                    onIntent(AdvanceIntent.StartWalk(starting.templateId, c.subject))
                })
            }
            SecondaryButton(strings.cancel, { onIntent(AdvanceIntent.CancelStart) })
        }
        return
    }
    VigilScreen(strings.title, state.error) {
        SectionTitle(strings.nearestAe)
        val ae = state.nearestAe
        when {
            ae != null -> RowCard(ae.name, listOf("${ae.distance} · ${ae.bearing}", state.fix), modifier = Modifier.testTag("nearest-ae"))
            state.fix == "No fix" -> Text(strings.noFix, style = MaterialTheme.typography.bodyLarge)
            else -> Text(strings.noAe, style = MaterialTheme.typography.bodyLarge)
        }
        state.watch?.let { w ->
            SectionTitle(strings.watching)
            RowCard(w.name, listOf(w.progress), alert = w.offRoute != null, modifier = Modifier.testTag("route-watch"))
            // Off route is the one line read at a glance, at night, walking: big and red.
            w.offRoute?.let {
                Text(
                    it, style = MaterialTheme.typography.titleLarge, color = MaterialTheme.colorScheme.error,
                    fontWeight = FontWeight.Bold, modifier = Modifier.testTag("off-route"),
                )
            }
        }
        SectionTitle(strings.walks)
        if (state.walks.isEmpty()) Text(strings.none, style = MaterialTheme.typography.bodyLarge)
        for (w in state.walks) {
            RowCard(
                w.title, listOf(w.subject, "${w.state} · ${w.progress}"),
                badge = if (w.issues > 0) "${w.issues} ${strings.issues}" else null, alert = w.issues > 0,
                onClick = { onNavigate(AdvanceNav.Walk(w.id)) },
            )
        }
        SectionTitle(strings.venues)
        if (state.venues.isEmpty()) Text(strings.none, style = MaterialTheme.typography.bodyLarge)
        for (v in state.venues) {
            RowCard(v.name, listOf("${v.exits} ${strings.exits} · ${v.points} ${strings.points}", v.safeRoom?.let { "${strings.safeRoom}: $it" } ?: strings.noSafeRoom))
        }
        SectionTitle(strings.routes)
        if (state.routes.isEmpty()) Text(strings.none, style = MaterialTheme.typography.bodyLarge)
        for (r in state.routes) {
            RowCard(
                r.name,
                listOfNotNull(r.length + " · ${r.havensInCorridor} ${strings.havensInCorridor}", r.worstGap?.let { "${strings.worstGap}: $it" }),
                onClick = { onIntent(AdvanceIntent.WatchRoute(r.id)) },
            )
        }
        SectionTitle(strings.havens)
        if (state.havens.isEmpty()) Text(strings.none, style = MaterialTheme.typography.bodyLarge)
        for (h in state.havens) RowCard(h.name, listOf(h.kind), badge = if (h.ae) strings.aeTag else null)
        SectionTitle(strings.templates)
        for (t in state.templates) {
            RowCard(
                t.title, listOf("${t.kind} · ${t.items} ${strings.items}"),
                modifier = Modifier.testTag("template-${t.id}"),
                onClick = { onIntent(AdvanceIntent.ChooseTemplate(t.id)) },
            )
        }
    }
}
