package app.vigil.android

import android.content.Intent
import android.content.res.Configuration
import android.os.Bundle
import android.view.WindowManager
import androidx.activity.compose.setContent
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.core.content.FileProvider
import androidx.fragment.app.FragmentActivity
import app.vigil.ui.VigilApp
import java.io.File
import java.time.LocalTime

/**
 * The one activity: the shared Compose app over the application's core. FLAG_SECURE keeps
 * the screens out of screenshots, the recent-apps thumbnail and screen casting. Dark theme
 * follows the system, and is the default at night whatever the system says. A
 * FragmentActivity because the BiometricPrompt needs one; the camera is the system's.
 */
class MainActivity : FragmentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        val app = application as VigilApplication
        app.biometricGate.activity = this
        val camera = AndroidCamera(this)
        setContent {
            val night = LocalTime.now().let { it.hour >= 19 || it.hour < 7 }
            VigilApp(
                vigil = app.vigil,
                scope = app.scope,
                position = app.position,
                dark = isSystemInDarkTheme() || night,
                appVersion = "Vigil ${packageManager.getPackageInfo(packageName, 0).versionName}",
                exportPath = {
                    File(filesDir, EXPORT_DIR).apply { mkdirs() }
                        .resolve("vigil-evidence-${System.currentTimeMillis()}.zip").absolutePath
                },
                onExported = ::share,
                camera = camera,
                photos = AndroidPhotoDecoder,
            )
        }
    }

    /** Hands a written evidence package to the share sheet (Signal, mail, a USB drive...). */
    private fun share(path: String) {
        val uri = FileProvider.getUriForFile(this, AndroidCamera.AUTHORITY, File(path))
        val send = Intent(Intent.ACTION_SEND)
            .setType("application/zip")
            .putExtra(Intent.EXTRA_STREAM, uri)
            .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
        startActivity(Intent.createChooser(send, "Share evidence package"))
    }

    override fun onStart() {
        super.onStart()
        (application as VigilApplication).position.start()
    }

    override fun onStop() {
        (application as VigilApplication).position.stop()
        super.onStop()
    }

    override fun onDestroy() {
        val app = application as VigilApplication
        if (app.biometricGate.activity === this) app.biometricGate.activity = null
        super.onDestroy()
    }

    override fun onConfigurationChanged(newConfig: Configuration) = super.onConfigurationChanged(newConfig)
}

/** Where evidence packages are written before the share sheet (files shared by the FileProvider). */
const val EXPORT_DIR = "export"
