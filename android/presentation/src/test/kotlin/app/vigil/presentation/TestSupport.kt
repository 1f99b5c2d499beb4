package app.vigil.presentation

import app.vigil.core.model.KdfParams
import app.vigil.core.model.KdfChoice
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Path
import java.time.Clock
import java.time.Instant
import java.time.ZoneOffset
import java.util.concurrent.TimeUnit

/** Cheap KDF parameters, asked for explicitly: tests must stay fast. */
val FAST_KDF = KdfChoice(KdfParams.Argon2id(64u, 1u, 1u), true)

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

/** The `vigil-server` binary (`-Dvigil.server`, set by the Maven build). */
fun serverBinary(): String =
    System.getProperty("vigil.server") ?: error("-Dvigil.server=<path to vigil-server> is not set")

/** Runs `vigil-server --data-dir DIR admin ARGS...` and returns its stdout, trimmed. */
fun serverAdmin(dataDir: Path, vararg args: String): String {
    val p = ProcessBuilder(serverBinary(), "--data-dir", dataDir.toString(), "admin", *args)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start()
    val out = p.inputStream.bufferedReader().readText().trim()
    check(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) { "vigil-server admin ${args.toList()} failed" }
    return out
}

/** A real `vigil-server` on loopback; it binds a free port itself and prints it. */
class ServerProcess(private val dataDir: Path) : AutoCloseable {
    private val process: Process = ProcessBuilder(
        serverBinary(), "--data-dir", dataDir.toString(), "--listen", "127.0.0.1:0",
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val url: String

    init {
        val line = process.inputStream.bufferedReader().readLine() ?: error("vigil-server exited before listening")
        url = "http://" + line.removePrefix("vigil-server listening on ").trim()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (true) {
            try {
                val c = URI("$url/healthz").toURL().openConnection() as HttpURLConnection
                c.connectTimeout = 500
                if (c.responseCode == 200) break
            } catch (_: IOException) {
            }
            check(System.nanoTime() < deadline) { "vigil-server at $url never became healthy" }
            Thread.sleep(50)
        }
    }

    fun code(team: String): String = serverAdmin(dataDir, "issue-code", team)

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}
