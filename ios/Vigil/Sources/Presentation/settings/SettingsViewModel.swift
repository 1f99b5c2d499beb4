import Foundation
import Observation
import VigilCore
import VigilCoreAsync

/// What an evidence package holds, and the warning that goes with it: its photos are not
/// encrypted (the recipient must be able to open them), so it is handed over with care.
func packageWords(_ s: PackageSummary) -> String {
    "Evidence package written: \(s.incidents.count) incident(s), \(s.attachments) photo(s) or file(s). "
        + "Its photos are not encrypted: hand it over in person or over a secure channel."
}

/// Changing the passphrase: the old one, the new one (with the meter) twice.
struct PassphraseChange: Sendable, Equatable {
    var old: String = ""
    var new: String = ""
    var confirm: String = ""
    var strength: Strength? = nil

    var ready: Bool { !old.isEmpty && strength?.acceptable == true && confirm == new }
}

struct About: Sendable, Equatable {
    let app: String
    let keyFile: String
    let schema: String
    let device: String
}

struct SettingsState: Sendable, Equatable, ActionState {
    var wipeAfter: Int? = nil
    var wipeChoices: [Int?] = [nil, 3, 5, 10]
    var duressSet: Bool = false
    var duress: String = ""
    var change: PassphraseChange? = nil
    var about: About? = nil
    var busy: Bool = false
    var error: String? = nil
    var message: String? = nil
    /// Set once the store is locked from here: the host shows the unlock screen.
    var locked: Bool = false
    /// Where the last evidence package was written (the host hands it to the share sheet).
    var exported: String? = nil
    /// Biometric unlock on (true) or off (false); nil when this phone has no biometric key.
    var biometric: Bool? = nil

    func wipeWords(_ n: Int?) -> String { n.map { "After \($0) wrong passphrases" } ?? "Never" }
    /// Kotlin counts UTF-16 units (`length`); so does this.
    var canSetDuress: Bool { duress.utf16.count >= 4 && !busy }
}

enum SettingsIntent: Sendable {
    case lockNow
    case wipeAfterPicked(attempts: Int?)
    case duressChanged(text: String)
    case setDuress
    case startChange
    case oldChanged(text: String)
    case newChanged(text: String)
    case confirmChanged(text: String)
    case saveChange
    case cancelChange
    /// Turns biometric unlock on (adds the biometric slot) or off (removes it, deletes the key).
    case biometricChanged(enabled: Bool)
    /// Writes an evidence package of every incident to `path` (a new `.zip` the platform
    /// chose): the signed bundle, the photos, a README for the recipient, a signed manifest.
    case exportPackage(path: String)
}

/// Settings: lock now, change passphrase, duress passphrase, wipe policy, evidence export,
/// about. (The panic wipe is the unlock view model's: the settings screen shows it.)
@Observable
@MainActor
final class SettingsViewModel: CoreCalls {
    typealias State = SettingsState
    private(set) var state = SettingsState()
    let vigil: Vigil
    private let appVersion: String
    private let strength: PassphraseStrength

    init(vigil: Vigil, appVersion: String, strength: PassphraseStrength = PassphraseStrength()) {
        self.vigil = vigil
        self.appVersion = appVersion
        self.strength = strength
        load()
    }

    func onIntent(_ intent: SettingsIntent) {
        switch intent {
        case .lockNow:
            run("Locked.", { v in try v.lock() }, then: { $0.locked = true })
        case .wipeAfterPicked(let attempts):
            let done = attempts.map { "Vigil wipes itself after \($0) wrong passphrases in a row." }
                ?? "Wipe after wrong passphrases is off."
            run(done, { v in try v.vault().setWipePolicy(maxFailedAttempts: attempts.map { UInt32($0) }) }, then: { $0.wipeAfter = attempts })
        case .duressChanged(let text):
            state.duress = text
            state.error = nil
        case .setDuress:
            guard state.canSetDuress else { return }
            let duress = state.duress
            run("Duress passphrase set. Entered at unlock, it destroys everything and opens an empty Vigil.", { v in
                var bytes = Data(duress.utf8)
                defer { bytes.resetBytes(in: 0..<bytes.count) }
                _ = try v.vault().setDuressPassphrase(passphrase: bytes)
            }, then: {
                $0.duress = ""
                $0.duressSet = true
            })
        case .startChange:
            state.change = PassphraseChange()
            state.message = nil
        case .oldChanged(let text):
            state.change?.old = text
            state.error = nil
        case .newChanged(let text):
            state.change?.new = text
            state.change?.strength = strength.of(text)
            state.error = nil
        case .confirmChanged(let text):
            state.change?.confirm = text
        case .cancelChange:
            state.change = nil
        case .saveChange:
            guard let c = state.change, c.ready else { return }
            run("Passphrase changed.", { v in
                var old = Data(c.old.utf8)
                var new = Data(c.new.utf8)
                defer {
                    old.resetBytes(in: 0..<old.count)
                    new.resetBytes(in: 0..<new.count)
                }
                try v.vault().changePassphrase(old: old, new: new, platform: v.platformKey)
            }, then: { $0.change = nil })
        case .biometricChanged(let enabled):
            run(
                enabled ? "Fingerprint unlock is on. Your passphrase still works." : "Fingerprint unlock is off.",
                { v in if enabled { try v.enableBiometric() } else { try v.disableBiometric() } },
                then: { $0.biometric = enabled }
            )
        case .exportPackage(let path):
            exportPackage(path)
        }
    }

    func update(_ change: (inout SettingsState) -> Void) { change(&state) }

    private func load() {
        let appVersion = self.appVersion
        readCore({ v -> (VaultStatus, Bool?) in
            let status = try v.vault().status()
            guard v.biometricSupported else { return (status, nil) }
            return (status, try v.biometricUnlockAvailable())
        }) { s, read in
            let (st, bio) = read
            s.wipeAfter = st.wipeAfter.map { Int($0) }
            s.biometric = bio
            s.about = About(
                app: appVersion,
                keyFile: "Key file format \(st.keyFileVersion)",
                schema: "Database schema \(st.schemaVersion ?? 0)",
                device: st.deviceId.map { "Device \($0.prefix(8))" } ?? "Device not registered"
            )
        }
    }

    private func exportPackage(_ path: String) {
        state.exported = nil
        runCore({ v in try v.incidents().exportPackage(path: path, incidents: nil) }) { s, summary in
            s.message = packageWords(summary)
            s.exported = summary.path
        }
    }

    /// Runs a core action on the core's queue; on success applies `then` and shows `done`,
    /// on failure the error in words.
    private func run(
        _ done: String,
        _ action: @escaping @Sendable (Vigil) throws -> Void,
        then: @escaping @MainActor (inout SettingsState) -> Void
    ) {
        runCore(action) { s, _ in
            then(&s)
            s.message = done
        }
    }
}
