package app.vigil.ui

import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import java.awt.Color
import java.awt.Font
import java.awt.RenderingHints
import java.awt.image.BufferedImage
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.io.path.name
import kotlin.test.assertTrue

/**
 * One picture of every rendered screen (light, dark, 200 % font side by side, the top of
 * each screen as a phone shows it): target/screens/contact-sheet.png. `android/vigil-dev
 * screens` copies it to docs/android-screens.png.
 */
@Order(Int.MAX_VALUE)
class ContactSheetTest {
    @Test
    fun `draw the contact sheet of every screen`() {
        val files = Files.list(Screens.dir).use { s -> s.filter { it.name.endsWith("-light.png") }.sorted().toList() }
        assertTrue(files.isNotEmpty(), "no screens rendered")
        val names = files.map { it.name.removeSuffix("-light.png") }
        val thumbW = 150
        val thumbH = 325
        val cellW = thumbW * 3 + 24
        val cellH = thumbH + 40
        val cols = 3
        val rows = (names.size + cols - 1) / cols
        val sheet = BufferedImage(cols * cellW + 16, rows * cellH + 16, BufferedImage.TYPE_INT_RGB)
        val g = sheet.createGraphics()
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC)
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON)
        g.color = Color(0x30, 0x30, 0x30)
        g.fillRect(0, 0, sheet.width, sheet.height)
        g.font = Font(Font.SANS_SERIF, Font.BOLD, 16)
        names.forEachIndexed { i, name ->
            val x0 = 8 + (i % cols) * cellW
            val y0 = 8 + (i / cols) * cellH
            g.color = Color.WHITE
            g.drawString(name, x0 + 4, y0 + 22)
            Look.entries.forEachIndexed { j, look ->
                val img = ImageIO.read(Screens.dir.resolve("$name-${look.suffix}.png").toFile())
                val top = img.getSubimage(0, 0, img.width, minOf(img.height, img.width * thumbH / thumbW))
                g.drawImage(top, x0 + j * (thumbW + 8), y0 + 32, thumbW, thumbH * top.height / (img.width * thumbH / thumbW), null)
            }
        }
        g.dispose()
        val out = Screens.dir.resolve("contact-sheet.png")
        ImageIO.write(sheet, "png", out.toFile())
        assertTrue(Files.size(out) > 10_000)
    }
}
