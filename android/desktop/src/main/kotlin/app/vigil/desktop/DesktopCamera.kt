package app.vigil.desktop

import app.vigil.presentation.Camera
import app.vigil.presentation.Capture
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.swing.Swing
import kotlinx.coroutines.withContext
import java.awt.FileDialog
import java.awt.Frame
import java.io.File
import java.nio.file.Files
import java.nio.file.StandardCopyOption
import java.nio.file.attribute.PosixFilePermissions

/**
 * A laptop has no camera the app can drive: "take photo" picks an image file instead. The
 * file is copied into a private directory (0700, the copy 0600) because the presenters
 * delete the capture once it is sealed: the officer's original stays where it was.
 */
class DesktopCamera(private val dir: File) : Camera {
    override suspend fun takePhoto(): Capture? {
        val chosen = withContext(Dispatchers.Swing) {
            val dialog = FileDialog(null as Frame?, "Choose a photo", FileDialog.LOAD)
            dialog.setFilenameFilter { _, name -> mimeOf(name) != null }
            dialog.isVisible = true
            dialog.files.firstOrNull()
        } ?: return null
        val mime = mimeOf(chosen.name) ?: return null
        return withContext(Dispatchers.IO) {
            dir.mkdirs()
            Files.setPosixFilePermissions(dir.toPath(), PosixFilePermissions.fromString("rwx------"))
            val copy = File.createTempFile("capture-", "." + chosen.extension, dir)
            Files.setPosixFilePermissions(copy.toPath(), PosixFilePermissions.fromString("rw-------"))
            Files.copy(chosen.toPath(), copy.toPath(), StandardCopyOption.REPLACE_EXISTING)
            Capture(copy.absolutePath, mime, chosen.lastModified().takeIf { it > 0 })
        }
    }

    private fun mimeOf(name: String): String? = when (name.substringAfterLast('.', "").lowercase()) {
        "jpg", "jpeg" -> "image/jpeg"
        "png" -> "image/png"
        "heic" -> "image/heic"
        "webp" -> "image/webp"
        else -> null
    }
}
