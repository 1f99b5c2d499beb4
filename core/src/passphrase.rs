//! How hard a passphrase is to guess, for the meter the apps show while one is chosen (first
//! run, a new passphrase). zxcvbn, Dropbox's estimator (the Rust port): dictionary words,
//! names, keyboard walks, dates and l33t count for little; length of unrelated words counts
//! for much. One estimator in the core, so a passphrase one phone accepts every phone accepts.
//!
//! The score only advises the officer; the store's protection is the KDF (`crypto::kdf`).

use zeroize::Zeroizing;

/// Only the first this many characters are scored: zxcvbn's matching grows faster than
/// linearly with length, and characters beyond these only make a passphrase stronger.
pub const SCORED_CHARS: usize = 128;

/// zxcvbn's verdict on a passphrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PassphraseScore {
    /// 0 (guessed within a thousand tries) to 4 (beyond ten billion).
    pub score: u8,
    /// Whether the apps take it as a new passphrase: `score >= MIN_SCORE`.
    pub acceptable: bool,
}

impl PassphraseScore {
    /// zxcvbn's score 3, "safely unguessable": beyond 10^8 guesses, which against the
    /// default Argon2id (64 MiB, t = 3) is years of a GPU's time for one store.
    pub const MIN_SCORE: u8 = 3;
}

/// Scores `passphrase` (its first `SCORED_CHARS` characters; the copy is zeroized). The
/// empty passphrase scores 0. Pure computation, a few milliseconds: callable on a UI thread.
pub fn score_passphrase(passphrase: &str) -> PassphraseScore {
    let scored = Zeroizing::new(passphrase.chars().take(SCORED_CHARS).collect::<String>());
    let score = u8::from(zxcvbn::zxcvbn(&scored, &[]).score());
    PassphraseScore {
        score,
        acceptable: score >= PassphraseScore::MIN_SCORE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_and_patterns_score_low_unrelated_words_high() {
        for weak in [
            "",
            "password1",
            "qwertyuiop",
            "lantern",
            "Summer2026!",
            "aaaaaaaaaaaa",
        ] {
            let s = score_passphrase(weak);
            assert!(!s.acceptable, "{weak:?} scored {s:?}");
            assert!(s.score < PassphraseScore::MIN_SCORE);
        }
        for strong in [
            "lantern orbit cobalt meadow",
            "harbour violet engine quarry",
        ] {
            let s = score_passphrase(strong);
            assert!(s.acceptable, "{strong:?} scored {s:?}");
            assert!(s.score <= 4);
        }
        assert_eq!(score_passphrase("").score, 0);
    }

    #[test]
    fn any_length_and_any_text_is_scored_without_panic_and_bounded() {
        // Far beyond what anyone types: only the first SCORED_CHARS count.
        let long = "correct horse battery staple ".repeat(10_000);
        let prefix: String = long.chars().take(SCORED_CHARS).collect();
        assert_eq!(score_passphrase(&long), score_passphrase(&prefix));
        for odd in [
            "\u{0}\u{0}\u{0}",
            "日本語のパスフレーズ",
            "🔒🔑🛡️🚨",
            "\u{202e}evil",
            "a\nb\tc",
        ] {
            let s = score_passphrase(odd);
            assert_eq!(s.acceptable, s.score >= PassphraseScore::MIN_SCORE);
        }
    }
}
