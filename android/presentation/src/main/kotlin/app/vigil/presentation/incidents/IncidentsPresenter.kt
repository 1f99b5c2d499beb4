package app.vigil.presentation.incidents

import app.vigil.core.IncidentCategory
import app.vigil.core.IncidentFilter
import app.vigil.core.Severity
import app.vigil.presentation.CoreWords
import app.vigil.presentation.Presenter
import app.vigil.presentation.TimeWords
import app.vigil.presentation.VigilCore
import app.vigil.presentation.Words
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job

data class FilterChoice<T>(val value: T?, val label: String, val selected: Boolean)

data class IncidentsState(
    val query: String = "",
    val category: IncidentCategory? = null,
    val minSeverity: Severity? = null,
    val rows: List<IncidentRow> = emptyList(),
    val loading: Boolean = true,
    val error: String? = null,
) {
    val categories: List<FilterChoice<IncidentCategory>>
        get() = listOf(FilterChoice<IncidentCategory>(null, "All", category == null)) +
            IncidentCategory.entries.map { FilterChoice(it, Words.category(it), it == category) }
    val severities: List<FilterChoice<Severity>>
        get() = listOf(FilterChoice<Severity>(null, "Any", minSeverity == null)) +
            Severity.entries.map { FilterChoice(it, "${Words.severity(it)}+", it == minSeverity) }
    val empty: Boolean get() = !loading && rows.isEmpty()
}

sealed interface IncidentsIntent {
    data class QueryChanged(val text: String) : IncidentsIntent
    data class CategoryPicked(val category: IncidentCategory?) : IncidentsIntent
    data class MinSeverityPicked(val severity: Severity?) : IncidentsIntent
    data object Refresh : IncidentsIntent
}

/**
 * The incident list: newest first, full-text search (the core's index), and filters by
 * category and minimum severity (the core's filter). A search looks at every incident.
 */
class IncidentsPresenter(
    private val vigil: VigilCore,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val time: TimeWords = TimeWords(),
) : Presenter<IncidentsState, IncidentsIntent>(IncidentsState(), scope, io) {
    private var loadJob: Job? = null

    init {
        reload()
    }

    override fun onIntent(intent: IncidentsIntent) {
        when (intent) {
            is IncidentsIntent.QueryChanged -> set { it.copy(query = intent.text) }
            is IncidentsIntent.CategoryPicked -> set { it.copy(category = intent.category) }
            is IncidentsIntent.MinSeverityPicked -> set { it.copy(minSeverity = intent.severity) }
            IncidentsIntent.Refresh -> Unit
        }
        reload()
    }

    private fun reload() {
        val s = current
        loadJob?.cancel()
        set { it.copy(loading = true) }
        loadJob = launch {
            try {
                val found = core {
                    val log = vigil.incidents()
                    if (s.query.isNotBlank()) {
                        log.search(s.query.trim(), LIMIT, null)
                    } else {
                        log.list(IncidentFilter(null, null, s.category, null, s.minSeverity, null, null), LIMIT, null)
                    }
                }
                set { it.copy(rows = found.map { r -> IncidentRow.of(r, time) }, loading = false, error = null) }
            } catch (e: Exception) {
                if (e is kotlinx.coroutines.CancellationException) throw e
                set { it.copy(loading = false, error = CoreWords.of(e)) }
            }
        }
    }

    companion object {
        const val LIMIT = 100u
    }
}
