import VigilCore

/// How hard a passphrase is to guess, for the meter on the first-run screen.
struct Strength: Sendable, Equatable {
    let score: Int
    let words: String
    let hint: String?
    /// The core's verdict (`PassphraseScore.acceptable`, score 3 or more).
    let acceptable: Bool

    /// The meter's fill, 0.0 to 1.0.
    var fraction: Float { Float(score + 1) / 5 }

    /// zxcvbn's score 3: "safely unguessable" against offline guessing at a slow hash
    /// (Android's `Strength.MIN_SCORE`; the core's `PassphraseScore::MIN_SCORE`).
    static let minScore = 3
}

/// The core's zxcvbn (`scorePassphrase`): dictionary words, names, keyboard walks and dates
/// count for little; length of unrelated words counts for much. Pure computation in the
/// core, a few milliseconds: called as the officer types, like Android's.
struct PassphraseStrength: Sendable {
    func of(_ passphrase: String) -> Strength? {
        if passphrase.isEmpty { return nil }
        let verdict = scorePassphrase(passphrase: passphrase)
        let score = Int(verdict.score)
        let words: String
        switch score {
        case 0: words = "Very weak"
        case 1: words = "Weak"
        case 2: words = "Fair: add another word"
        case 3: words = "Strong"
        default: words = "Very strong"
        }
        let hint = verdict.acceptable ? nil : "Use four or more unrelated words."
        return Strength(score: score, words: words, hint: hint, acceptable: verdict.acceptable)
    }
}
