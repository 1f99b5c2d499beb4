package app.vigil.tests

import app.vigil.core.KeyWrapperException
import app.vigil.core.model.StoreException
import app.vigil.core.Vault
import app.vigil.core.model.*
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import app.vigil.testsupport.*

class VaultTest {
    @TempDir
    lateinit var dir: Path

    private val store get() = dir.resolve("store").toString()

    @Test
    fun `create, lock and unlock again from a fresh handle`() {
        val p = pass("correct horse battery staple")
        Vault.create(store, p.copyOf(), FAST_KDF, null).use { v ->
            assertTrue(v.isUnlocked())
            val s = v.status()
            assertEquals(1, s.slots.size)
            assertEquals(SlotKind.PASSPHRASE, s.slots[0].kind)
            assertEquals(0uL, s.outbox?.pending)
            v.lock()
            assertFalse(v.isUnlocked())
            assertThrows<StoreException.Locked> { v.outbox(0u, 10u) }
        }
        Vault.open(store).use { v ->
            assertFalse(v.isUnlocked())
            v.unlockWithPassphrase(p, null)
            assertTrue(v.isUnlocked())
            assertEquals(1u, v.status().schemaVersion?.let { if (it >= 1u) 1u else 0u })
        }
        // The app's side of zeroization: wipe the passphrase bytes once handed over.
        p.fill(0)
        assertTrue(p.all { it == 0.toByte() })
    }

    @Test
    fun `a wrong passphrase is a typed exception and is counted across reopen`() {
        Vault.create(store, pass("right"), FAST_KDF, null).use { v -> v.setWipePolicy(5u) }
        Vault.open(store).use { v ->
            val e = assertThrows<StoreException.WrongPassphrase> {
                v.unlockWithPassphrase(pass("wrong"), null)
            }
            assertEquals(4u, e.attemptsLeft)
            // The core's code and message cross with it (the apps choose words by code).
            assertEquals("wrong_passphrase", e.code())
            assertEquals("wrong passphrase (4 attempts left before the store is wiped)", e.toString())
        }
        Vault.open(store).use { v ->
            assertEquals(1u, v.status().failedAttempts)
            val e = assertThrows<StoreException.WrongPassphrase> {
                v.unlockWithPassphrase(pass("still wrong"), null)
            }
            assertEquals(3u, e.attemptsLeft)
            v.unlockWithPassphrase(pass("right"), null)
            assertEquals(0u, v.status().failedAttempts)
        }
    }

    @Test
    fun `wipe after N failed attempts leaves nothing`() {
        Vault.create(store, pass("right"), FAST_KDF, null).use { v -> v.setWipePolicy(2u) }
        Vault.open(store).use { v ->
            assertThrows<StoreException.WrongPassphrase> { v.unlockWithPassphrase(pass("a"), null) }
            assertThrows<StoreException.WipedAfterFailedAttempts> { v.unlockWithPassphrase(pass("b"), null) }
            assertThrows<StoreException.Wiped> { v.unlockWithPassphrase(pass("right"), null) }
        }
        assertTrue(filesUnder(dir).isEmpty(), "files left: ${filesUnder(dir)}")
        assertThrows<StoreException.NotFound> { Vault.open(store) }
    }

    @Test
    fun `change the passphrase by rewrapping`() {
        Vault.create(store, pass("old passphrase"), FAST_KDF, null).use { v ->
            val device = v.status().deviceId
            assertThrows<StoreException.WrongPassphrase> {
                v.changePassphrase(pass("not the old one"), pass("x"), null)
            }
            v.changePassphrase(pass("old passphrase"), pass("new passphrase"), null)
            v.lock()
            assertThrows<StoreException.WrongPassphrase> { v.unlockWithPassphrase(pass("old passphrase"), null) }
            v.unlockWithPassphrase(pass("new passphrase"), null)
            assertEquals(device, v.status().deviceId)
        }
    }

    @Test
    fun `a Kotlin key wrapper opens a platform slot and guards a stacked one`() {
        val platform = JvmKeyWrapper()
        Vault.create(store, pass("pin 4711"), FAST_KDF, platform).use { v ->
            assertEquals(SlotKind.PASSPHRASE_AND_PLATFORM, v.status().slots[0].kind)
            v.addPlatformSlot(platform)
            assertEquals(2, v.status().slots.size)
        }
        val calls = platform.calls
        Vault.open(store).use { v ->
            // The stacked slot cannot be opened by the passphrase alone.
            assertThrows<StoreException.WrongPassphrase> { v.unlockWithPassphrase(pass("pin 4711"), null) }
            v.unlockWithPassphrase(pass("pin 4711"), platform)
            v.lock()
            assertThrows<StoreException.PlatformKeyRejected> { v.unlockWithPlatform(JvmKeyWrapper()) }
            v.unlockWithPlatform(platform)
            assertTrue(v.isUnlocked())
        }
        assertTrue(platform.calls > calls, "the Rust core called back into Kotlin")
    }

    @Test
    fun `duress passphrase shreds the store and opens an empty one`() {
        val firstDevice: String?
        Vault.create(store, pass("real"), FAST_KDF, null).use { v ->
            firstDevice = v.status().deviceId
            v.setDuressPassphrase(pass("duress"))
            assertTrue(v.status().slots.any { it.duress })
        }
        Vault.open(store).use { v ->
            // Locked: nothing tells the duress slot apart.
            assertTrue(v.status().slots.none { it.duress })
            v.unlockWithPassphrase(pass("duress"), null)
            assertTrue(v.isUnlocked())
            assertNotEquals(firstDevice, v.status().deviceId)
            assertEquals(1, v.status().slots.size)
        }
        Vault.open(store).use { v ->
            assertThrows<StoreException.WrongPassphrase> { v.unlockWithPassphrase(pass("real"), null) }
        }
    }

    @Test
    fun `panic wipe destroys the platform key and every file`() {
        val platform = JvmKeyWrapper()
        Vault.create(store, pass("p"), FAST_KDF, platform).use { v ->
            assertTrue(Files.exists(dir.resolve("store/vigil.keys")))
            v.wipe(platform)
            assertThrows<StoreException.Wiped> { v.status() }
        }
        assertTrue(platform.destroyed)
        assertTrue(filesUnder(dir).isEmpty(), "files left: ${filesUnder(dir)}")
        assertThrows<StoreException.NotFound> { Vault.open(store) }
        assertThrows<KeyWrapperException.Failed> { platform.wrap(ByteArray(1)) }
    }

    @Test
    fun `a corrupt key file is reported and left intact`() {
        Vault.create(store, pass("p"), FAST_KDF, null).close()
        val keys = dir.resolve("store/vigil.keys")
        val bytes = Files.readAllBytes(keys)
        bytes[bytes.size / 2] = (bytes[bytes.size / 2].toInt() xor 0x20).toByte()
        Files.write(keys, bytes)
        assertThrows<StoreException.KeyFileCorrupt> { Vault.open(store) }
        assertTrue(Files.readAllBytes(keys).contentEquals(bytes))
    }
}
