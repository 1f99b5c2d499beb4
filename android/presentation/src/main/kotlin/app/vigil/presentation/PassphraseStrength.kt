package app.vigil.presentation

import app.vigil.core.scorePassphrase

/** How hard a passphrase is to guess, for the meter on the first-run screen. */
data class Strength(val score: Int, val words: String, val hint: String?) {
    /** The meter's fill, 0.0 to 1.0. */
    val fraction: Float get() = (score + 1) / 5f
    val acceptable: Boolean get() = score >= MIN_SCORE

    companion object {
        /** The core's `PassphraseScore::MIN_SCORE`: zxcvbn's 3, "safely unguessable". */
        const val MIN_SCORE = 3
    }
}

/**
 * The core's estimator (zxcvbn, `scorePassphrase`): one scorer for every phone, so a
 * passphrase one accepts the other accepts. Dictionary words, names, keyboard walks and
 * dates count for little; length of unrelated words counts for much. Runs on the caller's
 * thread: it is quick (the core scores at most the first 128 characters).
 */
class PassphraseStrength {
    fun of(passphrase: String): Strength? {
        if (passphrase.isEmpty()) return null
        val score = scorePassphrase(passphrase).score.toInt()
        val words = when (score) {
            0 -> "Very weak"
            1 -> "Weak"
            2 -> "Fair: add another word"
            3 -> "Strong"
            else -> "Very strong"
        }
        val hint = if (score < Strength.MIN_SCORE) "Use four or more unrelated words." else null
        return Strength(score, words, hint)
    }
}
