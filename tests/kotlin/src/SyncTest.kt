package app.vigil.tests

import app.vigil.core.HttpHeader
import app.vigil.core.HttpResponse
import app.vigil.core.PlatformTransport
import app.vigil.core.PlatformTransportException
import app.vigil.core.SyncClient
import app.vigil.core.model.SyncException
import app.vigil.core.model.SyncOptions
import app.vigil.core.model.SyncTrigger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import app.vigil.testsupport.*

/**
 * Sync through the generated bindings against a real `vigil-server` process on loopback:
 * enrollment, status, revocation, failures and the one-sync-at-a-time rule. Domain data
 * crossing between devices: `SyncIncidentTest`.
 */
class SyncTest {
    @TempDir
    lateinit var dir: Path

    private val serverDir get() = dir.resolve("server")
    private val noOptions = SyncOptions(null, null)

    private fun code(team: String) = serverAdmin(serverDir, "issue-code", team)

    @Test
    fun `two devices enroll, one on the built-in transport, one on the platform's`() {
        val team = serverAdmin(serverDir, "create-team", "Alpha")
        ServerProcess(serverDir).use { server ->
            val jvm = JvmTransport()
            deviceVault(dir, "a").use { va ->
                deviceVault(dir, "b").use { vb ->
                    SyncClient(va, noOptions).use { a ->
                        SyncClient.withTransport(vb, noOptions, jvm).use { b ->
                            assertFalse(a.status().enrolled)
                            assertThrows<SyncException.NotEnrolled> { a.syncNow() }

                            a.enroll(server.url, code(team), "Officer A")
                            b.enroll(server.url, code(team), "Officer B")
                            assertTrue(jvm.calls >= 1, "the platform transport carried the enrollment")
                            assertThrows<SyncException.AlreadyEnrolled> {
                                a.enroll(server.url, code(team), "Officer A")
                            }

                            for (c in listOf(a, b)) {
                                val r = c.syncNow()
                                assertEquals(0uL, r.pushed)
                                assertEquals(0uL, r.quarantined)
                                val s = c.status()
                                assertTrue(s.enrolled)
                                assertEquals(team, s.teamId)
                                assertEquals(server.url, s.serverUrl)
                                assertEquals(0uL, s.pending)
                                assertEquals(0uL, s.quarantined)
                                assertNotNull(s.lastSuccessMs)
                                assertNull(s.lastError)
                                assertNull(s.nextAttemptMs)
                                assertFalse(s.revoked)
                                assertTrue(c.quarantined().isEmpty())
                            }
                            val callsBefore = jvm.calls
                            b.syncNow()
                            assertTrue(jvm.calls > callsBefore, "b syncs through the platform transport")
                            // The outbox is visible through the vault too.
                            assertTrue(va.outbox(0u, 10u).isEmpty())
                        }
                    }
                }
            }
        }
    }

    @Test
    fun `a used or unknown code is refused with a typed exception`() {
        val team = serverAdmin(serverDir, "create-team", "Bravo")
        ServerProcess(serverDir).use { server ->
            val c = code(team)
            deviceVault(dir, "a").use { va ->
                SyncClient(va, noOptions).use { a -> a.enroll(server.url, c, "Officer A") }
            }
            deviceVault(dir, "b").use { vb ->
                SyncClient(vb, noOptions).use { b ->
                    val e = assertThrows<SyncException.EnrollmentRefused> {
                        b.enroll(server.url, c, "Officer B")
                    }
                    assertEquals("invalid_code", e.code)
                    assertEquals("enrollment_refused", e.code())
                    assertThrows<SyncException.EnrollmentRefused> {
                        b.enroll(server.url, "AAAA-BBBB-CCCC-DDDD", "Officer B")
                    }
                    assertThrows<SyncException.InvalidUrl> { b.enroll("ftp://x", c, "Officer B") }
                    assertFalse(b.status().enrolled)
                }
            }
        }
    }

