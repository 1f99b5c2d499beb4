package app.vigil.presentation

import java.io.File

/**
 * A photo the platform's camera just wrote to a private file (Android: no-backup storage
 * through a FileProvider; the desktop: a copy of the chosen image). The presenters seal it
 * into the store and then delete this plaintext file: [sealed] is called only once the
 * core holds the encrypted copy, so a failed seal loses nothing and can be retried.
 */
data class Capture(val path: String, val mime: String, val capturedAtMillis: Long?) {
    /** Deletes the plaintext file once the store holds the sealed photo. */
    fun sealed() {
        File(path).delete()
    }
}

/**
 * The platform's camera: takes one photo into a private file, or returns null when the
 * officer cancelled (or there is no camera). Called from the UI; the host implements it
 * (Android: the system camera through `ActivityResultContracts.TakePicture`).
 */
fun interface Camera {
    suspend fun takePhoto(): Capture?
}

/** "Photo · 2.1 MB · taken 14:02": what an attachment is, for lists. */
internal fun attachmentWords(mime: String, size: Long, capturedAt: Long?, time: TimeWords): String {
    val kind = when {
        mime.startsWith("image/") -> "Photo"
        mime.startsWith("video/") -> "Video"
        mime.startsWith("audio/") -> "Recording"
        else -> "File"
    }
    val bytes = when {
        size < 1024 -> "$size B"
        size < 1024 * 1024 -> "${size / 1024} KB"
        else -> String.format(java.util.Locale.ROOT, "%.1f MB", size / 1048576.0)
    }
    return listOfNotNull(kind, bytes, capturedAt?.let { "taken ${time.at(it)}" }).joinToString(" · ")
}
