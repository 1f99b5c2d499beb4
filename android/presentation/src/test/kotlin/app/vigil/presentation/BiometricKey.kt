package app.vigil.presentation

import app.vigil.core.KeyWrapper
import app.vigil.core.KeyWrapperException
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The phone's biometric-bound key, on the JVM: AES-256-GCM like the Android Keystore key,
 * and an unwrap that first asks [prompt] (the BiometricPrompt on a phone), which returns
 * false when the officer cancels or the finger is not recognised. The platform boundary
 * the app implements, not a component of ours.
 */
class BiometricKey(var prompt: () -> Boolean = { true }) : KeyWrapper {
    private var key: SecretKey? = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    var prompts = 0
        private set

    override fun wrap(plaintext: ByteArray): ByteArray {
        val k = key ?: throw KeyWrapperException.Failed("key deleted")
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.ENCRYPT_MODE, k, GCMParameterSpec(128, iv))
        return iv + c.doFinal(plaintext)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        val k = key ?: throw KeyWrapperException.Failed("key deleted")
        prompts++
        if (!prompt()) throw KeyWrapperException.Failed("authentication cancelled")
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
    }
}
