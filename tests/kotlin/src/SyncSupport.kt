package app.vigil.tests

import app.vigil.core.HttpHeader
import app.vigil.core.HttpResponse
import app.vigil.core.PlatformTransport
import app.vigil.core.PlatformTransportException
import java.io.IOException
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.SocketTimeoutException
import java.net.URI

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