    @Test
    fun `revocation stops sync with SyncException Revoked`() {
        val team = serverAdmin(serverDir, "create-team", "Charlie")
        ServerProcess(serverDir).use { server ->
            deviceVault(dir, "a").use { va ->
                SyncClient(va, noOptions).use { a ->
                    a.enroll(server.url, code(team), "Officer A")
                    a.syncNow()
                    val device = va.status().deviceId!!
                    assertTrue(serverAdmin(serverDir, "revoke", device).contains("revoked"))
                    assertThrows<SyncException.Revoked> { a.syncNow() }
                    val s = a.status()
                    assertTrue(s.revoked)
                    assertNotNull(s.lastError)
                }
            }
        }
    }

    @Test
    fun `server down is Transient with a next attempt, then sync resumes`() {
        val team = serverAdmin(serverDir, "create-team", "Delta")
        deviceVault(dir, "a").use { va ->
            SyncClient(va, SyncOptions(null, 5_000uL)).use { a ->
                val address = ServerProcess(serverDir).use { server ->
                    a.enroll(server.url, code(team), "Officer A")
                    a.syncNow()
                    server.address
                }
                val before = System.currentTimeMillis().toULong()
                val e = assertThrows<SyncException.Transient> { a.syncNow() }
                assertTrue(e.nextAttemptMs >= before, "next attempt ${e.nextAttemptMs} is not in the past")
                val s = a.status()
                assertEquals(e.nextAttemptMs, s.nextAttemptMs)
                assertNotNull(s.lastError)
                assertFalse(s.revoked)
                if (e.nextAttemptMs > System.currentTimeMillis().toULong()) {
                    // Backoff pending: a periodic job's call does nothing.
                    assertNull(a.syncIfDue())
                }

                ServerProcess(serverDir, address).use {
                    a.syncNow()
                    val after = a.status()
                    assertNull(after.lastError)
                    assertNull(after.nextAttemptMs)
                }
            }
        }
    }

    @Test
    fun `platform transport failures are transient, undeclared ones too`() {
        val team = serverAdmin(serverDir, "create-team", "Echo")
        ServerProcess(serverDir).use { server ->
            var mode = "ok"
            val real = JvmTransport()
            val flaky = object : PlatformTransport {
                override fun post(url: String, headers: List<HttpHeader>, body: ByteArray): HttpResponse =
                    when (mode) {
                        "connect" -> throw PlatformTransportException.Connect()
                        "boom" -> throw IllegalStateException("a bug in the platform code")
                        else -> real.post(url, headers, body)
                    }
            }
            deviceVault(dir, "a").use { va ->
                SyncClient.withTransport(va, noOptions, flaky).use { a ->
                    a.enroll(server.url, code(team), "Officer A")
                    mode = "connect"
                    val e = assertThrows<SyncException.Transient> { a.syncNow() }
                    assertTrue(e.reason.contains("connect"), e.reason)
                    mode = "boom"
                    assertThrows<SyncException.Transient> { a.syncNow() }
                    mode = "ok"
                    a.syncNow()
                    assertNull(a.status().lastError)
                }
            }
        }
    }

    @Test
    fun `a second sync while one runs fails at once with AlreadyRunning`() {
        val team = serverAdmin(serverDir, "create-team", "Foxtrot")
        ServerProcess(serverDir).use { server ->
            val real = JvmTransport()
            val inside = CountDownLatch(1)
            val release = CountDownLatch(1)
            val hold = AtomicBoolean(false)
            val pulls = AtomicInteger(0)
            val slow = object : PlatformTransport {
                override fun post(url: String, headers: List<HttpHeader>, body: ByteArray): HttpResponse {
                    if (url.endsWith("/v1/pull")) pulls.incrementAndGet()
                    if (hold.get()) {
                        inside.countDown()
                        release.await(10, TimeUnit.SECONDS)
                    }
                    return real.post(url, headers, body)
                }
            }
            deviceVault(dir, "a").use { va ->
                SyncClient.withTransport(va, noOptions, slow).use { a ->
                    a.enroll(server.url, code(team), "Officer A")
                    hold.set(true)
                    val first = Background { a.syncNow() }
                    assertTrue(inside.await(10, TimeUnit.SECONDS), "first sync reached the transport")
                    assertThrows<SyncException.AlreadyRunning> { a.syncNow() }
                    assertThrows<SyncException.AlreadyRunning> { a.syncIfDue() }
                    // A platform wake meanwhile is not an error: it returns at once and
                    // the running call serves it before it returns.
                    val pullsBefore = pulls.get()
                    assertNull(a.wake(SyncTrigger.LOCAL_CHANGE))
                    hold.set(false)
                    release.countDown()
                    val firstError = first.join(20_000)
                    assertFalse(first.isAlive)
                    assertNull(firstError, "the first sync finished: $firstError")
                    assertEquals(pullsBefore + 1, pulls.get(), "one more round, for the wake")
                    // Free again once the first is done.
                    a.syncNow()
                    assertNotNull(a.status().lastSuccessMs)
                }
            }
        }
    }

