package app.vigil.tests

import app.vigil.core.KeyWrapper
import app.vigil.core.KeyWrapperException
import app.vigil.core.model.*
import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** Cheap KDF parameters, asked for explicitly: tests must stay fast. */
val FAST_KDF = KdfChoice(KdfParams.Argon2id(64u, 1u, 1u), true)

fun pass(s: String): ByteArray = s.toByteArray(Charsets.UTF_8)

/**
 * A key wrapper written in Kotlin, shaped like the Android Keystore one: AES-256-GCM
 * with a key the "platform" holds (here: in memory), random 12-byte IV prepended.
 */
class JvmKeyWrapper : KeyWrapper {
    private var key: SecretKey? = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    var destroyed = false
        private set
    var calls = 0
        private set

    override fun wrap(plaintext: ByteArray): ByteArray {
        calls++
        val k = key ?: throw KeyWrapperException.Failed("platform key destroyed")
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.ENCRYPT_MODE, k, GCMParameterSpec(128, iv))
        return iv + c.doFinal(plaintext)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        calls++
        val k = key ?: throw KeyWrapperException.Failed("platform key destroyed")
        if (wrapped.size < 28) throw KeyWrapperException.Failed("wrapped blob too short")
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.DECRYPT_MODE, k, GCMParameterSpec(128, wrapped.copyOfRange(0, 12)))
        try {
            return c.doFinal(wrapped.copyOfRange(12, wrapped.size))
        } catch (e: javax.crypto.AEADBadTagException) {
            throw KeyWrapperException.Failed("not wrapped by this key")
        }
    }

    override fun destroyKey() {
        key = null
        destroyed = true
    }
}

/** Every regular file under [dir], recursively. */
fun filesUnder(dir: Path): List<Path> =
    Files.walk(dir).use { s -> s.filter { Files.isRegularFile(it) }.toList() }

/** True if [needle] occurs anywhere in [hay]. */
fun contains(hay: ByteArray, needle: ByteArray): Boolean {
    if (needle.isEmpty() || hay.size < needle.size) return false
    outer@ for (i in 0..hay.size - needle.size) {
        for (j in needle.indices) if (hay[i + j] != needle[j]) continue@outer
        return true
    }
    return false
}

/**
 * Asserts that [block] throws a [T] and returns it. (Debian's JUnit is built without
 * its Kotlin extensions, so this stands in for `org.junit.jupiter.api.assertThrows`.)
 */
inline fun <reified T : Throwable> assertThrows(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got ${e::class.qualifiedName}: ${e.message}", e)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}
