package app.vigil.tests

import app.vigil.core.Vault
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import app.vigil.testsupport.*

/** What the apps need for a full phone and a tampered policy (issues 15 and 20). */
class StorageTest {
    @TempDir
    lateinit var dir: Path

    private val store get() = dir.resolve("store").toString()

    @Test
    fun `free space and the quick-log reserve are reported, locked or not`() {
        Vault.create(store, pass("right"), FAST_KDF, null).use { v ->
            val s = v.storage()
            assertTrue(s.availableBytes > 0uL)
            assertEquals(512uL * 1024uL, s.reserveBytes)
            v.lock()
            assertEquals(s.reserveBytes, v.storage().reserveBytes)
        }
    }

    @Test
    fun `the owner confirms a wipe policy while unlocking`() {
        Vault.create(store, pass("right"), FAST_KDF, null).use { it.lock() }
        Vault.open(store).use { v ->
            v.unlockConfirmingPolicy(pass("right"), null, 4u)
            assertTrue(v.isUnlocked())
            assertEquals(4u, v.status().wipeAfter)
        }
    }
}
