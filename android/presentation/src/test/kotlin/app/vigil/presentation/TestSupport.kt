package app.vigil.presentation

import app.vigil.testsupport.FAST_KDF
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import java.nio.file.Path
import java.time.Clock
import java.time.Instant
import java.time.ZoneOffset

/** The passphrase the test stores are created with. */
const val GOOD_PASSPHRASE = "lantern orbit cobalt meadow"

/** Times are shown in UTC against a fixed "now", so rendered screens and asserted words are stable. */
val TEST_TIME = TimeWords(ZoneOffset.UTC, Clock.fixed(Instant.parse("2026-12-05T12:00:00Z"), ZoneOffset.UTC))

/** A fix in central London, 8 m accuracy. */
val LONDON = Fix(51.5080, -0.1281, 8.0)

/**
 * A real photo: a small PNG drawn with java.awt and encoded by ImageIO into [dir], as the
 * platform's camera leaves one (the presenters seal it, then delete this file).
 */
fun realPhoto(dir: Path, name: String = "photo.png"): Capture {
    val img = java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.color = java.awt.Color(30, 60, 90)
    g.fillRect(0, 0, 64, 48)
    g.color = java.awt.Color(220, 40, 40)
    g.fillOval(10 + name.length, 8, 30, 30)
    g.dispose()
    val file = dir.resolve(name).toFile()
    check(javax.imageio.ImageIO.write(img, "png", file)) { "no PNG writer" }
    return Capture(file.absolutePath, "image/png", 1_796_471_880_000) // 2026-12-05 11:58 UTC
}

fun sha256Hex(bytes: ByteArray): String =
    java.security.MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

/** Waits (bounded) until the state satisfies [predicate]; returns that state. */
fun <S> StateFlow<S>.awaitState(predicate: (S) -> Boolean): S = runBlocking {
    withTimeoutOrNull(60_000) { first(predicate) } ?: throw AssertionError("state never matched; last: $value")
}

/**
 * A real store in [dir], opened the way the app opens it, and a scope for presenters;
 * closes both.
 */
class Harness(
    dir: Path,
    officer: String = "Officer A",
    create: Boolean = false,
    biometric: app.vigil.core.KeyWrapper? = null,
) : AutoCloseable {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val vigil = VigilCore(dir.resolve("store").toString(), officer, null, FAST_KDF, biometric = biometric)

    init {
        if (create) vigil.create(GOOD_PASSPHRASE.toByteArray())
    }

    override fun close() {
        scope.cancel()
        vigil.close()
    }
}
