import VigilCore

/// Core errors in words an officer under stress understands: what happened and what to do,
/// never a stack trace, never sensitive content (the core's errors carry none either).
/// The twin of android/presentation's `CoreWords`, sentence for sentence.
enum CoreWords {
    static func of(_ e: Error) -> String {
        switch e {
        case let e as StoreError: return store(e)
        case let e as IncidentError: return incident(e)
        case let e as AdvanceError: return advance(e)
        case let e as SyncError: return sync(e)
        default: return "Something went wrong. Your data is safe; try again."
        }
    }

    static func attemptsLeft(_ n: UInt32?) -> String {
        switch n {
        case nil: return "Wrong passphrase. Try again."
        case 1: return "Wrong passphrase. 1 attempt left before this phone's Vigil data is wiped."
        case let n?: return "Wrong passphrase. \(n) attempts left before this phone's Vigil data is wiped."
        }
    }

    private static func store(_ e: StoreError) -> String {
        switch e {
        case .WrongPassphrase(let left): return attemptsLeft(left)
        case .PlatformKeyRejected: return "This phone's key was refused. Unlock with your passphrase."
        case .WipedAfterFailedAttempts: return "Too many wrong passphrases: Vigil's data on this phone has been wiped."
        case .Wiped: return "Vigil's data on this phone has been wiped."
        case .Locked: return "Vigil is locked. Unlock to continue."
        case .NotFound: return "No Vigil data on this phone yet. Set it up first."
        case .AlreadyExists: return "Vigil is already set up on this phone. Unlock instead."
        case .NotAStore, .KeyFileCorrupt, .DatabaseCorrupt:
            return "Vigil's data on this phone is damaged and cannot be opened. Tell your team lead."
        case .NewerFormat: return "This data was written by a newer Vigil. Update the app."
        case .WeakKdf: return "The security settings are too weak. Use the defaults."
        case .UnknownSlot: return "That unlock method no longer exists."
        case .LastSlot: return "This is the only way to unlock; add another before removing it."
        case .KeyWrapper: return "This phone's secure key store failed. Unlock with your passphrase."
        case .InvalidInput: return "That was not accepted. Check what you typed."
        case .Io: return "The phone's storage failed. Free some space and try again."
        default: return "Vigil could not do that. Your data is safe; try again."
        }
    }

    private static func incident(_ e: IncidentError) -> String {
        switch e {
        case .InvalidInput: return "That was not accepted. Check what you typed."
        case .UnknownIncident: return "That incident is not on this phone."
        case .UnknownAttachment: return "That attachment is not on this phone."
        case .AttachmentEmpty: return "The file is empty: nothing was attached."
        case .AttachmentCorrupt: return "The attachment is damaged and cannot be opened."
        case .AttachmentNotDownloaded: return "The attachment has not arrived yet. Sync, then try again."
        case .Locked: return "Vigil is locked. Unlock to continue."
        case .Io: return "The phone's storage failed. Free some space and try again."
        default: return "Vigil could not do that. Your data is safe; try again."
        }
    }

    private static func advance(_ e: AdvanceError) -> String {
        switch e {
        case .InvalidInput: return "That was not accepted. Check what you typed."
        case .RequiredUnanswered: return "Some required checks are not answered yet."
        case .WrongWalkState: return "This walk cannot do that now (already completed or signed off)."
        case .NotFound: return "That is not on this phone."
        case .Locked: return "Vigil is locked. Unlock to continue."
        case .Gpx, .GeoJson, .WrongGeometry, .EmptyRoute: return "That route file could not be read."
        case .Template: return "That checklist template could not be read."
        default: return "Vigil could not do that. Your data is safe; try again."
        }
    }

    private static func sync(_ e: SyncError) -> String {
        switch e {
        case .NotEnrolled: return "This phone is not in a team yet. Enroll first."
        case .AlreadyEnrolled: return "This phone is already in a team."
        case .EnrollmentRefused: return "The server refused the code. Ask your team lead for a new one."
        case .Revoked: return "This phone was removed from the team. Talk to your team lead."
        case .Unauthorized: return "The server did not accept this phone. Talk to your team lead."
        case .ClockSkew: return "This phone's clock is wrong. Set the time, then sync again."
        case .Transient: return "No connection to the team server. Vigil will retry by itself."
        case .AlreadyRunning: return "A sync is already running."
        case .InvalidUrl: return "That server address is not valid."
        case .InvalidPin: return "That server pin is not valid."
        case .Locked: return "Vigil is locked. Unlock to continue."
        default: return "Sync failed. Your data is safe on this phone; Vigil will retry."
        }
    }
}
