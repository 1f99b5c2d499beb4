package app.vigil.tests

import app.vigil.core.HttpHeader
import app.vigil.core.HttpResponse
import app.vigil.core.PlatformTransport
import app.vigil.core.PlatformTransportException
import app.vigil.core.SyncClient
import app.vigil.core.Vault
import app.vigil.core.model.SyncOptions
import app.vigil.testsupport.FAST_KDF
import app.vigil.testsupport.ServerProcess
import app.vigil.testsupport.serverAdmin
import java.io.IOException
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.SocketTimeoutException
import java.net.URI
import java.nio.file.Path

/** A new store for device [name] under [dir] (cheap KDF, passphrase "pw-NAME"). */
fun deviceVault(dir: Path, name: String): Vault =
    Vault.create(dir.resolve(name).toString(), pass("pw-$name"), FAST_KDF, null)

/**
 * Where every two-device test starts: a real server (its data in [dir]/server) with a new
 * team named [team], and two new stores, "a" and "b", each with a sync client enrolled in
 * it, as Officer A and Officer B. [transportA] carries a's requests instead of the
 * built-in transport.
 */
fun twoDevices(
    dir: Path,
    team: String,
    transportA: PlatformTransport? = null,
    body: (va: Vault, vb: Vault, a: SyncClient, b: SyncClient) -> Unit,
) {
    val serverDir = dir.resolve("server")
    val teamId = serverAdmin(serverDir, "create-team", team)
    val options = SyncOptions(null, null)
    ServerProcess(serverDir).use { server ->
        deviceVault(dir, "a").use { va ->
            deviceVault(dir, "b").use { vb ->
                val clientA = transportA?.let { SyncClient.withTransport(va, options, it) } ?: SyncClient(va, options)
                clientA.use { a ->
                    SyncClient(vb, options).use { b ->
                        a.enroll(server.url, server.code(teamId), "Officer A")
                        b.enroll(server.url, server.code(teamId), "Officer B")
                        body(va, vb, a, b)
                    }
                }
            }
        }
    }
}

/** The platform's own HTTP client, as an app might supply it: java.net, no redirects. */
class JvmTransport : PlatformTransport {
    @Volatile
    var calls = 0
        private set

    override fun post(url: String, headers: List<HttpHeader>, body: ByteArray): HttpResponse {
        calls++
        val c = try {
            URI(url).toURL().openConnection() as HttpURLConnection
        } catch (e: Exception) {
            throw PlatformTransportException.InvalidUrl()
        }
        c.instanceFollowRedirects = false
        c.connectTimeout = 5_000
        c.readTimeout = 30_000
        c.requestMethod = "POST"
        c.doOutput = true
        headers.forEach { c.setRequestProperty(it.name, it.value) }
        try {
            c.outputStream.use { it.write(body) }
            val status = c.responseCode
            val stream = if (status >= 400) c.errorStream else c.inputStream
            val bytes = stream?.use { it.readBytes() } ?: ByteArray(0)
            val hs = c.headerFields.filterKeys { it != null }
                .flatMap { (k, vs) -> vs.map { HttpHeader(k.lowercase(), it) } }
            return HttpResponse(status.toUShort(), hs, bytes)
        } catch (e: ConnectException) {
            throw PlatformTransportException.Connect()
        } catch (e: SocketTimeoutException) {
            throw PlatformTransportException.Timeout()
        } catch (e: IOException) {
            throw PlatformTransportException.Io(e.javaClass.simpleName)
        } finally {
            c.disconnect()
        }
    }
}
