import VigilCore

/// Core errors in words an officer under stress understands: what happened and what to do,
/// never a stack trace, never sensitive content (the core's errors carry none either).
/// The twin of android/presentation's `CoreWords`, sentence for sentence.
///
/// Two steps: each error the bindings can throw is mapped to the core's stable code
/// (`core/src/codes.rs`, the CLI's JSON `kind`) by an exhaustive `switch` (no `default`: a
/// variant added to the bindings does not compile until it is mapped here), then each code
/// of each area has its sentence (`sentence`).
enum CoreWords {
    /// The areas of the core's errors; a code means the same within an area.
    enum Area: Sendable, Hashable { case store, incident, advance, sync }

    /// The core's code of an error and its area.
    struct Code: Sendable, Hashable {
        let area: Area
        let code: String
    }

    static let generic = "Something went wrong. Your data is safe; try again."

    static func of(_ e: Error) -> String {
        if let s = e as? StoreError, case .WrongPassphrase(let left) = s { return attemptsLeft(left) }
        guard let c = code(e) else { return generic }
        return sentence(c.area, c.code) ?? generic
    }

    static func attemptsLeft(_ n: UInt32?) -> String {
        switch n {
        case nil: return "Wrong passphrase. Try again."
        case 1: return "Wrong passphrase. 1 attempt left before this phone's Vigil data is wiped."
        case let n?: return "Wrong passphrase. \(n) attempts left before this phone's Vigil data is wiped."
        }
    }

    /// The core's code of `e` and its area, or nil for an error that is not the core's.
    static func code(_ e: Error) -> Code? {
        switch e {
        case let e as StoreError: return Code(area: .store, code: store(e))
        case let e as IncidentError: return Code(area: .incident, code: incident(e))
        case let e as AdvanceError: return Code(area: .advance, code: advance(e))
        case let e as SyncError: return Code(area: .sync, code: sync(e))
        default: return nil
        }
    }

    /// The sentence for `code` in `area`; nil when the core's code has none (a bug).
    static func sentence(_ area: Area, _ code: String) -> String? {
        byArea[area]?[code] ?? common[code]
    }

    private static func store(_ e: StoreError) -> String {
        switch e {
        case .WrongPassphrase: return "wrong_passphrase"
        case .PlatformKeyRejected: return "platform_key_rejected"
        case .WipedAfterFailedAttempts: return "wiped_after_failed_attempts"
        case .PolicyTampered: return "policy_tampered"
        case .Locked: return "locked"
        case .Wiped: return "wiped"
        case .NotFound: return "not_found"
        case .AlreadyExists: return "already_exists"
        case .NotAStore: return "not_a_store"
        case .KeyFileCorrupt: return "key_file_corrupt"
        case .DatabaseCorrupt: return "database_corrupt"
        case .NewerFormat: return "newer_format"
        case .WeakKdf: return "weak_kdf"
        case .UnknownSlot: return "unknown_slot"
        case .LastSlot: return "last_slot"
        case .KeyWrapper: return "key_wrapper"
        case .InvalidInput: return "invalid_input"
        case .Busy: return "busy"
        case .DiskFull: return "disk_full"
        case .Io: return "io"
        case .Internal: return "internal"
        }
    }

    // `Store` carries the store's failure as a message only (the FFI does not pass the
    // store's code through an incident or advance error yet): it reads as "internal".
    private static func incident(_ e: IncidentError) -> String {
        switch e {
        case .InvalidInput: return "invalid_input"
        case .UnknownIncident: return "unknown_incident"
        case .UnknownAttachment: return "unknown_attachment"
        case .AttachmentEmpty: return "attachment_empty"
        case .AttachmentCorrupt: return "attachment_corrupt"
        case .AttachmentNotDownloaded: return "attachment_not_downloaded"
        case .Bundle: return "bundle"
        case .Io: return "io"
        case .Locked: return "locked"
        case .Store: return "internal"
        }
    }

    private static func advance(_ e: AdvanceError) -> String {
        switch e {
        case .InvalidInput: return "invalid_input"
        case .Gpx: return "gpx"
        case .GeoJson: return "geojson"
        case .WrongGeometry: return "wrong_geometry"
        case .EmptyRoute: return "empty_route"
        case .TooLarge: return "too_large"
        case .Template: return "template"
        case .WrongAnswerKind: return "wrong_answer_kind"
        case .UnknownItem: return "unknown_item"
        case .RequiredUnanswered: return "required_unanswered"
        case .WrongWalkState: return "wrong_walk_state"
        case .SnapshotInvalid: return "snapshot_invalid"
        case .NotFound: return "not_found"
        case .AlreadyExists: return "already_exists"
        case .Incident: return "internal"
        case .Locked: return "locked"
        case .Store: return "internal"
        }
    }

