package app.vigil.presentation.sync

import app.vigil.core.OutboxEntry
import app.vigil.core.model.SyncStatus
import app.vigil.presentation.CoreWords
import app.vigil.presentation.Presenter
import app.vigil.presentation.TimeWords
import app.vigil.presentation.VigilCore
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

/** The sync indicator shown on home and at the top of the sync screen. */
data class SyncIndicator(
    val enrolled: Boolean = false,
    /** One line: "All sent · last sync 14:02", "3 changes waiting", "Not in a team yet". */
    val line: String = "Not in a team yet",
    val pending: Int = 0,
    val problem: String? = null,
) {
    companion object {
        fun of(s: SyncStatus, time: TimeWords): SyncIndicator {
            if (!s.enrolled) return SyncIndicator()
            if (s.revoked) {
                return SyncIndicator(true, "Removed from the team", s.pending.toInt(), "This phone was removed from the team. Talk to your team lead.")
            }
            val waiting = s.pending.toLong() + s.attachmentsToUpload.toLong()
            val last = s.lastSuccessMs?.let { "last sync ${time.at(it.toLong())}" } ?: "never synced"
            val line = if (waiting == 0L) "All sent · $last" else "$waiting waiting to send · $last"
            val problem = when {
                s.quarantined > 0u -> "${s.quarantined} change(s) refused by the server: see Sync."
                s.lastError != null -> "Last sync failed. Vigil will retry" +
                    (s.nextAttemptMs?.let { " at ${time.at(it.toLong())}" } ?: "") + "."
                else -> null
            }
            return SyncIndicator(true, line, s.pending.toInt(), problem)
        }
    }
}

data class QuarantinedRow(val what: String, val reason: String, val attempts: Int)

data class EnrollForm(val server: String = "", val code: String = "", val pin: String = "") {
    val complete: Boolean get() = server.isNotBlank() && code.isNotBlank()
}

data class SyncState(
    val indicator: SyncIndicator = SyncIndicator(),
    val team: String? = null,
    val server: String? = null,
    val enroll: EnrollForm = EnrollForm(),
    val quarantined: List<QuarantinedRow> = emptyList(),
    val busy: Boolean = false,
    val error: String? = null,
    val message: String? = null,
    val loading: Boolean = true,
) {
    val canEnroll: Boolean get() = !indicator.enrolled && enroll.complete && !busy
    val canSyncNow: Boolean get() = indicator.enrolled && !busy
}

sealed interface SyncIntent {
    data class ServerChanged(val text: String) : SyncIntent
    data class CodeChanged(val text: String) : SyncIntent
    data class PinChanged(val text: String) : SyncIntent
    data object Enroll : SyncIntent
    data object SyncNow : SyncIntent
    data object Refresh : SyncIntent
}

/**
 * Sync and team: enroll with the server address, the one-time code and (optionally) the
 * server's key pin; status; changes the server refused, with their reasons; "sync now".
 * The network call runs on the IO dispatcher and holds nothing of ours meanwhile.
 */
class SyncPresenter(
    private val vigil: VigilCore,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
    private val time: TimeWords = TimeWords(),
) : Presenter<SyncState, SyncIntent>(SyncState(), scope, io) {

    init {
        load()
    }

    override fun onIntent(intent: SyncIntent) {
        when (intent) {
            is SyncIntent.ServerChanged -> set { it.copy(enroll = it.enroll.copy(server = intent.text), error = null) }
            is SyncIntent.CodeChanged -> set { it.copy(enroll = it.enroll.copy(code = intent.text), error = null) }
            is SyncIntent.PinChanged -> set { it.copy(enroll = it.enroll.copy(pin = intent.text), error = null) }
            SyncIntent.Enroll -> enroll()
            SyncIntent.SyncNow -> syncNow()
            SyncIntent.Refresh -> load()
        }
    }

    override fun SyncState.working() = copy(busy = true, error = null, message = null)

    override fun SyncState.idle() = copy(busy = false)

    override fun SyncState.failed(words: String) = copy(loading = false, error = words)

    private fun load() {
        readCore(::snapshot) { s, snap -> s.with(snap) }
    }

    /** The status and the refused items, read together (blocking: on IO). */
    private fun snapshot() = vigil.sync().let { it.status() to it.quarantined() }

    private fun SyncState.with(snap: Pair<SyncStatus, List<OutboxEntry>>): SyncState {
        val (status, quarantined) = snap
        return copy(
            indicator = SyncIndicator.of(status, time),
            team = status.teamId,
            server = status.serverUrl,
            quarantined = quarantined.map { q ->
                QuarantinedRow(kindWords(q.kind), q.lastError ?: "Refused by the server", q.attempts.toInt())
            },
            loading = false,
        )
    }

    private fun enroll() {
        val s = current
        if (!s.canEnroll) return
        runCore({
            val pins = s.enroll.pin.trim().takeIf { it.isNotEmpty() }?.let { listOf(it) } ?: listOf()
            vigil.enroll(s.enroll.server.trim(), s.enroll.code.trim(), pins)
            snapshot()
        }) { st, snap -> st.with(snap).copy(enroll = EnrollForm(), message = "This phone is now in the team.") }
    }

    private fun syncNow() {
        if (!current.canSyncNow) return
        // The outcome and the status after it, in one update: the screen never shows
        // "Synced" (or the failure) beside the counts from before.
        runCore({
            val outcome = try {
                Result.success(vigil.sync().syncNow())
            } catch (e: Exception) {
                Result.failure(e)
            }
            outcome to snapshot()
        }) { st, (outcome, snap) ->
            outcome.fold(
                { r ->
                    val parts = buildList {
                        add("${r.pushed} sent")
                        add("${r.pulled} received")
                        if (r.quarantined > 0u) add("${r.quarantined} refused")
                    }
                    st.with(snap).copy(message = "Synced: " + parts.joinToString(", ") + ".")
                },
                { e -> st.with(snap).failed(CoreWords.of(e)) },
            )
        }
    }

    private fun kindWords(kind: String): String = when {
        kind.startsWith("incident.attachment") -> "Attachment"
        kind.startsWith("incident") -> "Incident entry"
        kind.startsWith("checklist") -> "Checklist"
        kind.startsWith("venue") -> "Venue"
        kind.startsWith("haven") -> "Safe haven"
        kind.startsWith("route") -> "Route"
        else -> "Change"
    }
}
