package app.vigil.presentation.quicklog

import app.vigil.core.model.Category
import app.vigil.core.model.Severity
import app.vigil.presentation.Capture
import app.vigil.presentation.PositionProvider
import app.vigil.presentation.Presenter
import app.vigil.presentation.TimeWords
import app.vigil.presentation.VigilCore
import app.vigil.presentation.Words
import app.vigil.presentation.incidents.emptyPatch
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

data class Tile(val category: Category, val label: String)

/**
 * What was just logged: the officer sees it was kept, when, and where (or that there was
 * no fix), and the photos added to it since.
 */
data class Logged(val incidentId: String, val what: String, val at: String, val place: String, val photos: Int = 0)

/** Details that can follow at once; saved as an amendment of the quick entry. */
data class Details(
    val severity: Severity? = null,
    val narrative: String = "",
    val witnesses: String = "",
) {
    val isEmpty: Boolean get() = severity == null && narrative.isBlank() && witnesses.isBlank()
}

data class QuickLogState(
    val tiles: List<Tile> = Category.entries.map { Tile(it, Words.category(it)) },
    /** The current fix in words: "±8 m" or "No fix". */
    val fix: String = "No fix",
    val logged: Logged? = null,
    val details: Details = Details(),
    val severities: List<Pair<Severity, String>> = Severity.entries.map { it to Words.severity(it) },
    val busy: Boolean = false,
    val error: String? = null,
    val message: String? = null,
) {
    val canSaveDetails: Boolean get() = logged != null && !busy && !details.isEmpty
}

sealed interface QuickLogIntent {
    /** One tap: logs the category now, with the current fix if there is one. */
    data class Log(val category: Category) : QuickLogIntent
    data object RefreshFix : QuickLogIntent
    data class SeverityPicked(val severity: Severity?) : QuickLogIntent
    data class NarrativeChanged(val text: String) : QuickLogIntent
    data class WitnessesChanged(val text: String) : QuickLogIntent
    data object SaveDetails : QuickLogIntent
    /** A photo the camera just took, for the entry just logged (sealed, added by an amendment). */
    data class AttachPhoto(val capture: Capture) : QuickLogIntent
    data object Done : QuickLogIntent
}

/**
 * Quick log: ten category tiles; one tap logs an incident with the time and the current
 * fix. Severity, narrative, witnesses and photos can follow at once (amendments) or later
 * from the incident's page.
 */
class QuickLogPresenter(
    private val vigil: VigilCore,
    private val position: PositionProvider,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val time: TimeWords = TimeWords(),
) : Presenter<QuickLogState, QuickLogIntent>(QuickLogState(), scope, io) {

    init {
        refreshFix()
    }

    override fun onIntent(intent: QuickLogIntent) {
        when (intent) {
            is QuickLogIntent.Log -> log(intent.category)
            QuickLogIntent.RefreshFix -> refreshFix()
            is QuickLogIntent.SeverityPicked -> set { it.copy(details = it.details.copy(severity = intent.severity)) }
            is QuickLogIntent.NarrativeChanged -> set { it.copy(details = it.details.copy(narrative = intent.text)) }
            is QuickLogIntent.WitnessesChanged -> set { it.copy(details = it.details.copy(witnesses = intent.text)) }
            QuickLogIntent.SaveDetails -> saveDetails()
            is QuickLogIntent.AttachPhoto -> attachPhoto(intent.capture)
            QuickLogIntent.Done -> set { it.copy(logged = null, details = Details(), message = null, error = null) }
        }
    }

    override fun QuickLogState.working() = copy(busy = true, error = null, message = null)

    override fun QuickLogState.idle() = copy(busy = false)

    override fun QuickLogState.failed(words: String) = copy(error = words)

    private fun refreshFix() {
        launch {
            val fix = core { position.current() }
            set { it.copy(fix = Words.fix(fix)) }
        }
    }

    private fun log(category: Category) {
        if (current.busy) return
        runCore({
            val fix = position.current()
            val log = vigil.incidents()
            val receipt = log.quickLog(category, fix?.incidentLocation())
            vigil.localChange()
            fix to log.get(receipt.incidentId)
        }) { s, (fix, view) ->
            val place = fix?.let { f -> Words.accuracy(f.accuracyM)?.let { "Place recorded ($it)" } ?: "Place recorded" }
                ?: "No fix: logged without a place"
            s.copy(
                logged = Logged(view.incidentId, Words.category(category), time.at(view.current.occurred.utc), place),
                details = Details(),
                fix = Words.fix(fix),
            )
        }
    }

    private fun saveDetails() {
        val s = current
        val logged = s.logged ?: return
        if (!s.canSaveDetails) return
        val d = s.details
        val patch = emptyPatch().copy(
            severity = d.severity,
            narrative = d.narrative.trim().takeIf { it.isNotEmpty() },
            witnesses = d.witnesses.lines().map { it.trim() }.filter { it.isNotEmpty() }.takeIf { it.isNotEmpty() },
        )
        runCore({
            vigil.incidents().amend(logged.incidentId, REASON, patch)
            vigil.localChange()
        }) { st, _ -> st.copy(details = Details(), message = "Details added to the ${logged.what.lowercase()} entry.") }
    }

    private fun attachPhoto(c: Capture) {
        val logged = current.logged ?: return
        runCore({
            vigil.incidents().attachFile(logged.incidentId, c.path, c.mime, c.capturedAtMillis)
            c.sealed()
            vigil.localChange()
        }) { s, _ ->
            s.copy(
                logged = s.logged?.copy(photos = s.logged.photos + 1),
                message = "Photo sealed and added to the ${logged.what.lowercase()} entry.",
            )
        }
    }

    companion object {
        /** The reason recorded with details added right after a quick log. */
        const val REASON = "Details added after quick log"
    }
}
