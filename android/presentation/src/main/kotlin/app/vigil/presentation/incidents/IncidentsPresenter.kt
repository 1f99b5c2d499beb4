package app.vigil.presentation.incidents

import app.vigil.core.model.Category
import app.vigil.core.model.IncidentFilter
import app.vigil.core.model.Severity
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

/** How far back the list looks (by when the incident happened). */
enum class Period(val label: String, val hours: Long) {
    DAY("Last 24 h", 24),
    WEEK("Last 7 days", 24 * 7),
    MONTH("Last 30 days", 24 * 30),
}

data class IncidentsState(
    val query: String = "",
    val category: Category? = null,
    val minSeverity: Severity? = null,
    val period: Period? = null,
    val rows: List<IncidentRow> = emptyList(),
    val loading: Boolean = true,
    val error: String? = null,
) {
    val categories: List<FilterChoice<Category>>
        get() = listOf(FilterChoice<Category>(null, "All", category == null)) +
            Category.entries.map { FilterChoice(it, Words.category(it), it == category) }
    val severities: List<FilterChoice<Severity>>
        get() = listOf(FilterChoice<Severity>(null, "Any", minSeverity == null)) +
            Severity.entries.map { FilterChoice(it, "${Words.severity(it)}+", it == minSeverity) }
    val periods: List<FilterChoice<Period>>
        get() = listOf(FilterChoice<Period>(null, "Any time", period == null)) +
            Period.entries.map { FilterChoice(it, it.label, it == period) }
    val empty: Boolean get() = !loading && rows.isEmpty()
}

sealed interface IncidentsIntent {
    data class QueryChanged(val text: String) : IncidentsIntent
    data class CategoryPicked(val category: Category?) : IncidentsIntent
    data class MinSeverityPicked(val severity: Severity?) : IncidentsIntent
    data class PeriodPicked(val period: Period?) : IncidentsIntent
    data object Refresh : IncidentsIntent
}

/**
 * The incident list: newest first, full-text search (the core's index), and filters by
 * category, minimum severity and period (the core's filter), which a search honours too:
 * the core applies text and filters in one query.
 */
class IncidentsPresenter(
    private val vigil: VigilCore,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val time: TimeWords = TimeWords(),
) : Presenter<IncidentsState, IncidentsIntent>(IncidentsState(), scope, io) {
    private var loadJob: Job? = null

    /** Bumped by every reload: a slower, older load never overwrites a newer one's rows. */
    private val generation = java.util.concurrent.atomic.AtomicInteger()

    init {
        reload()
    }

    override fun onIntent(intent: IncidentsIntent) {
        when (intent) {
            is IncidentsIntent.QueryChanged -> set { it.copy(query = intent.text) }
            is IncidentsIntent.CategoryPicked -> set { it.copy(category = intent.category) }
            is IncidentsIntent.MinSeverityPicked -> set { it.copy(minSeverity = intent.severity) }
            is IncidentsIntent.PeriodPicked -> set { it.copy(period = intent.period) }
            IncidentsIntent.Refresh -> Unit
        }
        reload()
    }

    override fun IncidentsState.failed(words: String) = copy(loading = false, error = words)

    private fun reload() {
        val s = current
        val gen = generation.incrementAndGet()
        loadJob?.cancel()
        set { it.copy(loading = true) }
        loadJob = launch {
            try {
                val from = s.period?.let { time.nowMs() - it.hours * 3_600_000 }
                val filter = IncidentFilter(from, null, s.category, null, s.minSeverity, null, null)
                val found = core {
                    val log = vigil.incidents()
                    if (s.query.isNotBlank()) {
                        log.searchFiltered(s.query.trim(), filter, LIMIT, null)
                    } else {
                        log.list(filter, LIMIT, null)
                    }
                }
                val rows = found.map { r -> IncidentRow.of(r, time) }
                set { if (gen == generation.get()) it.copy(rows = rows, loading = false, error = null) else it }
            } catch (e: Exception) {
                if (e is kotlinx.coroutines.CancellationException) throw e
                set { if (gen == generation.get()) it.failed(CoreWords.of(e)) else it }
            }
        }
    }

    companion object {
        const val LIMIT = 100u
    }
}
