package app.vigil.presentation.home

import app.vigil.core.model.IncidentFilter
import app.vigil.core.model.IncidentSummary
import app.vigil.core.model.StorageStatus
import app.vigil.core.model.SyncStatus
import app.vigil.core.model.WalkState
import app.vigil.presentation.Presenter
import app.vigil.presentation.TimeWords
import app.vigil.presentation.VigilCore
import app.vigil.presentation.Words
import app.vigil.presentation.incidents.IncidentRow
import app.vigil.presentation.sync.SyncIndicator
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/** The walk in progress, if any. */
data class WalkInProgress(val walkId: String, val title: String, val progress: String, val issues: Int)

data class HomeState(
    val officer: String = "",
    val recent: List<IncidentRow> = emptyList(),
    val walk: WalkInProgress? = null,
    val sync: SyncIndicator = SyncIndicator(),
    /** "Phone storage almost full ..." while free space runs low, else null. */
    val storageWarning: String? = null,
    val loading: Boolean = true,
    val error: String? = null,
)

sealed interface HomeIntent {
    data object Refresh : HomeIntent
}

/** Home: the big "Log incident" action (navigation, held by the host), recent incidents, the walk in progress, the sync indicator. */
class HomePresenter(
    private val vigil: VigilCore,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val time: TimeWords = TimeWords(),
) : Presenter<HomeState, HomeIntent>(HomeState(officer = vigil.officerName), scope, io) {

    init {
        load()
    }

    override fun onIntent(intent: HomeIntent) {
        when (intent) {
            HomeIntent.Refresh -> load()
        }
    }

    override fun HomeState.failed(words: String) = copy(loading = false, error = words)

    private fun load() {
        readCore({
            val recent = vigil.incidents().list(IncidentFilter(null, null, null, null, null, null, null), RECENT, null)
            // A walk's progress is the core's (a call across the FFI): read here, on IO.
            val walk = vigil.advance().listWalks().firstOrNull { it.state == WalkState.IN_PROGRESS }?.let {
                val p = it.progress()
                WalkInProgress(it.id, it.template.title, "${p.answered} of ${p.total} checks", p.issues.toInt())
            }
            Home(recent, walk, vigil.sync().status(), vigil.vault().storage())
        }) { s, h ->
            s.copy(
                recent = h.recent.map { r -> IncidentRow.of(r, time) },
                walk = h.walk,
                sync = SyncIndicator.of(h.status, time),
                storageWarning = Words.storageWarning(h.storage),
                loading = false,
                error = null,
            )
        }
    }

    /** What home shows, as read from the core. */
    private class Home(val recent: List<IncidentSummary>, val walk: WalkInProgress?, val status: SyncStatus, val storage: StorageStatus)

    companion object {
        const val RECENT = 5u
    }
}
