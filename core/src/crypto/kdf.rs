//! Passphrase key derivation: Argon2id (default) or PBKDF2-HMAC-SHA256.
//!
//! Parameters are stored beside each slot so they can be raised later without
//! breaking old slots. Anything below OWASP's floor is refused unless the caller
//! asks for it explicitly (tests do, to stay fast).

use std::cell::Cell;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::CryptoError;

/// OWASP's Argon2id floor: m = 19 MiB, t = 2, p = 1.
pub const ARGON2_MIN_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_MIN_ITERATIONS: u32 = 2;
/// OWASP's PBKDF2-HMAC-SHA256 floor.
pub const PBKDF2_MIN_ITERATIONS: u32 = 600_000;
/// Upper bounds, so a tampered key file cannot make an unlock exhaust memory or time.
const ARGON2_MAX_MEMORY_KIB: u32 = 1024 * 1024;
const ARGON2_MAX_ITERATIONS: u32 = 64;
const ARGON2_MAX_PARALLELISM: u32 = 16;
const PBKDF2_MAX_ITERATIONS: u32 = 20_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "alg", rename_all = "snake_case")]
pub enum KdfParams {
    Argon2id {
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    },
    Pbkdf2Sha256 {
        iterations: u32,
    },
}

impl Default for KdfParams {
    /// Argon2id, 64 MiB, t = 3, p = 1: about half a second on a mid-range phone.
    fn default() -> Self {
        KdfParams::Argon2id {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

thread_local! {
    static RUNS: Cell<u64> = const { Cell::new(0) };
}

/// How many passphrase KDF evaluations this thread has performed. Lets tests prove that
/// a duress or wrong passphrase costs exactly the KDF work of a real one, without timing.
pub fn kdf_runs() -> u64 {
    RUNS.with(|r| r.get())
}

impl KdfParams {
    /// True when the parameters meet OWASP's minimum.
    pub fn meets_minimum(&self) -> bool {
        match *self {
            KdfParams::Argon2id {
                memory_kib,
                iterations,
                ..
            } => memory_kib >= ARGON2_MIN_MEMORY_KIB && iterations >= ARGON2_MIN_ITERATIONS,
            KdfParams::Pbkdf2Sha256 { iterations } => iterations >= PBKDF2_MIN_ITERATIONS,
        }
    }

    /// Refuses values no legitimate store holds (protects unlock from a doctored key file).
    pub fn check_bounds(&self) -> Result<(), CryptoError> {
        let ok = match *self {
            KdfParams::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => {
                (8..=ARGON2_MAX_MEMORY_KIB).contains(&memory_kib)
                    && (1..=ARGON2_MAX_ITERATIONS).contains(&iterations)
                    && (1..=ARGON2_MAX_PARALLELISM).contains(&parallelism)
                    && memory_kib >= 8 * parallelism
            }
            KdfParams::Pbkdf2Sha256 { iterations } => {
                (1..=PBKDF2_MAX_ITERATIONS).contains(&iterations)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(CryptoError::KdfParams)
        }
    }

    /// Derives a 32-byte key-encryption key from `passphrase` and `salt`.
    pub fn derive(
        &self,
        passphrase: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        self.check_bounds()?;
        RUNS.with(|r| r.set(r.get() + 1));
        let mut out = Zeroizing::new([0u8; 32]);
        match *self {
            KdfParams::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => {
                let params = argon2::Params::new(memory_kib, iterations, parallelism, Some(32))
                    .map_err(|_| CryptoError::KdfParams)?;
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                    .hash_password_into(passphrase, salt, &mut out[..])
                    .map_err(|_| CryptoError::Kdf)?;
            }
            KdfParams::Pbkdf2Sha256 { iterations } => {
                let n = NonZeroU32::new(iterations).ok_or(CryptoError::KdfParams)?;
                ring::pbkdf2::derive(
                    ring::pbkdf2::PBKDF2_HMAC_SHA256,
                    n,
                    salt,
                    passphrase,
                    &mut out[..],
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_meets_owasp_and_weak_is_flagged() {
        assert!(KdfParams::default().meets_minimum());
        assert!(KdfParams::Pbkdf2Sha256 {
            iterations: 600_000
        }
        .meets_minimum());
        assert!(!KdfParams::Pbkdf2Sha256 { iterations: 1000 }.meets_minimum());
        assert!(!KdfParams::Argon2id {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1
        }
        .meets_minimum());
    }

    #[test]
    fn derivation_is_deterministic_and_counted() {
        let p = KdfParams::Argon2id {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let before = kdf_runs();
        let a = p.derive(b"pass", b"0123456789abcdef").unwrap();
        let b = p.derive(b"pass", b"0123456789abcdef").unwrap();
        let c = p.derive(b"pasS", b"0123456789abcdef").unwrap();
        assert_eq!(kdf_runs() - before, 3);
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
        let q = KdfParams::Pbkdf2Sha256 { iterations: 10 };
        assert_ne!(*q.derive(b"pass", b"0123456789abcdef").unwrap(), *a);
    }

    #[test]
    fn absurd_parameters_are_refused() {
        let p = KdfParams::Argon2id {
            memory_kib: u32::MAX,
            iterations: 3,
            parallelism: 1,
        };
        assert!(matches!(
            p.derive(b"x", b"saltsalt"),
            Err(CryptoError::KdfParams)
        ));
        let q = KdfParams::Pbkdf2Sha256 { iterations: 0 };
        assert!(q.derive(b"x", b"saltsalt").is_err());
    }
}
