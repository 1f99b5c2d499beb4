package app.vigil.android

import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.FileProvider
import app.vigil.presentation.Camera
import app.vigil.presentation.Capture
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File
import java.util.UUID

/**
 * The system camera through `ActivityResultContracts.TakePicture`: no camera permission,
 * no CameraX, the phone's own camera app writes one JPEG into Vigil's private files
 * (`capture/`, shared with the camera app for that one shot by the FileProvider). The
 * presenters seal it into the store and delete this plaintext file; a shot the officer
 * cancelled is deleted here. Made in `onCreate` (activity results must be registered
 * before the activity starts).
 */
class AndroidCamera(private val activity: ComponentActivity) : Camera {
    private var pending: CompletableDeferred<Boolean>? = null
    private val launcher = activity.registerForActivityResult(ActivityResultContracts.TakePicture()) { ok ->
        pending?.complete(ok)
    }

    override suspend fun takePhoto(): Capture? = withContext(Dispatchers.Main) {
        val dir = File(activity.filesDir, CAPTURE_DIR).apply { mkdirs() }
        val file = File(dir, "${UUID.randomUUID()}.jpg")
        val uri = FileProvider.getUriForFile(activity, AUTHORITY, file)
        val result = CompletableDeferred<Boolean>()
        pending?.cancel()
        pending = result
        val ok = try {
            launcher.launch(uri)
            result.await()
        } catch (e: Exception) {
            false // no camera app on this phone
        } finally {
            pending = null
        }
        if (ok && file.length() > 0) {
            Capture(file.absolutePath, "image/jpeg", System.currentTimeMillis())
        } else {
            file.delete()
            null
        }
    }

    companion object {
        const val AUTHORITY = "app.vigil.photos"
        const val CAPTURE_DIR = "capture"
    }
}
