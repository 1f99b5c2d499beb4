//! TOTP (RFC 6238) over `ring`'s HMAC: 6 digits, 30-second steps, HMAC-SHA1 (what every
//! authenticator app implements), one step of clock drift either way. Secrets are 20
//! random bytes, shown once as an `otpauth://` URI with the secret in RFC 4648 base32.

use ring::hmac;

pub const STEP_MS: u64 = 30_000;
pub const DIGITS: u32 = 6;
pub const SECRET_LEN: usize = 20;

/// The code for time step `step` (RFC 4226 HOTP of the step counter).
pub fn code_at_step(secret: &[u8], step: u64) -> u32 {
    code_with(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret, step, DIGITS)
}

fn code_with(alg: hmac::Algorithm, secret: &[u8], step: u64, digits: u32) -> u32 {
    let key = hmac::Key::new(alg, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bin = (u32::from(mac[offset]) & 0x7f) << 24
        | u32::from(mac[offset + 1]) << 16
        | u32::from(mac[offset + 2]) << 8
        | u32::from(mac[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The step a code given at `now_ms` matches (the current one or one either side), if any.
/// The caller refuses a step already used (a code works once).
pub fn verify(secret: &[u8], code: &str, now_ms: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let given: u32 = code.parse().ok()?;
    let now = now_ms / STEP_MS;
    // Compare every candidate (no early exit on the first match).
    let mut found = None;
    for step in [now.saturating_sub(1), now, now + 1] {
        let ok = super::session::same(
            &code_at_step(secret, step).to_be_bytes(),
            &given.to_be_bytes(),
        );
        if ok && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// RFC 4648 base32, upper case, no padding (what `otpauth://` URIs carry).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The `otpauth://totp/...` URI an authenticator app scans.
pub fn otpauth_uri(user: &str, secret: &[u8]) -> String {
    let label = super::urlencode(user);
    format!(
        "otpauth://totp/Vigil:{label}?secret={}&issuer=Vigil&algorithm=SHA1&digits={DIGITS}&period={}",
        base32(secret),
        STEP_MS / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238, Appendix B: the SHA-1 seed, 8 digits.
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_vectors() {
        for (t, want) in [
            (59u64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            let got = code_with(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, SEED, t / 30, 8);
            assert_eq!(got, want, "T = {t}");
            // Six digits are the last six of the eight.
            assert_eq!(code_at_step(SEED, t / 30), want % 1_000_000);
        }
    }

    #[test]
    fn verify_accepts_one_step_of_drift_and_nothing_else() {
        let now = 1_234_567_890_000u64;
        let step = now / STEP_MS;
        let code = |s: u64| format!("{:06}", code_at_step(SEED, s));
        assert_eq!(verify(SEED, &code(step), now), Some(step));
        assert_eq!(verify(SEED, &code(step - 1), now), Some(step - 1));
        assert_eq!(verify(SEED, &code(step + 1), now), Some(step + 1));
        assert_eq!(verify(SEED, &code(step - 2), now), None);
        assert_eq!(verify(SEED, &code(step + 2), now), None);
        assert_eq!(verify(SEED, "12345", now), None);
        assert_eq!(verify(SEED, "abcdef", now), None);
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(SEED), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }
}
