import Foundation
import VigilCore

/// The one owner of the core's Rust objects for a store: the `Vault` handle, and the
/// `IncidentLog`, `AdvanceWork` and `SyncClient` opened over it while it is unlocked.
/// The Swift twin of android/presentation's `VigilCore`: view models borrow the objects
/// through this and never keep them; `lock()` and `close()` drop them.
///
/// Every method here blocks (SQLite, the KDF): call them inside `run`, which runs the
/// body on a background queue, never on the main actor. A lock makes the object state
/// safe to share (`@unchecked Sendable`: every stored property is guarded by `mutex` or
/// immutable). Network calls (`enroll`, `SyncClient.syncNow`, `wake`) run outside it.
///
/// `platform` is the phone's key wrapper (Keychain / Secure Enclave on a phone, nil in
/// tests); `biometric` a second one whose key needs Face ID or Touch ID per use (nil when
/// the phone has none): enabled, it opens a platform-only slot, so the officer can unlock
/// without typing; `kdf` nil means the core's default (strong) parameters.
public final class Vigil: @unchecked Sendable {
    private let storeDir: String
    private let officer: String
    private let platform: KeyWrapper?
    private let biometric: KeyWrapper?
    private let kdf: KdfChoice?
    private let syncOptions: SyncOptions
    private let mutex = NSLock()
    private let queue = DispatchQueue(label: "app.vigil.core", qos: .userInitiated, attributes: .concurrent)

    private var vault: Vault?
    private var incidentLog: IncidentLog?
    private var advanceWork: AdvanceWork?
    private var syncClient: SyncClient?
    private var localChangeHandler: (@Sendable () -> Void)?

    public init(
        storeDir: String,
        officer: String,
        platform: KeyWrapper? = nil,
        biometric: KeyWrapper? = nil,
        kdf: KdfChoice? = nil,
        syncOptions: SyncOptions = SyncOptions(serverUrl: nil, timeoutMs: nil, pinnedKeys: [])
    ) {
        self.storeDir = storeDir
        self.officer = officer
        self.platform = platform
        self.biometric = biometric
        self.kdf = kdf
        self.syncOptions = syncOptions
    }

    // MARK: The async layer

