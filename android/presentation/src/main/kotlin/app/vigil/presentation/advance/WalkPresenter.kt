package app.vigil.presentation.advance

import app.vigil.core.model.Answer
import app.vigil.core.model.AnswerInput
import app.vigil.core.model.AnswerValue
import app.vigil.core.model.Category
import app.vigil.core.model.CheckState
import app.vigil.core.model.ItemKind
import app.vigil.core.model.Severity
import app.vigil.core.model.Walk
import app.vigil.core.model.WalkState
import app.vigil.presentation.Capture
import app.vigil.presentation.PositionProvider
import app.vigil.presentation.Presenter
import app.vigil.presentation.VigilCore
import app.vigil.presentation.Words
import app.vigil.presentation.quicklog.Tile
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/**
 * How an item is answered on the walk screen: ok/issue/n.a.; typed text; a typed number;
 * one of the item's options; "here" (the current fix); a photo (the camera); or, for
 * contact items, n.a. only from this screen.
 */
enum class AnswerStyle { CHECK, TEXT, NUMBER, CHOICE, LOCATION, PHOTO, OTHER }

data class ItemRow(
    val id: String,
    val label: String,
    val guidance: String,
    val required: Boolean,
    val style: AnswerStyle,
    /** The answer in words ("OK", "Issue", "n/a", the text), or null if unanswered. */
    val answer: String?,
    val issue: Boolean,
    val note: String,
    /** A choice item's options. */
    val options: List<String> = emptyList(),
    /** For a check item: how it was answered. */
    val checked: CheckState? = null,
    val notApplicable: Boolean = false,
    /** Photos taken for this item (sealed in the store), answered or waiting for the answer. */
    val photos: Int = 0,
)

/**
 * An incident about to be raised from an item: the officer picks the category (the quick
 * log's ten tiles) and the severity; security breach / medium are preselected.
 */
data class RaiseDraft(
    val itemId: String,
    val category: Category = Category.SECURITY_BREACH,
    val severity: Severity? = Severity.MEDIUM,
)

data class SectionRow(val title: String, val items: List<ItemRow>)

data class WalkScreenState(
    val walkId: String,
    val title: String = "",
    val state: WalkState = WalkState.IN_PROGRESS,
    val stateWords: String = "",
    val sections: List<SectionRow> = emptyList(),
    /** "12 of 20 checks · 8 of 10 required · 2 issues". */
    val progress: String = "",
    val requiredLeft: Int = 0,
    val issues: Int = 0,
    /** The note being typed, per item. */
    val notes: Map<String, String> = emptyMap(),
    val busy: Boolean = false,
    val error: String? = null,
    val message: String? = null,
    /** The incident raised from an item, if any (the host may open it). */
    val raisedIncidentId: String? = null,
    /** The raise-an-incident sheet, open while not null. */
    val raising: RaiseDraft? = null,
    val raiseTiles: List<Tile> = Category.entries.map { Tile(it, Words.category(it)) },
    val raiseSeverities: List<Pair<Severity, String>> = Severity.entries.map { it to Words.severity(it) },
) {
    val editable: Boolean get() = state == WalkState.IN_PROGRESS && !busy
    val canComplete: Boolean get() = editable && requiredLeft == 0
    val canSignOff: Boolean get() = state == WalkState.COMPLETED && !busy
}

sealed interface WalkIntent {
    data class Check(val itemId: String, val state: CheckState) : WalkIntent
    data class NoteChanged(val itemId: String, val text: String) : WalkIntent
    /** Any item: does not apply here. */
    data class NotApplicable(val itemId: String) : WalkIntent
    /** A choice item: one of its options. */
    data class Choose(val itemId: String, val option: String) : WalkIntent
    /** A location item: where the officer stands now. */
    data class HereNow(val itemId: String) : WalkIntent
    /** Saves a text item's answer (the note field holds the text). */
    data class SaveText(val itemId: String) : WalkIntent
    data object Complete : WalkIntent
    data object SignOff : WalkIntent
    /** Opens the raise sheet for an item answered as an issue (category and severity preselected). */
    data class RaiseIncident(val itemId: String) : WalkIntent
    data class RaiseCategoryPicked(val category: Category) : WalkIntent
    data class RaiseSeverityPicked(val severity: Severity?) : WalkIntent
    /** Files the incident in the log with the chosen category and severity. */
    data object ConfirmRaise : WalkIntent
    data object CancelRaise : WalkIntent
    /**
     * A photo the camera took for an item: sealed into the store, then the answer of a
     * photo item, or added to the item's answer (kept for its answer if not answered yet).
     */
    data class AttachPhoto(val itemId: String, val capture: Capture) : WalkIntent
    data object Refresh : WalkIntent
}

/**
 * Walking a checklist: sections and items, ok / issue / n.a. with a note (and the fix),
 * progress and issues, complete (the core refuses while required items are open), sign
 * off (sealed with the device key), and raising an incident from an item.
 */
