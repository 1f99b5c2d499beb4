package app.vigil.presentation

import app.vigil.core.AdvanceWork
import app.vigil.core.IncidentLog
import app.vigil.core.model.KdfChoice
import app.vigil.core.model.SlotKind
import app.vigil.core.KeyWrapper
import app.vigil.core.model.StoreException
import app.vigil.core.SyncClient
import app.vigil.core.model.SyncOptions
import app.vigil.core.Vault

/**
 * The one owner of the core's Rust objects for a store: the [Vault] handle, and the
 * [IncidentLog] and [AdvanceWork] opened over it while it is unlocked. Presenters borrow
 * them through this and never close them; [lock] and [close] do. Every method blocks
 * (SQLite, the KDF): presenters call it on their IO dispatcher.
 *
 * [platform] is the phone's key wrapper (Android Keystore on a phone, null or a JVM wrapper
 * here); [biometric] a second one whose key needs a biometric authentication per use (the
 * Android Keystore with a BiometricPrompt; null when the phone has none): enabled, it opens
 * a platform-only slot, so a fingerprint unlocks without the passphrase. [kdf] null means
 * the core's default (strong) parameters.
 */
class VigilCore(
    private val storeDir: String,
    private val officer: String,
    private val platform: KeyWrapper? = null,
    private val kdf: KdfChoice? = null,
    private val biometric: KeyWrapper? = null,
    private val syncOptions: SyncOptions = SyncOptions(null, null, listOf()),
) : AutoCloseable {
    private var vault: Vault? = null
    private var incidentLog: IncidentLog? = null
    private var advanceWork: AdvanceWork? = null
    private var syncClient: SyncClient? = null

    /** True if a store exists here (the key file can be read). */
    @Synchronized
    fun exists(): Boolean = openVault() != null

    @Synchronized
    fun isUnlocked(): Boolean = vault?.isUnlocked() == true

    @Synchronized
    fun create(passphrase: ByteArray) {
        closeAll()
        vault = Vault.create(storeDir, passphrase, kdf, platform)
    }

    @Synchronized
    fun unlock(passphrase: ByteArray) {
        val v = openVault() ?: throw StoreException.NotFound()
        v.unlockWithPassphrase(passphrase, platform)
    }

    /**
     * True when this phone has a biometric key and the store has a slot it may open (a
     * platform-only slot): the unlock screen offers the fingerprint. Works while locked
     * (the slot list is in the key file).
     */
    @Synchronized
    fun biometricUnlockAvailable(): Boolean {
        if (biometric == null) return false
        val v = openVault() ?: return false
        return v.status().slots.any { it.kind == SlotKind.PLATFORM }
    }

    /** Unlocks with the biometric key (the platform shows its prompt inside the unwrap). */
    @Synchronized
    fun unlockWithBiometric() {
        val b = biometric ?: throw StoreException.PlatformKeyRejected()
        val v = openVault() ?: throw StoreException.NotFound()
        v.unlockWithPlatform(b)
    }

    /** Whether this phone could offer biometric unlock at all (settings show the switch). */
    val biometricSupported: Boolean get() = biometric != null

    /** Adds the platform-only slot the biometric key opens (unlocked store). */
    @Synchronized
    fun enableBiometric() {
        val b = biometric ?: throw StoreException.PlatformKeyRejected()
        if (!biometricUnlockAvailable()) vault().addPlatformSlot(b)
    }

    /** Removes the biometric slot(s) and deletes the biometric key. */
    @Synchronized
    fun disableBiometric() {
        val v = vault()
        for (slot in v.status().slots.filter { it.kind == SlotKind.PLATFORM }) v.removeSlot(slot.id)
        biometric?.destroyKey()
    }

    /**
     * After `PolicyTampered` (the key file's wipe setting was altered outside Vigil): unlocks
     * with the passphrase and puts back the wipe setting the officer confirms (null: never).
     */
    @Synchronized
    fun unlockConfirmingPolicy(passphrase: ByteArray, wipeAfter: UInt?) {
        val v = openVault() ?: throw StoreException.NotFound()
        v.unlockConfirmingPolicy(passphrase, platform, wipeAfter)
    }

    /** Closes the database and forgets the keys; the handle stays for the next unlock. */
    @Synchronized
    fun lock() {
        closeLogs()
        vault?.let { if (it.isUnlocked()) it.lock() }
    }

    /** Panic wipe: keys, database, attachments. Irreversible. */
    @Synchronized
    fun wipe() {
        closeLogs()
        val v = openVault()
        if (v != null) v.wipe(platform) else platform?.destroyKey()
        closeAll()
    }

    /** The unlocked vault (for settings: slots, policies, status). */
    @Synchronized
    fun vault(): Vault = vault?.takeIf { it.isUnlocked() } ?: throw StoreException.Locked()

    @Synchronized
    fun incidents(): IncidentLog =
        incidentLog ?: IncidentLog.withOfficer(vault(), officer).also { incidentLog = it }

    @Synchronized
    fun advance(): AdvanceWork = advanceWork ?: AdvanceWork(vault()).also { advanceWork = it }

    /** The one sync client of this store (the app wakes it; the sync screen reads it). */
    @Synchronized
    fun sync(): SyncClient = syncClient ?: SyncClient(vault(), syncOptions).also { syncClient = it }

    /**
     * Enrolls this store in a team. [pins] (the server's key pins, may be empty) are recorded
     * by the core for every later sync. The network call runs outside this object's lock.
     */
    fun enroll(serverUrl: String, code: String, pins: List<String>) {
        val client = synchronized(this) {
            val v = vault()
            syncClient?.close()
            SyncClient(v, syncOptions.copy(pinnedKeys = pins)).also { syncClient = it }
        }
        client.enroll(serverUrl, code, officer)
    }

    /**
     * Told after every local write (the app wakes the sync loop with `LOCAL_CHANGE`); called
     * on the IO dispatcher.
     */
    @Volatile
    var onLocalChange: (() -> Unit)? = null

    /** Presenters call this after they wrote to the store. */
    fun localChange() {
        onLocalChange?.invoke()
    }

    val officerName: String get() = officer

    val platformKey: KeyWrapper? get() = platform

    @Synchronized
    override fun close() = closeAll()

    private fun openVault(): Vault? {
        vault?.let { return it }
        return try {
            Vault.open(storeDir).also { vault = it }
        } catch (e: StoreException.NotFound) {
            null
        }
    }

    private fun closeLogs() {
        incidentLog?.close()
        incidentLog = null
        advanceWork?.close()
        advanceWork = null
        syncClient?.close()
        syncClient = null
    }

    private fun closeAll() {
        closeLogs()
        vault?.close()
        vault = null
    }
}
