package app.vigil.ui

import androidx.compose.ui.graphics.toComposeImageBitmap
import org.jetbrains.skia.Image

/**
 * Skia's decoder, as the desktop app's `SkiaPhotoDecoder` (the desktop module depends on
 * this one, so its tests cannot use it): the real platform decoder, without the downscale.
 */
val skiaPhotos = PhotoDecoder { bytes, _ -> Image.makeFromEncoded(bytes).toComposeImageBitmap() }