class WalkPresenter(
    private val vigil: VigilCore,
    walkId: String,
    private val position: PositionProvider,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
) : Presenter<WalkScreenState, WalkIntent>(WalkScreenState(walkId), scope, io) {

    /** The walk's answers as last loaded (the presenter re-answers with them). */
    @Volatile
    private var answers: Map<String, Answer> = emptyMap()

    /** Photos sealed for items not answered yet: they go with the item's answer. */
    @Volatile
    private var pendingPhotos: Map<String, List<String>> = emptyMap()

    // After the fields above: load() may run on another thread at once.
    init {
        load()
    }

    override fun onIntent(intent: WalkIntent) {
        when (intent) {
            is WalkIntent.Check -> answer(intent.itemId, AnswerValue.Check(intent.state), intent.state == CheckState.ISSUE)
            is WalkIntent.NotApplicable -> answer(intent.itemId, AnswerValue.NotApplicable, false)
            is WalkIntent.Choose -> answer(intent.itemId, AnswerValue.Choice(intent.option), false)
            is WalkIntent.HereNow -> launch {
                val fix = core { position.current() }
                if (fix == null) {
                    set { it.copy(error = "No fix yet: step outside or wait, then try again.") }
                } else {
                    answer(intent.itemId, AnswerValue.Location(fix.geo()), false)
                }
            }
            is WalkIntent.NoteChanged -> set { it.copy(notes = it.notes + (intent.itemId to intent.text)) }
            is WalkIntent.SaveText -> {
                val text = current.notes[intent.itemId]?.trim().orEmpty()
                val item = current.sections.flatMap { it.items }.firstOrNull { it.id == intent.itemId }
                if (text.isEmpty() || item == null) return
                if (item.style == AnswerStyle.NUMBER) {
                    val n = text.replace(',', '.').toDoubleOrNull()
                    if (n == null) set { it.copy(error = "That is not a number.") } else answer(intent.itemId, AnswerValue.Number(n), false)
                } else {
                    answer(intent.itemId, AnswerValue.Text(text), false)
                }
            }
            WalkIntent.Complete -> act {
                vigil.advance().completeWalk(current.walkId, vigil.officerName)
                "Walk completed. Sign it off to seal it."
            }
            WalkIntent.SignOff -> act {
                vigil.advance().signOffWalk(current.walkId, vigil.officerName)
                "Signed off and sealed with this phone's key."
            }
            is WalkIntent.RaiseIncident -> set { it.copy(raising = RaiseDraft(intent.itemId), error = null, message = null) }
            is WalkIntent.RaiseCategoryPicked -> set { s -> s.copy(raising = s.raising?.copy(category = intent.category)) }
            is WalkIntent.RaiseSeverityPicked -> set { s -> s.copy(raising = s.raising?.copy(severity = intent.severity)) }
            WalkIntent.CancelRaise -> set { it.copy(raising = null) }
            WalkIntent.ConfirmRaise -> raise()
            is WalkIntent.AttachPhoto -> attachPhoto(intent.itemId, intent.capture)
            WalkIntent.Refresh -> load()
        }
    }

    override fun WalkScreenState.working() = copy(busy = true, error = null, message = null)

    override fun WalkScreenState.idle() = copy(busy = false)

    override fun WalkScreenState.failed(words: String) = copy(error = words)

    private fun raise() {
        val draft = current.raising ?: return
        if (current.busy) return
        runCore({
            vigil.advance().raiseIncidentFromItem(
                current.walkId, draft.itemId,
                draft.category.name.lowercase(), draft.severity?.name?.lowercase(),
            ).also { vigil.localChange() }
        }) { s, id ->
            s.copy(
                raising = null, raisedIncidentId = id,
                message = "${Words.category(draft.category)} incident raised in the log from this item.",
            )
        }
    }

    private fun attachPhoto(itemId: String, c: Capture) {
        val item = current.sections.flatMap { it.items }.firstOrNull { it.id == itemId } ?: return
        if (!current.editable) return
        val a = answers[itemId]
        when {
            // The photo is the answer: answered again with every photo so far.
            item.style == AnswerStyle.PHOTO -> act {
                val before = (a?.value as? AnswerValue.Photo)?.attachments.orEmpty()
                saveAnswer(itemId, AnswerValue.Photo(before + seal(c)), a?.issue == true)
                null
            }
            // Answered: the answer is given again with the photo.
            a != null -> act {
                saveAnswer(itemId, a.value, a.issue, extraPhoto = seal(c))
                "Photo sealed and added to this item."
            }
            // Not answered yet: the sealed photo goes with the item's answer.
            else -> runCore({
                val id = seal(c)
                pendingPhotos = pendingPhotos + (itemId to pendingPhotos[itemId].orEmpty() + id)
            }) { s, _ -> s.copy(message = "Photo sealed. It goes with this item's answer.").withPending() }
        }
    }

    /** Seals the camera's file into the store, then deletes the plaintext (blocking: on IO). */
    private fun seal(c: Capture): String =
        vigil.incidents().storeAttachmentFile(c.path, c.mime, c.capturedAtMillis).id.also { c.sealed() }

    private fun WalkScreenState.withPending(): WalkScreenState = copy(
        sections = sections.map { s ->
            s.copy(items = s.items.map { i ->
                i.copy(photos = (answers[i.id]?.photos?.size ?: 0) + photoAnswers(answers[i.id]) + pendingPhotos[i.id].orEmpty().size)
            })
        },
    )

    private fun photoAnswers(a: Answer?): Int = (a?.value as? AnswerValue.Photo)?.attachments?.size ?: 0

    private fun answer(itemId: String, value: AnswerValue, issue: Boolean) {
        if (!current.editable) return
        act {
            saveAnswer(itemId, value, issue)
            null
        }
    }

    /** Answers [itemId] in the core with the fix of now (blocking: on IO). */
    private fun saveAnswer(itemId: String, value: AnswerValue, issue: Boolean, extraPhoto: String? = null) {
        val before = answers[itemId]
        val typed = current.notes[itemId]?.trim()
        val note = when {
            value is AnswerValue.Text || value is AnswerValue.Number -> ""
            typed != null -> typed
            else -> before?.note.orEmpty()
        }
        // A new answer keeps the item's photos: those of the answer before, those taken
        // before it was answered, and the one just taken.
        val photos = before?.photos.orEmpty() + pendingPhotos[itemId].orEmpty() + listOfNotNull(extraPhoto)
        val fix = position.current()
        vigil.advance().answerItem(
            current.walkId,
            AnswerInput(itemId, value, note, issue, fix?.geo() ?: before?.position, photos, vigil.officerName, null),
        )
        pendingPhotos = pendingPhotos - itemId
    }

    /**
     * A change to the walk: [block] makes it in the core (on IO) and returns what to tell the
     * officer; the walk is read again in the same call, so the screen shows both at once.
     */
    private fun act(block: () -> String?) {
        runCore({
            val done = block()
            vigil.localChange()
            done to readWalk()
        }) { s, (done, w) -> s.withWalk(w).withPending().copy(message = done) }
    }

    private fun load() {
        readCore(::readWalk) { s, w -> s.withWalk(w).withPending() }
    }

    /** The walk as stored; its answers are kept for the next answer (blocking: on IO). */
    private fun readWalk(): Walk =
        vigil.advance().getWalk(current.walkId).also { w -> answers = w.answers.associateBy { it.itemId } }

    private fun WalkScreenState.withWalk(w: Walk): WalkScreenState {
        val answers = w.answers.associateBy { it.itemId }
        val p = w.progress()
        return copy(
            title = w.template.title,
            state = w.state,
            stateWords = AdvancePresenter.walkStateWords(w.state),
            sections = w.template.sections.map { s ->
                SectionRow(s.title, s.items.map { i ->
                    val a = answers[i.id]
                    ItemRow(
                        i.id, i.label, i.guidance, i.required,
                        styleOf(i.kind),
                        a?.let { answerWords(it) }, a?.issue == true, a?.note.orEmpty(),
                        options = (i.kind as? ItemKind.Choice)?.options.orEmpty(),
                        checked = (a?.value as? AnswerValue.Check)?.state,
                        notApplicable = a?.value == AnswerValue.NotApplicable ||
                            (a?.value as? AnswerValue.Check)?.state == CheckState.NOT_APPLICABLE,
                    )
                })
            },
            progress = "${p.answered} of ${p.total} checks · ${p.requiredAnswered} of ${p.requiredTotal} required · ${p.issues} issue(s)",
            requiredLeft = (p.requiredTotal - p.requiredAnswered).toInt(),
            issues = p.issues.toInt(),
        )
    }

    private fun styleOf(k: ItemKind): AnswerStyle = when (k) {
        is ItemKind.Check -> AnswerStyle.CHECK
        is ItemKind.Text -> AnswerStyle.TEXT
        is ItemKind.Number -> AnswerStyle.NUMBER
        is ItemKind.Choice -> AnswerStyle.CHOICE
        is ItemKind.Location -> AnswerStyle.LOCATION
        is ItemKind.Photo -> AnswerStyle.PHOTO
        else -> AnswerStyle.OTHER
    }

    private fun answerWords(a: Answer): String = when (val v = a.value) {
        is AnswerValue.Check -> when (v.state) {
            CheckState.OK -> "OK"
            CheckState.ISSUE -> "Issue"
            CheckState.NOT_APPLICABLE -> "n/a"
        }
        is AnswerValue.Text -> v.text
        is AnswerValue.Number -> v.value.toString()
        is AnswerValue.Choice -> v.option
        is AnswerValue.Location -> "Position recorded"
        is AnswerValue.Photo -> "${v.attachments.size} photo(s)"
        is AnswerValue.Contact -> "Contact recorded"
        AnswerValue.NotApplicable -> "n/a"
    }
}