    private static func sync(_ e: SyncError) -> String {
        switch e {
        case .NotEnrolled: return "not_enrolled"
        case .AlreadyEnrolled: return "already_enrolled"
        case .EnrollmentRefused: return "enrollment_refused"
        case .Revoked: return "revoked"
        case .Unauthorized: return "unauthorized"
        case .ClockSkew: return "clock_skew"
        case .SequenceGap: return "sequence_gap"
        case .Transient: return "transient"
        case .Protocol(_): return "protocol"
        case .AlreadyRunning: return "already_running"
        case .InvalidUrl: return "invalid_url"
        case .InvalidPin: return "invalid_pin"
        case .Locked: return "locked"
        case .Store: return "store"
        }
    }

    private static let damaged = "Vigil's data on this phone is damaged and cannot be opened. Tell your team lead."
    private static let routeFile = "That route file could not be read. Check it is a GPX or GeoJSON route."

    /// Sentences shared by every area (the same code means the same thing).
    private static let common: [String: String] = [
        "locked": "Vigil is locked. Unlock to continue.",
        "invalid_input": "That was not accepted. Check what you typed.",
        "io": "The phone's storage failed. Free some space and try again.",
        "internal": "Vigil could not do that. Your data is safe; try again.",
        "busy": "Vigil is busy saving something else. Nothing was lost: try again in a moment.",
        "disk_full": "Phone storage is full: nothing was saved, nothing was lost. Free some space, then try again.",
    ]

    private static let byArea: [Area: [String: String]] = [
        .store: [
            "wrong_passphrase": CoreWords.attemptsLeft(nil),
            "platform_key_rejected": "This phone's key was refused. Unlock with your passphrase.",
            "wiped_after_failed_attempts": "Too many wrong passphrases: Vigil's data on this phone has been wiped.",
            "policy_tampered": "Vigil's wipe setting was changed outside the app. Tell your team lead, then choose the setting to unlock.",
            "wiped": "Vigil's data on this phone has been wiped.",
            "not_found": "No Vigil data on this phone yet. Set it up first.",
            "already_exists": "Vigil is already set up on this phone. Unlock instead.",
            "not_a_store": CoreWords.damaged,
            "key_file_corrupt": CoreWords.damaged,
            "database_corrupt": CoreWords.damaged,
            "newer_format": "This data was written by a newer Vigil. Update the app.",
            "weak_kdf": "The security settings are too weak. Use the defaults.",
            "unknown_slot": "That unlock method no longer exists.",
            "last_slot": "This is the only way to unlock; add another before removing it.",
            "key_wrapper": "This phone's secure key store failed. Unlock with your passphrase.",
        ],
        .incident: [
            "unknown_incident": "That incident is not on this phone.",
            "unknown_attachment": "That attachment is not on this phone.",
            "attachment_empty": "The file is empty: nothing was attached.",
            "attachment_corrupt": "The attachment is damaged and cannot be opened.",
            "attachment_not_downloaded": "The attachment has not arrived yet. Sync, then try again.",
            "bundle": "The evidence file could not be made: this phone's log does not check out. Tell your team lead.",
        ],
        .advance: [
            "gpx": CoreWords.routeFile,
            "geojson": CoreWords.routeFile,
            "wrong_geometry": CoreWords.routeFile,
            "empty_route": "That route has no points.",
            "too_large": "That file is too large for Vigil. Split it or simplify it, then try again.",
            "template": "That checklist template could not be read.",
            "wrong_answer_kind": "That answer does not fit this check.",
            "unknown_item": "That check is not in this checklist.",
            "required_unanswered": "Some required checks are not answered yet.",
            "wrong_walk_state": "This walk cannot do that now (already completed or signed off).",
            "snapshot_invalid": "A teammate's checklist could not be read. Sync again later.",
            "not_found": "That is not on this phone.",
            "already_exists": "That is already on this phone.",
        ],
        .sync: [
            "not_enrolled": "This phone is not in a team yet. Enroll first.",
            "already_enrolled": "This phone is already in a team.",
            "enrollment_refused": "The server refused the code. Ask your team lead for a new one.",
            "revoked": "This phone was removed from the team. Talk to your team lead.",
            "unauthorized": "The server did not accept this phone. Talk to your team lead.",
            "clock_skew": "This phone's clock is wrong. Set the time, then sync again.",
            "sequence_gap": "The server is missing some of this phone's changes. Vigil will resend them; tell your team lead if this stays.",
            "transient": "No connection to the team server. Vigil will retry by itself.",
            "protocol": "The team server answered something Vigil does not understand. Update the app or tell your team lead.",
            "already_running": "A sync is already running.",
            "invalid_url": "That server address is not valid.",
            "invalid_pin": "That server pin is not valid.",
            "store": "Sync stopped: this phone's storage failed. Your data is safe; Vigil will retry.",
        ],
    ]
}
