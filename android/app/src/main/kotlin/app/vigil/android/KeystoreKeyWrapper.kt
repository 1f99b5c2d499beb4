package app.vigil.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import app.vigil.core.KeyWrapper
import app.vigil.core.KeyWrapperException
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The platform key the core stacks on a key slot: an AES-256-GCM key in the Android
 * Keystore, in StrongBox where the phone has one, usable only while the device is unlocked.
 * Wrapped blobs are IV (12 bytes) then ciphertext and tag. With [biometric] the key also
 * needs a fresh biometric authentication per use (wrap and unwrap): the cipher is handed
 * to [authenticate] (the [BiometricGate]'s prompt, with a `CryptoObject`) and used only
 * once it comes back authenticated. The core calls wrap/unwrap on an IO thread, where
 * waiting for the prompt is fine. Nothing here logs; errors carry no key material.
 */
class KeystoreKeyWrapper(
    private val context: Context,
    private val alias: String = "vigil.platform.v1",
    private val biometric: Boolean = false,
    private val authenticate: ((Cipher, String) -> Cipher?)? = null,
) : KeyWrapper {
    private val keyStore: KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    override fun wrap(plaintext: ByteArray): ByteArray {
        val c = try {
            Cipher.getInstance(TRANSFORMATION).apply { init(Cipher.ENCRYPT_MODE, key()) }
        } catch (e: Exception) {
            throw KeyWrapperException.Failed("keystore wrap failed: ${e.javaClass.simpleName}")
        }
        val ready = authorized(c, "Turn on fingerprint unlock")
        try {
            return ready.iv + ready.doFinal(plaintext)
        } catch (e: Exception) {
            throw KeyWrapperException.Failed("keystore wrap failed: ${e.javaClass.simpleName}")
        }
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < IV_BYTES + TAG_BYTES) throw KeyWrapperException.Failed("wrapped key too short")
        val c = try {
            cipherForUnwrap(wrapped)
        } catch (e: Exception) {
            // KeyPermanentlyInvalidatedException: a fingerprint was added since; the passphrase still works.
            throw KeyWrapperException.Failed("keystore unwrap failed: ${e.javaClass.simpleName}")
        }
        val ready = authorized(c, "Unlock Vigil")
        try {
            return ready.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
        } catch (e: Exception) {
            throw KeyWrapperException.Failed("keystore unwrap failed: ${e.javaClass.simpleName}")
        }
    }

    /** The cipher itself, or for a biometric key the same cipher once the officer authenticated it. */
    private fun authorized(c: Cipher, title: String): Cipher {
        if (!biometric) return c
        val auth = authenticate ?: throw KeyWrapperException.Failed("no biometric prompt available")
        return auth(c, title) ?: throw KeyWrapperException.Failed("biometric authentication cancelled")
    }

    /** True when this wrapper's Keystore key exists (a biometric key is made when turned on). */
    fun hasKey(): Boolean = try {
        keyStore.containsAlias(alias)
    } catch (e: Exception) {
        false
    }

    /** The decrypting cipher for [wrapped] (for a biometric key: to authenticate before use). */
    private fun cipherForUnwrap(wrapped: ByteArray): Cipher = Cipher.getInstance(TRANSFORMATION).apply {
        init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BYTES * 8, wrapped, 0, IV_BYTES))
    }

    override fun destroyKey() {
        try {
            keyStore.deleteEntry(alias)
        } catch (e: Exception) {
            throw KeyWrapperException.Failed("keystore delete failed: ${e.javaClass.simpleName}")
        }
    }

    private fun key(): SecretKey =
        (keyStore.getKey(alias, null) as? SecretKey) ?: generate(strongBox = hasStrongBox())

    private fun generate(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .apply {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                    setUnlockedDeviceRequired(true)
                    setIsStrongBoxBacked(strongBox)
                }
                if (biometric) {
                    setUserAuthenticationRequired(true)
                    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                        setUserAuthenticationParameters(0, KeyProperties.AUTH_BIOMETRIC_STRONG)
                    }
                    setInvalidatedByBiometricEnrollment(true)
                }
            }
            .build()
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        return try {
            generator.init(spec)
            generator.generateKey()
        } catch (e: StrongBoxUnavailableException) {
            generate(strongBox = false)
        }
    }

    private fun hasStrongBox(): Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BYTES = 16
    }
}
