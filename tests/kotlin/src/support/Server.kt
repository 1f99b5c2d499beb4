package app.vigil.testsupport

import java.io.IOException
import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** The `vigil-server` binary, passed as `-Dvigil.server` (by tests/run and by the Maven build). */
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

/**
 * A real `vigil-server` process on loopback. `listen` defaults to port 0: the server
 * binds a free port itself and prints the address it got, which is read back here (no
 * window between picking a port and binding it). Pass the old address to restart on it.
 */
class ServerProcess(private val dataDir: Path, listen: String = "127.0.0.1:0") : AutoCloseable {
    private val process: Process = ProcessBuilder(
        serverBinary(), "--data-dir", dataDir.toString(), "--listen", listen,
    ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val address: String
    val url: String

    init {
        val line = process.inputStream.bufferedReader().readLine()
            ?: error("vigil-server exited before listening")
        address = line.removePrefix("vigil-server listening on ").trim()
        url = "http://$address"
        waitHealthy()
    }

    private fun waitHealthy() {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (System.nanoTime() < deadline) {
            try {
                val c = URI("$url/healthz").toURL().openConnection() as HttpURLConnection
                c.connectTimeout = 500
                if (c.responseCode == 200) return
            } catch (_: IOException) {
            }
            Thread.sleep(50)
        }
        error("vigil-server at $url never became healthy")
    }

    /** A one-time enrollment code for [team] (`vigil-server admin issue-code`). */
    fun code(team: String): String = serverAdmin(dataDir, "issue-code", team)

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}
