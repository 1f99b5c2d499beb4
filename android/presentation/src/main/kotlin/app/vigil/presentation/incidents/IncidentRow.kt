package app.vigil.presentation.incidents

import app.vigil.core.IncidentSummary
import app.vigil.core.Severity
import app.vigil.presentation.TimeWords
import app.vigil.presentation.Words

/** One incident in a list: what, how bad, when, and whether it was amended. */
data class IncidentRow(
    val id: String,
    val title: String,
    val severity: String,
    val severe: Boolean,
    val occurred: String,
    val preview: String,
    val amendments: Int,
) {
    companion object {
        fun of(s: IncidentSummary, time: TimeWords): IncidentRow {
            val r = s.current
            return IncidentRow(
                id = s.incidentId,
                title = Words.category(r.category),
                severity = Words.severity(r.severity),
                severe = r.severity == Severity.HIGH || r.severity == Severity.CRITICAL,
                occurred = time.at(r.occurred.epochMillis),
                preview = r.narrative.lineSequence().firstOrNull()?.take(80) ?: "",
                amendments = s.amendments.toInt(),
            )
        }
    }
}
