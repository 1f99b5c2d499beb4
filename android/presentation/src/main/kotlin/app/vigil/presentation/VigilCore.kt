package app.vigil.presentation

import app.vigil.core.AdvanceWork
import app.vigil.core.IncidentLog
import app.vigil.core.model.KdfChoice
import app.vigil.core.KeyWrapper
import app.vigil.core.StoreException
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
 * here); [kdf] null means the core's default (strong) parameters.
 */
class VigilCore(
    private val storeDir: String,
    private val officer: String,
    private val platform: KeyWrapper? = null,
    private val kdf: KdfChoice? = null,
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
