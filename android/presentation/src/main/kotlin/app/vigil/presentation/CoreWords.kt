package app.vigil.presentation

import app.vigil.core.AdvanceException
import app.vigil.core.IncidentException
import app.vigil.core.StoreException
import app.vigil.core.SyncException

/**
 * Core errors in words an officer under stress understands: what happened and what to do,
 * never a stack trace, never sensitive content (the core's errors carry none either).
 */
object CoreWords {
    fun of(e: Throwable): String = when (e) {
        is StoreException -> store(e)
        is IncidentException -> incident(e)
        is AdvanceException -> advance(e)
        is SyncException -> sync(e)
        else -> "Something went wrong. Your data is safe; try again."
    }

    fun attemptsLeft(n: UInt?): String = when (n) {
        null -> "Wrong passphrase. Try again."
        1u -> "Wrong passphrase. 1 attempt left before this phone's Vigil data is wiped."
        else -> "Wrong passphrase. $n attempts left before this phone's Vigil data is wiped."
    }

    private fun store(e: StoreException): String = when (e) {
        is StoreException.WrongPassphrase -> attemptsLeft(e.attemptsLeft)
        is StoreException.PlatformKeyRejected ->
            "This phone's key was refused. Unlock with your passphrase."
        is StoreException.WipedAfterFailedAttempts ->
            "Too many wrong passphrases: Vigil's data on this phone has been wiped."
        is StoreException.Wiped -> "Vigil's data on this phone has been wiped."
        is StoreException.Locked -> "Vigil is locked. Unlock to continue."
        is StoreException.NotFound -> "No Vigil data on this phone yet. Set it up first."
        is StoreException.AlreadyExists -> "Vigil is already set up on this phone. Unlock instead."
        is StoreException.NotAStore, is StoreException.KeyFileCorrupt, is StoreException.DatabaseCorrupt ->
            "Vigil's data on this phone is damaged and cannot be opened. Tell your team lead."
        is StoreException.NewerFormat -> "This data was written by a newer Vigil. Update the app."
        is StoreException.WeakKdf -> "The security settings are too weak. Use the defaults."
        is StoreException.UnknownSlot -> "That unlock method no longer exists."
        is StoreException.LastSlot -> "This is the only way to unlock; add another before removing it."
        is StoreException.KeyWrapper -> "This phone's secure key store failed. Unlock with your passphrase."
        is StoreException.InvalidInput -> "That was not accepted. Check what you typed."
        is StoreException.Io -> "The phone's storage failed. Free some space and try again."
        else -> "Vigil could not do that. Your data is safe; try again."
    }

    private fun incident(e: IncidentException): String = when (e) {
        is IncidentException.InvalidInput -> "That was not accepted. Check what you typed."
        is IncidentException.UnknownIncident -> "That incident is not on this phone."
        is IncidentException.UnknownAttachment -> "That attachment is not on this phone."
        is IncidentException.AttachmentEmpty -> "The file is empty: nothing was attached."
        is IncidentException.AttachmentCorrupt -> "The attachment is damaged and cannot be opened."
        is IncidentException.AttachmentNotDownloaded -> "The attachment has not arrived yet. Sync, then try again."
        is IncidentException.Locked -> "Vigil is locked. Unlock to continue."
        is IncidentException.Io -> "The phone's storage failed. Free some space and try again."
        else -> "Vigil could not do that. Your data is safe; try again."
    }

    private fun advance(e: AdvanceException): String = when (e) {
        is AdvanceException.InvalidInput -> "That was not accepted. Check what you typed."
        is AdvanceException.RequiredUnanswered -> "Some required checks are not answered yet."
        is AdvanceException.WrongWalkState -> "This walk cannot do that now (already completed or signed off)."
        is AdvanceException.NotFound -> "That is not on this phone."
        is AdvanceException.Locked -> "Vigil is locked. Unlock to continue."
        is AdvanceException.Gpx, is AdvanceException.GeoJson, is AdvanceException.WrongGeometry,
        is AdvanceException.EmptyRoute -> "That route file could not be read."
        is AdvanceException.Template -> "That checklist template could not be read."
        else -> "Vigil could not do that. Your data is safe; try again."
    }

    private fun sync(e: SyncException): String = when (e) {
        is SyncException.NotEnrolled -> "This phone is not in a team yet. Enroll first."
        is SyncException.AlreadyEnrolled -> "This phone is already in a team."
        is SyncException.EnrollmentRefused -> "The server refused the code. Ask your team lead for a new one."
        is SyncException.Revoked -> "This phone was removed from the team. Talk to your team lead."
        is SyncException.Unauthorized -> "The server did not accept this phone. Talk to your team lead."
        is SyncException.ClockSkew -> "This phone's clock is wrong. Set the time, then sync again."
        is SyncException.Transient -> "No connection to the team server. Vigil will retry by itself."
        is SyncException.AlreadyRunning -> "A sync is already running."
        is SyncException.InvalidUrl -> "That server address is not valid."
        is SyncException.InvalidPin -> "That server pin is not valid."
        is SyncException.Locked -> "Vigil is locked. Unlock to continue."
        else -> "Sync failed. Your data is safe on this phone; Vigil will retry."
    }
}
