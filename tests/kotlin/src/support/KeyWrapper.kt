package app.vigil.testsupport

import app.vigil.core.KeyWrapper
import app.vigil.core.KeyWrapperException
import java.security.SecureRandom
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * A key wrapper written in Kotlin, shaped like the Android Keystore one: AES-256-GCM with a
 * key the "platform" holds (here: in memory), a random 12-byte IV prepended. An unwrap first
 * asks [prompt] (the BiometricPrompt of a biometric-bound key on a phone), which returns
 * false when the officer cancels or the finger is not recognised. The platform boundary the
 * app implements, not a component of ours.
 *
 * Shared by the Kotlin tests (tests/kotlin) and the presenters' tests (android/presentation,
 * whose Maven build compiles this directory as a test source).
 */
class JvmKeyWrapper(var prompt: () -> Boolean = { true }) : KeyWrapper {
    private var key: SecretKey? = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    var destroyed = false
        private set

    /** Calls from the core, wraps and unwraps. */
    var calls = 0
        private set

    /** Unwraps that asked [prompt]. */
    var prompts = 0
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
        prompts++
        if (!prompt()) throw KeyWrapperException.Failed("authentication cancelled")
        if (wrapped.size < 28) throw KeyWrapperException.Failed("wrapped blob too short")
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.DECRYPT_MODE, k, GCMParameterSpec(128, wrapped.copyOfRange(0, 12)))
        try {
            return c.doFinal(wrapped.copyOfRange(12, wrapped.size))
        } catch (e: AEADBadTagException) {
            throw KeyWrapperException.Failed("not wrapped by this key")
        }
    }

    override fun destroyKey() {
        key = null
        destroyed = true
    }
}
