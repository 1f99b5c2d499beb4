package app.vigil.ui

import androidx.compose.runtime.Composable
import androidx.compose.ui.ExperimentalComposeUiApi
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import org.jetbrains.skia.EncodedImageFormat
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths

/** The three ways every screen is rendered: day, night, and 200 % font scale (at night). */
enum class Look(val suffix: String, val dark: Boolean, val fontScale: Float) {
    LIGHT("light", false, 1f),
    DARK("dark", true, 1f),
    LARGE_FONT("dark-font200", true, 2f),
}

/**
 * Renders composables headlessly to PNG with Skia's CPU raster (no display, no GPU) into
 * target/screens/ (the `vigil.screens` system property, set by the Maven build).
 */
object Screens {
    /** A mid-size phone: 360 x 780 dp at density 2. */
    private const val WIDTH_DP = 360
    private const val HEIGHT_DP = 780
    private const val DENSITY = 2f

    val dir: Path = Paths.get(System.getProperty("vigil.screens") ?: "target/screens").also {
        Files.createDirectories(it)
    }

    @OptIn(ExperimentalComposeUiApi::class)
    fun render(name: String, look: Look, heightDp: Int = HEIGHT_DP, content: @Composable () -> Unit): Path {
        val scene = ImageComposeScene(
            width = (WIDTH_DP * DENSITY).toInt(),
            height = (heightDp * DENSITY).toInt(),
            density = Density(DENSITY, look.fontScale),
        ) { VigilTheme(dark = look.dark) { content() } }
        try {
            // Two frames: the first lays out, the second draws what the first measured.
            scene.render(0)
            val image = scene.render(500_000_000)
            val png = requireNotNull(image.encodeToData(EncodedImageFormat.PNG)) { "PNG encoding failed" }
            val file = dir.resolve("$name-${look.suffix}.png")
            Files.write(file, png.bytes)
            return file
        } finally {
            scene.close()
        }
    }

    /**
     * Renders [content] in every [Look], [heightDp] tall, and checks each picture: phone-wide
     * and not blank (more than a handful of colours).
     */
    fun renderAll(name: String, heightDp: Int = HEIGHT_DP, content: @Composable () -> Unit): List<Path> =
        Look.entries.map { look -> render(name, look, heightDp, content).also(::assertPicture) }

    private fun assertPicture(f: Path) {
        val img = requireNotNull(javax.imageio.ImageIO.read(f.toFile())) { "$f is not a picture" }
        kotlin.test.assertEquals((WIDTH_DP * DENSITY).toInt(), img.width, "$f")
        val colours = HashSet<Int>()
        for (y in 0 until img.height step 7) for (x in 0 until img.width step 7) colours.add(img.getRGB(x, y))
        kotlin.test.assertTrue(colours.size > 8, "$f looks blank (${colours.size} colours)")
    }
}
