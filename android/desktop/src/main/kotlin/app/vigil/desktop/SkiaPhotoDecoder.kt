package app.vigil.desktop

import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.toComposeImageBitmap
import app.vigil.ui.PhotoDecoder
import org.jetbrains.skia.Image
import org.jetbrains.skia.Rect
import org.jetbrains.skia.Surface

/** Skia's decoder (Compose desktop), scaled down to [maxPx] on the longest side. */
object SkiaPhotoDecoder : PhotoDecoder {
    override fun decode(bytes: ByteArray, maxPx: Int): ImageBitmap? {
        val image = Image.makeFromEncoded(bytes)
        val longest = maxOf(image.width, image.height)
        if (longest <= maxPx || maxPx <= 0) return image.toComposeImageBitmap()
        val w = maxOf(1, image.width * maxPx / longest)
        val h = maxOf(1, image.height * maxPx / longest)
        val surface = Surface.makeRasterN32Premul(w, h)
        surface.canvas.drawImageRect(image, Rect.makeWH(w.toFloat(), h.toFloat()))
        image.close()
        return surface.makeImageSnapshot().toComposeImageBitmap()
    }
}
