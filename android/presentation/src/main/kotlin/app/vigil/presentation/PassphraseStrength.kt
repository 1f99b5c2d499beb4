package app.vigil.presentation

import com.nulabinc.zxcvbn.Zxcvbn

/** How hard a passphrase is to guess, for the meter on the first-run screen. */
data class Strength(val score: Int, val words: String, val hint: String?) {
    /** The meter's fill, 0.0 to 1.0. */
    val fraction: Float get() = (score + 1) / 5f
    val acceptable: Boolean get() = score >= MIN_SCORE

    companion object {
        /** zxcvbn's score 3: "safely unguessable" against offline guessing at a slow hash. */
        const val MIN_SCORE = 3
    }
}

/**
 * zxcvbn (Dropbox's estimator, Java port): dictionary words, names, keyboard walks and
 * dates count for little; length of unrelated words counts for much.
 */
class PassphraseStrength {
    private val zxcvbn = Zxcvbn()

    fun of(passphrase: String): Strength? {
        if (passphrase.isEmpty()) return null
        val r = zxcvbn.measure(passphrase)
        val words = when (r.score) {
            0 -> "Very weak"
            1 -> "Weak"
            2 -> "Fair: add another word"
            3 -> "Strong"
            else -> "Very strong"
        }
        val hint = if (r.score < Strength.MIN_SCORE) "Use four or more unrelated words." else null
        return Strength(r.score, words, hint)
    }
}
