package app.vigil.ui

import androidx.compose.ui.graphics.ImageBitmap

/**
 * The platform's image decoder, for thumbnails: the desktop uses Skia
 * (`app.vigil.desktop.SkiaPhotoDecoder`), Android `BitmapFactory` with a sample size
 * (`app.vigil.android.AndroidPhotoDecoder`). Returns null for bytes it cannot decode; the
 * screen then shows the text row. [maxPx] is the longest side the screen needs.
 */
fun interface PhotoDecoder {
    fun decode(bytes: ByteArray, maxPx: Int): ImageBitmap?
}

/** Decodes, or null when the decoder refuses or throws (a broken image never crashes a screen). */
internal fun PhotoDecoder.decodeOrNull(bytes: ByteArray, maxPx: Int): ImageBitmap? =
    try {
        decode(bytes, maxPx)
    } catch (_: Exception) {
        null
    }