    /// Runs `body` on the core's background queue and returns its result to the caller's
    /// actor. The main actor never waits on SQLite, the KDF or the network.
    public func run<T: Sendable>(_ body: @escaping @Sendable (Vigil) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            queue.async {
                continuation.resume(with: Result { try body(self) })
            }
        }
    }

    // MARK: The store

    /// True if a store exists here (the key file can be read).
    public func exists() throws -> Bool {
        try mutex.withLock { try openVault() != nil }
    }

    public func isUnlocked() -> Bool {
        mutex.withLock { vault?.isUnlocked() == true }
    }

    public func create(passphrase: Data) throws {
        try mutex.withLock {
            closeAll()
            vault = try Vault.create(dir: storeDir, passphrase: passphrase, kdf: kdf, platform: platform)
        }
    }

    public func unlock(passphrase: Data) throws {
        try mutex.withLock {
            guard let v = try openVault() else { throw StoreError.NotFound }
            try v.unlockWithPassphrase(passphrase: passphrase, platform: platform)
        }
    }

    /// True when this phone has a biometric key and the store has a slot it may open (a
    /// platform-only slot, added from Settings).
    public func biometricUnlockAvailable() throws -> Bool {
        try mutex.withLock { try hasBiometricSlot() }
    }

    /// Unlocks with the biometric key (the system shows its prompt inside the unwrap).
    public func unlockWithBiometric() throws {
        try mutex.withLock {
            guard let b = biometric else { throw StoreError.PlatformKeyRejected }
            guard let v = try openVault() else { throw StoreError.NotFound }
            try v.unlockWithPlatform(platform: b)
        }
    }

    /// Whether this phone could offer biometric unlock at all (settings show the switch).
    public var biometricSupported: Bool { biometric != nil }

    /// Adds the platform-only slot the biometric key opens (unlocked store).
    public func enableBiometric() throws {
        try mutex.withLock {
            guard let b = biometric else { throw StoreError.PlatformKeyRejected }
            if try !hasBiometricSlot() { _ = try unlockedVault().addPlatformSlot(platform: b) }
        }
    }

    /// Removes the biometric slot(s) and deletes the biometric key.
    public func disableBiometric() throws {
        try mutex.withLock {
            let v = try unlockedVault()
            for slot in try v.status().slots where slot.kind == .platform {
                try v.removeSlot(id: slot.id)
            }
            try biometric?.destroyKey()
        }
    }

    /// After `PolicyTampered` (the key file's wipe setting was altered outside Vigil):
    /// unlocks with the passphrase and puts back the wipe setting the officer confirms
    /// (nil: never).
    public func unlockConfirmingPolicy(passphrase: Data, wipeAfter: UInt32?) throws {
        try mutex.withLock {
            guard let v = try openVault() else { throw StoreError.NotFound }
            try v.unlockConfirmingPolicy(passphrase: passphrase, platform: platform, wipeAfter: wipeAfter)
        }
    }

    /// Closes the database and forgets the keys; the handle stays for the next unlock.
    public func lock() throws {
        try mutex.withLock {
            closeLogs()
            if let v = vault, v.isUnlocked() { try v.lock() }
        }
    }

    /// Panic wipe: keys, database, attachments. Irreversible.
    public func wipe() throws {
        try mutex.withLock {
            closeLogs()
            if let v = try openVault() {
                try v.wipe(platform: platform)
            } else {
                try platform?.destroyKey()
            }
            closeAll()
        }
    }

    /// The unlocked vault (for settings: slots, policies, status).
    public func vault() throws -> Vault {
        try mutex.withLock { try unlockedVault() }
    }

    public func incidents() throws -> IncidentLog {
        try mutex.withLock {
            if let log = incidentLog { return log }
            let log = try IncidentLog.withOfficer(vault: try unlockedVault(), officer: officer)
            incidentLog = log
            return log
        }
    }

    public func advance() throws -> AdvanceWork {
        try mutex.withLock {
            if let work = advanceWork { return work }
            let work = AdvanceWork(vault: try unlockedVault())
            advanceWork = work
            return work
        }
    }

    /// The one sync client of this store (the app wakes it; the sync screen reads it).
    public func sync() throws -> SyncClient {
        try mutex.withLock {
            if let client = syncClient { return client }
            let client = SyncClient(vault: try unlockedVault(), options: syncOptions)
            syncClient = client
            return client
        }
    }

    /// Enrolls this store in a team. `pins` (the server's key pins, may be empty) are kept
    /// by the core for every later sync. The network call runs outside this object's lock.
    public func enroll(serverUrl: String, code: String, pins: [String]) throws {
        let client = try mutex.withLock {
            let v = try unlockedVault()
            let options = SyncOptions(serverUrl: syncOptions.serverUrl, timeoutMs: syncOptions.timeoutMs, pinnedKeys: pins)
            let c = SyncClient(vault: v, options: options)
            syncClient = c
            return c
        }
        try client.enroll(serverUrl: serverUrl, code: code, officer: officer)
    }

    /// Told after every local write (the app wakes the sync loop with `.localChange`);
    /// called on the core's queue.
    public var onLocalChange: (@Sendable () -> Void)? {
        get { mutex.withLock { localChangeHandler } }
        set { mutex.withLock { localChangeHandler = newValue } }
    }

    /// View models call this after they wrote to the store.
    public func localChange() {
        onLocalChange?()
    }

    public var officerName: String { officer }

    public var platformKey: KeyWrapper? { platform }

    /// Drops every Rust object (uniffi frees them when the last reference goes).
    public func close() {
        mutex.withLock { closeAll() }
    }

    // MARK: Private, with `mutex` held

    private func hasBiometricSlot() throws -> Bool {
        guard biometric != nil, let v = try openVault() else { return false }
        return try v.status().slots.contains { $0.kind == .platform }
    }

    private func unlockedVault() throws -> Vault {
        guard let v = vault, v.isUnlocked() else { throw StoreError.Locked }
        return v
    }

    /// The vault handle, or nil when there is no store here yet (any other error is thrown).
    private func openVault() throws -> Vault? {
        if let v = vault { return v }
        do {
            let v = try Vault.open(dir: storeDir)
            vault = v
            return v
        } catch StoreError.NotFound {
            return nil
        }
    }

    private func closeLogs() {
        incidentLog = nil
        advanceWork = nil
        syncClient = nil
    }

    private func closeAll() {
        closeLogs()
        vault = nil
    }
}
