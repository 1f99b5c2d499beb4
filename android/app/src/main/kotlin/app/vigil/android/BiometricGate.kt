package app.vigil.android

import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_STRONG
import androidx.biometric.BiometricPrompt
import androidx.core.content.ContextCompat
import androidx.fragment.app.FragmentActivity
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import javax.crypto.Cipher

/**
 * Shows the BiometricPrompt for a Keystore cipher and waits for it: the core calls the
 * key wrapper's unwrap on an IO thread (the unlock runs on `Dispatchers.IO`), so blocking
 * here until the officer touches the sensor is fine; never call it on the main thread.
 * The cipher comes back authenticated (`CryptoObject`), or null when the officer chose the
 * passphrase, cancelled, or the sensor locked out. A finger not recognised leaves the
 * prompt up for another try.
 */
class BiometricGate {
    /** The activity in front (set by MainActivity while it lives). */
    @Volatile
    var activity: FragmentActivity? = null

    fun authenticate(cipher: Cipher, title: String): Cipher? {
        val a = activity ?: return null
        val result = CompletableFuture<Cipher?>()
        a.runOnUiThread {
            val callback = object : BiometricPrompt.AuthenticationCallback() {
                override fun onAuthenticationSucceeded(r: BiometricPrompt.AuthenticationResult) {
                    result.complete(r.cryptoObject?.cipher)
                }

                override fun onAuthenticationError(errorCode: Int, errString: CharSequence) {
                    result.complete(null)
                }
            }
            val info = BiometricPrompt.PromptInfo.Builder()
                .setTitle(title)
                .setNegativeButtonText("Use passphrase")
                .setAllowedAuthenticators(BIOMETRIC_STRONG)
                .build()
            BiometricPrompt(a, ContextCompat.getMainExecutor(a), callback)
                .authenticate(info, BiometricPrompt.CryptoObject(cipher))
        }
        return try {
            result.get(2, TimeUnit.MINUTES)
        } catch (e: Exception) {
            null
        }
    }
}
