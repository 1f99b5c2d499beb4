import Zxcvbn

/// How hard a passphrase is to guess, for the meter on the first-run screen.
struct Strength: Sendable, Equatable {
    let score: Int
    let words: String
    let hint: String?

    /// The meter's fill, 0.0 to 1.0.
    var fraction: Float { Float(score + 1) / 5 }
    var acceptable: Bool { score >= Self.minScore }

    /// zxcvbn's score 3: "safely unguessable" against offline guessing at a slow hash.
    static let minScore = 3
}

/// zxcvbn (the Swift Package port of Dropbox's estimator; Android uses the Java port):
/// dictionary words, names, keyboard walks and dates count for little; length of unrelated
/// words counts for much. The score scale (0...4) and the words are Android's.
struct PassphraseStrength: Sendable {
    func of(_ passphrase: String) -> Strength? {
        if passphrase.isEmpty { return nil }
        let score = passphrase.zxcvbn().score.rawValue
        let words: String
        switch score {
        case 0: words = "Very weak"
        case 1: words = "Weak"
        case 2: words = "Fair: add another word"
        case 3: words = "Strong"
        default: words = "Very strong"
        }
        let hint = score < Strength.minScore ? "Use four or more unrelated words." : nil
        return Strength(score: score, words: words, hint: hint)
    }
}