    @Test
    fun `wakes from any thread coalesce into one loop, never two syncs at once, none lost`() {
        val team = serverAdmin(serverDir, "create-team", "Golf")
        ServerProcess(serverDir).use { server ->
            val real = JvmTransport()
            val inside = CountDownLatch(1)
            val release = CountDownLatch(1)
            val hold = AtomicBoolean(false)
            val inFlight = AtomicInteger(0)
            val mostInFlight = AtomicInteger(0)
            val pulls = AtomicInteger(0)
            val watched = object : PlatformTransport {
                override fun post(url: String, headers: List<HttpHeader>, body: ByteArray): HttpResponse {
                    val now = inFlight.incrementAndGet()
                    mostInFlight.accumulateAndGet(now) { a, b -> maxOf(a, b) }
                    try {
                        if (url.endsWith("/v1/pull")) pulls.incrementAndGet()
                        if (hold.getAndSet(false)) {
                            inside.countDown()
                            release.await(10, TimeUnit.SECONDS)
                        }
                        return real.post(url, headers, body)
                    } finally {
                        inFlight.decrementAndGet()
                    }
                }
            }
            deviceVault(dir, "a").use { va ->
                SyncClient.withTransport(va, noOptions, watched).use { a ->
                    a.enroll(server.url, code(team), "Officer A")
                    hold.set(true)
                    pulls.set(0)
                    var firstResult: Any? = null
                    val first = Thread {
                        firstResult = try {
                            a.wake(SyncTrigger.LOCAL_CHANGE)
                        } catch (t: Throwable) {
                            t
                        }
                    }
                    first.start()
                    assertTrue(inside.await(10, TimeUnit.SECONDS), "the first wake is syncing")
                    // Wakes while it runs return at once, from several threads.
                    val others = (1..3).map {
                        Thread { assertNull(a.wake(SyncTrigger.FOREGROUND)) }.also { it.start() }
                    }
                    others.forEach { it.join(5_000) }
                    assertTrue(others.none { it.isAlive }, "a wake during a sync did not wait")
                    release.countDown()
                    first.join(20_000)
                    assertFalse(first.isAlive)
                    val report = firstResult
                    assertTrue(report is app.vigil.core.model.SyncReport, "the loop reported: $report")
                    // The wakes that came in while it ran were served by a second round.
                    assertEquals(2, pulls.get(), "two rounds, each ending with a pull")
                    assertEquals(1, mostInFlight.get(), "never two requests, so never two syncs")
                    assertNotNull(a.status().lastSuccessMs)
                }
            }
        }
    }

    @Test
    fun `network available retries at once, other triggers wait out the backoff`() {
        val team = serverAdmin(serverDir, "create-team", "Hotel")
        deviceVault(dir, "a").use { va ->
            SyncClient(va, SyncOptions(null, 5_000uL)).use { a ->
                val address = ServerProcess(serverDir).use { server ->
                    a.enroll(server.url, code(team), "Officer A")
                    server.address
                }
                assertThrows<SyncException.Transient> { a.wake(SyncTrigger.NETWORK_AVAILABLE) }
                ServerProcess(serverDir, address).use {
                    val next = a.status().nextAttemptMs
                    assertNotNull(next)
                    if (next!! > System.currentTimeMillis().toULong() + 1_000uL) {
                        // Backoff still running: foreground and periodic wakes do nothing.
                        assertNull(a.wake(SyncTrigger.FOREGROUND))
                        assertNull(a.wake(SyncTrigger.PERIODIC))
                        assertNotNull(a.status().lastError)
                    }
                    assertNotNull(a.wake(SyncTrigger.NETWORK_AVAILABLE))
                    val after = a.status()
                    assertNull(after.lastError)
                    assertNull(after.nextAttemptMs)
                }
            }
        }
    }
}
