package app.vigil.presentation.incidents

import app.vigil.core.model.EntryKind
import app.vigil.core.IncidentView
import app.vigil.core.model.VerifyReport
import app.vigil.core.model.Severity
import app.vigil.presentation.Capture
import app.vigil.presentation.attachmentWords
import app.vigil.presentation.settings.packageWords
import app.vigil.presentation.Presenter
import app.vigil.presentation.TimeWords
import app.vigil.presentation.VigilCore
import app.vigil.presentation.Words
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/** One entry of the incident's history: the original report or an amendment, never edited. */
data class HistoryRow(val title: String, val at: String, val author: String, val reason: String?, val changes: String?)

/**
 * One attachment of the incident: "Photo · 2.1 MB · taken 14:02"; [photo] when it is an
 * image the screen may show as a thumbnail (its bytes arrive in
 * [IncidentDetailState.thumbnails] after [IncidentDetailIntent.ShowThumbnail]).
 */
data class AttachmentRow(val id: String, val words: String, val photo: Boolean = false)

/** The current view of an incident, in words. */
data class IncidentCard(
    val title: String,
    val severity: String,
    val occurred: String,
    val place: String,
    val narrative: String,
    val witnesses: List<String>,
    val officer: String?,
)

/** What the officer types to amend: only the fields changed go into the amendment. */
data class AmendDraft(
    val narrative: String,
    val severity: Severity?,
    val reason: String = "",
)

data class IncidentDetailState(
    val incidentId: String,
    val card: IncidentCard? = null,
    val history: List<HistoryRow> = emptyList(),
    val attachments: List<AttachmentRow> = emptyList(),
    /**
     * The encoded bytes of the photos whose rows are on screen, by attachment id, read
     * from the store off the main thread (at most [IncidentDetailPresenter.THUMBNAIL_MAX_BYTES]
     * each); a photo missing here shows as its text row.
     */
    val thumbnails: Map<String, ByteArray> = emptyMap(),
    /** The chain's verification, in words; [chainOk] false means the log was tampered with. */
    val chain: String? = null,
    val chainOk: Boolean = true,
    val amend: AmendDraft? = null,
    val busy: Boolean = false,
    val error: String? = null,
    val message: String? = null,
    val currentSeverity: Severity? = null,
    /** Where this incident's evidence package was last written (the host shares it). */
    val exported: String? = null,
    val severities: List<Pair<Severity, String>> = Severity.entries.map { it to Words.severity(it) },
    private val originalNarrative: String = "",
) {
    val amendChanges: Boolean
        get() = amend != null && (amend.narrative != originalNarrative || amend.severity != currentSeverity)

    /** An amendment needs a reason and a change. */
    val canSaveAmendment: Boolean get() = !busy && amendChanges && amend?.reason?.isNotBlank() == true

    internal fun withView(v: IncidentView, time: TimeWords): IncidentDetailState {
        val r = v.current
        return copy(
            card = IncidentCard(
                title = Words.category(r.category),
                severity = Words.severity(r.severity),
                occurred = time.at(r.occurred.utc),
                place = r.location?.let { l ->
                    String.format(java.util.Locale.ROOT, "%.5f, %.5f", l.latitude, l.longitude) +
                        (Words.accuracy(l.accuracyM)?.let { " ($it)" } ?: "")
                } ?: "No place recorded",
                narrative = r.narrative,
                witnesses = r.witnesses,
                officer = r.officer,
            ),
            history = v.history.map { h ->
                HistoryRow(
                    title = if (h.kind == EntryKind.REPORT) "Reported" else "Amended",
                    at = time.at(h.recordedAt),
                    author = h.author ?: "Unknown officer",
                    reason = h.reason,
                    changes = h.patch?.changedFields()?.takeIf { it.isNotEmpty() }?.joinToString(", ")
                        ?.let { "Changed: $it" },
                )
            },
            attachments = r.attachments.map { a -> AttachmentRow(a.id, attachmentWords(a.mime, a.size.toLong(), a.capturedAt, time), a.mime.startsWith("image/")) },
            originalNarrative = r.narrative,
            currentSeverity = r.severity,
        )
    }
}

sealed interface IncidentDetailIntent {
    data object StartAmend : IncidentDetailIntent
    data class NarrativeChanged(val text: String) : IncidentDetailIntent
    data class SeverityPicked(val severity: Severity?) : IncidentDetailIntent
    data class ReasonChanged(val text: String) : IncidentDetailIntent
    data object SaveAmendment : IncidentDetailIntent
    data object CancelAmend : IncidentDetailIntent
    /** A photo the platform's camera took: sealed into the store and added by an amendment. */
    data class Attach(val capture: Capture) : IncidentDetailIntent
    /** Writes an evidence package of this incident alone to [path] (a new `.zip`). */
    data class ExportPackage(val path: String) : IncidentDetailIntent
    /** A photo row came on screen: read its bytes for the thumbnail (once). */
    data class ShowThumbnail(val attachmentId: String) : IncidentDetailIntent
    data object Refresh : IncidentDetailIntent
}

