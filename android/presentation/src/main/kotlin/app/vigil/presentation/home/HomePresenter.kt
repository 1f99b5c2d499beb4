package app.vigil.presentation.home

import app.vigil.core.model.IncidentFilter
import app.vigil.core.model.WalkState
import app.vigil.presentation.CoreWords
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

    private fun load() {
        launch {
            try {
                val (recent, walks, status) = core {
                    Triple(
                        vigil.incidents().list(IncidentFilter(null, null, null, null, null, null, null), RECENT, null),
                        vigil.advance().listWalks(),
                        vigil.sync().status(),
                    )
                }
                val storage = core { vigil.vault().storage() }
                val walk = walks.firstOrNull { it.state == WalkState.IN_PROGRESS }?.let {
                    WalkInProgress(
                        it.id,
                        it.template.title,
                        "${it.progress().answered} of ${it.progress().total} checks",
                        it.progress().issues.toInt(),
                    )
                }
                set {
                    it.copy(
                        recent = recent.map { r -> IncidentRow.of(r, time) },
                        walk = walk,
                        sync = SyncIndicator.of(status, time),
                        storageWarning = Words.storageWarning(storage),
                        loading = false,
                        error = null,
                    )
                }
            } catch (e: Exception) {
                set { it.copy(loading = false, error = CoreWords.of(e)) }
            }
        }
    }

    companion object {
        const val RECENT = 5u
    }
}
