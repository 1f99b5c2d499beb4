package app.vigil.presentation

import app.vigil.core.model.AdvanceException
import app.vigil.core.model.IncidentException
import app.vigil.core.model.StoreException
import app.vigil.core.model.SyncException

/**
 * Core errors in words an officer under stress understands: what happened and what to do,
 * never a stack trace, never sensitive content (the core's errors carry none either).
 *
 * The core's errors cross the FFI as they are, each with its one stable code
 * (`e.code()`, defined in `core/src/codes.rs`, the CLI's JSON `kind`): a failure underneath
 * (the store's inside an incident, advance or sync error) is told in its own area. Each code
 * of each area has its sentence ([sentence]); `CoreWordsTest` checks that every code the
 * core defines has one. Nothing here lists variants: a new core error needs only words.
 */
object CoreWords {
    /** The areas of the core's errors; a code means the same within an area. */
    enum class Area { STORE, INCIDENT, ADVANCE, SYNC }

    /** The core's code of [e] and its area, or null for an error that is not the core's. */
    data class Code(val area: Area, val code: String)

    const val GENERIC = "Something went wrong. Your data is safe; try again."

    fun of(e: Throwable): String = when (e) {
        is StoreException.WrongPassphrase -> attemptsLeft(e.attemptsLeft)
        else -> code(e)?.let { sentence(it.area, it.code) } ?: GENERIC
    }

    fun attemptsLeft(n: UInt?): String = when (n) {
        null -> "Wrong passphrase. Try again."
        1u -> "Wrong passphrase. 1 attempt left before this phone's Vigil data is wiped."
        else -> "Wrong passphrase. $n attempts left before this phone's Vigil data is wiped."
    }

    fun code(e: Throwable): Code? = when (e) {
        // A failure underneath is told in its own area, as its own code.
        is IncidentException.Store -> code(e.v1)
        is AdvanceException.Store -> code(e.v1)
        is AdvanceException.Incident -> code(e.v1)
        is SyncException.Store -> code(e.v1)
        is StoreException -> Code(Area.STORE, e.code())
        is IncidentException -> Code(Area.INCIDENT, e.code())
        is AdvanceException -> Code(Area.ADVANCE, e.code())
        is SyncException -> Code(Area.SYNC, e.code())
        else -> null
    }

    /** The sentence for [code] in [area]; null when the core's code has none (a bug). */
    fun sentence(area: Area, code: String): String? = BY_AREA[area]?.get(code) ?: COMMON[code]

    private const val DAMAGED = "Vigil's data on this phone is damaged and cannot be opened. Tell your team lead."
    private const val ROUTE_FILE = "That route file could not be read. Check it is a GPX or GeoJSON route."

    /** Sentences shared by every area (the same code means the same thing). */
    private val COMMON: Map<String, String> = mapOf(
        "locked" to "Vigil is locked. Unlock to continue.",
        "invalid_input" to "That was not accepted. Check what you typed.",
        "io" to "The phone's storage failed. Free some space and try again.",
        "internal" to "Vigil could not do that. Your data is safe; try again.",
        "busy" to "Vigil is busy saving something else. Nothing was lost: try again in a moment.",
        "disk_full" to "Phone storage is full: nothing was saved, nothing was lost. Free some space, then try again.",
    )

    private val BY_AREA: Map<Area, Map<String, String>> = mapOf(
        Area.STORE to mapOf(
            "wrong_passphrase" to attemptsLeft(null),
            "platform_key_rejected" to "This phone's key was refused. Unlock with your passphrase.",
            "wiped_after_failed_attempts" to "Too many wrong passphrases: Vigil's data on this phone has been wiped.",
            "policy_tampered" to "Vigil's wipe setting was changed outside the app. Tell your team lead, then choose the setting to unlock.",
            "wiped" to "Vigil's data on this phone has been wiped.",
            "not_found" to "No Vigil data on this phone yet. Set it up first.",
            "already_exists" to "Vigil is already set up on this phone. Unlock instead.",
            "not_a_store" to DAMAGED,
            "key_file_corrupt" to DAMAGED,
            "database_corrupt" to DAMAGED,
            "newer_format" to "This data was written by a newer Vigil. Update the app.",
            "weak_kdf" to "The security settings are too weak. Use the defaults.",
            "unknown_slot" to "That unlock method no longer exists.",
            "last_slot" to "This is the only way to unlock; add another before removing it.",
            "key_wrapper" to "This phone's secure key store failed. Unlock with your passphrase.",
        ),
        Area.INCIDENT to mapOf(
            "unknown_incident" to "That incident is not on this phone.",
            "unknown_attachment" to "That attachment is not on this phone.",
            "attachment_empty" to "The file is empty: nothing was attached.",
            "attachment_corrupt" to "The attachment is damaged and cannot be opened.",
            "attachment_not_downloaded" to "The attachment has not arrived yet. Sync, then try again.",
            "bundle" to "The evidence file could not be made: this phone's log does not check out. Tell your team lead.",
        ),
        Area.ADVANCE to mapOf(
            "gpx" to ROUTE_FILE,
            "geojson" to ROUTE_FILE,
            "wrong_geometry" to ROUTE_FILE,
            "empty_route" to "That route has no points.",
            "too_large" to "That file is too large for Vigil. Split it or simplify it, then try again.",
            "template" to "That checklist template could not be read.",
            "wrong_answer_kind" to "That answer does not fit this check.",
            "unknown_item" to "That check is not in this checklist.",
            "required_unanswered" to "Some required checks are not answered yet.",
            "wrong_walk_state" to "This walk cannot do that now (already completed or signed off).",
            "snapshot_invalid" to "A teammate's checklist could not be read. Sync again later.",
            "not_found" to "That is not on this phone.",
            "already_exists" to "That is already on this phone.",
        ),
        Area.SYNC to mapOf(
            "not_enrolled" to "This phone is not in a team yet. Enroll first.",
            "already_enrolled" to "This phone is already in a team.",
            "enrollment_refused" to "The server refused the code. Ask your team lead for a new one.",
            "revoked" to "This phone was removed from the team. Talk to your team lead.",
            "unauthorized" to "The server did not accept this phone. Talk to your team lead.",
            "clock_skew" to "This phone's clock is wrong. Set the time, then sync again.",
            "sequence_gap" to "The server is missing some of this phone's changes. Vigil will resend them; tell your team lead if this stays.",
            "transient" to "No connection to the team server. Vigil will retry by itself.",
            "protocol" to "The team server answered something Vigil does not understand. Update the app or tell your team lead.",
            "already_running" to "A sync is already running.",
            "invalid_url" to "That server address is not valid.",
            "invalid_pin" to "That server pin is not valid.",
        ),
    )
}
