package app.vigil.android

import android.app.Application
import androidx.biometric.BiometricManager
import app.vigil.core.model.SyncTrigger
import app.vigil.presentation.VigilCore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import java.io.File

/**
 * Holds the one [VigilCore] of the app (the owner of every Rust object) for the process's
 * life, the platform key, the position provider and the sync wiring. The store lives in
 * no-backup storage. Nothing here writes to logcat.
 */
class VigilApplication : Application() {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)
    lateinit var vigil: VigilCore
        private set
    lateinit var position: AndroidPosition
        private set
    lateinit var sync: SyncWiring
        private set
    lateinit var platformKey: KeystoreKeyWrapper
        private set

    /** Shows the fingerprint prompt for the biometric key (MainActivity sets its activity). */
    val biometricGate = BiometricGate()

    override fun onCreate() {
        super.onCreate()
        platformKey = KeystoreKeyWrapper(this)
        val officer = getSharedPreferences("vigil", MODE_PRIVATE).getString("officer", null) ?: "Officer"
        // A second Keystore key that needs a strong biometric per use: offered only when the
        // phone has one enrolled. Turned on in settings, it opens a platform-only slot.
        val biometricKey = if (
            BiometricManager.from(this).canAuthenticate(BiometricManager.Authenticators.BIOMETRIC_STRONG) ==
            BiometricManager.BIOMETRIC_SUCCESS
        ) {
            KeystoreKeyWrapper(this, "vigil.biometric.v1", biometric = true, authenticate = biometricGate::authenticate)
        } else {
            null
        }
        vigil = VigilCore(File(noBackupFilesDir, "store").absolutePath, officer, platformKey, biometric = biometricKey)
        // A photo the camera left before the app died was never sealed: plaintext, it goes.
        File(filesDir, AndroidCamera.CAPTURE_DIR).listFiles()?.forEach { it.delete() }
        // Evidence packages already handed to the share sheet (their photos are in the clear).
        File(filesDir, EXPORT_DIR).listFiles()?.forEach { it.delete() }
        position = AndroidPosition(this)
        sync = SyncWiring(this, scope)
        sync.start()
        vigil.onLocalChange = { sync.wake(SyncTrigger.LOCAL_CHANGE) }
    }

    /**
     * Called on an IO thread. A locked or unenrolled store is not an error here. On a
     * metered network (mobile data, roaming, a hotspot) the photos wait for an unmetered
     * one; the text of every record still goes at once.
     */
    fun wakeSync(trigger: SyncTrigger) {
        try {
            if (!vigil.isUnlocked()) return
            val client = vigil.sync()
            client.setTextOnly(sync.metered())
            client.wake(trigger)
        } catch (_: Exception) {
            // The sync screen shows the last error in words (SyncStatus.lastError).
        }
    }
}
