import VigilCore

/// Core errors in words an officer under stress understands: what happened and what to do,
/// never a stack trace, never sensitive content (the core's errors carry none either).
/// The twin of android/presentation's `CoreWords`, sentence for sentence.
///
/// The core's errors cross the FFI as they are, each with its one stable code (`e.code()`,
/// defined in `core/src/codes.rs`, the CLI's JSON `kind`): a failure underneath (the store's
/// inside an incident, advance or sync error) is told in its own area. Each code of each area
/// has its sentence (`sentence`). Nothing here lists variants: a new core error needs only
/// words.
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
        case let e as StoreError:
            return Code(area: .store, code: e.code())
        case let e as IncidentError:
            // A failure underneath is told in its own area, as its own code.
            if case .Store(let inner) = e { return code(inner) }
            return Code(area: .incident, code: e.code())
        case let e as AdvanceError:
            if case .Store(let inner) = e { return code(inner) }
            if case .Incident(let inner) = e { return code(inner) }
            return Code(area: .advance, code: e.code())
        case let e as SyncError:
            if case .Store(let inner) = e { return code(inner) }
            return Code(area: .sync, code: e.code())
        default:
            return nil
        }
    }

    /// The sentence for `code` in `area`; nil when the core's code has none (a bug).
    static func sentence(_ area: Area, _ code: String) -> String? {
        byArea[area]?[code] ?? common[code]
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
        ],
    ]
}