/**
 * One incident: its current view, its whole history (the original report and every
 * amendment), its attachments and the chain's verification. Amending never edits the
 * original: the core appends an amendment with the officer's reason.
 */
class IncidentDetailPresenter(
    private val vigil: VigilCore,
    incidentId: String,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val time: TimeWords = TimeWords(),
) : Presenter<IncidentDetailState, IncidentDetailIntent>(IncidentDetailState(incidentId), scope, io) {

    /** Thumbnails asked for (loaded, loading or refused): each is read at most once. */
    private val asked = java.util.concurrent.ConcurrentHashMap.newKeySet<String>()

    // After the fields above: load() may run on another thread at once.
    init {
        load()
    }

    companion object {
        /** The largest photo read for a thumbnail; a larger one stays a text row. */
        const val THUMBNAIL_MAX_BYTES: Long = 8L * 1024 * 1024
    }

    override fun onIntent(intent: IncidentDetailIntent) {
        when (intent) {
            IncidentDetailIntent.StartAmend -> set { s ->
                val c = s.card ?: return@set s
                s.copy(amend = AmendDraft(c.narrative, s.currentSeverity), message = null, error = null)
            }
            is IncidentDetailIntent.NarrativeChanged -> set { it.copy(amend = it.amend?.copy(narrative = intent.text)) }
            is IncidentDetailIntent.SeverityPicked -> set { it.copy(amend = it.amend?.copy(severity = intent.severity)) }
            is IncidentDetailIntent.ReasonChanged -> set { it.copy(amend = it.amend?.copy(reason = intent.text)) }
            IncidentDetailIntent.CancelAmend -> set { it.copy(amend = null) }
            IncidentDetailIntent.SaveAmendment -> saveAmendment()
            is IncidentDetailIntent.Attach -> attach(intent)
            is IncidentDetailIntent.ExportPackage -> exportPackage(intent.path)
            is IncidentDetailIntent.ShowThumbnail -> thumbnail(intent.attachmentId)
            IncidentDetailIntent.Refresh -> load()
        }
    }

    override fun IncidentDetailState.working() = copy(busy = true, error = null, message = null)

    override fun IncidentDetailState.idle() = copy(busy = false)

    override fun IncidentDetailState.failed(words: String) = copy(error = words)

    private fun load() {
        readCore(::read) { s, r -> s.with(r) }
    }

    /** The incident and the chain's verification, read together (blocking: on IO). */
    private fun read(): Pair<IncidentView, VerifyReport> {
        val log = vigil.incidents()
        return log.get(current.incidentId) to log.verify()
    }

    private fun IncidentDetailState.with(read: Pair<IncidentView, VerifyReport>): IncidentDetailState {
        val (view, verify) = read
        return withView(view, time).copy(
            chain = if (verify.ok) {
                "Log verified: ${verify.entriesChecked} entries signed and linked."
            } else {
                "Log check FAILED at entry ${verify.problem?.seq ?: 0u}: this phone's record may have been tampered with."
            },
            chainOk = verify.ok,
            error = null,
        )
    }

    private fun thumbnail(attachmentId: String) {
        if (current.attachments.none { it.id == attachmentId && it.photo } || !asked.add(attachmentId)) return
        launch {
            try {
                val bytes = core {
                    vigil.incidents().attachmentBytes(current.incidentId, attachmentId, THUMBNAIL_MAX_BYTES.toULong())
                }
                set { it.copy(thumbnails = it.thumbnails + (attachmentId to bytes)) }
            } catch (_: Exception) {
                // Too large, not downloaded yet or damaged: the row stays text. Not an error
                // for the officer; the package export reports a damaged file.
            }
        }
    }

    private fun saveAmendment() {
        val s = current
        val draft = s.amend ?: return
        if (!s.canSaveAmendment) return
        val patch = emptyPatch().copy(
            narrative = draft.narrative.takeIf { it != s.card?.narrative },
            severity = draft.severity.takeIf { it != s.currentSeverity },
        )
        runCore({
            vigil.incidents().amend(s.incidentId, draft.reason.trim(), patch)
            vigil.localChange()
            read()
        }) { st, r -> st.with(r).copy(amend = null, message = "Amendment saved. The original stays in the history.") }
    }

    private fun exportPackage(path: String) {
        set { it.copy(exported = null) }
        runCore({ vigil.incidents().exportPackage(path, listOf(current.incidentId)) }) { s, summary ->
            s.copy(message = packageWords(summary), exported = summary.path)
        }
    }

    private fun attach(a: IncidentDetailIntent.Attach) {
        // The core seals the file and adds it to the incident by an amendment; then the
        // camera's plaintext file goes.
        val c = a.capture
        runCore({
            vigil.incidents().attachFile(current.incidentId, c.path, c.mime, c.capturedAtMillis)
            c.sealed()
            vigil.localChange()
            read()
        }) { s, r -> s.with(r).copy(message = "Photo sealed and added. The history shows the amendment.") }
    }
}
