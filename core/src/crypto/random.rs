//! The one source of randomness: `ring::rand::SystemRandom` (the OS CSPRNG).

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::CryptoError;

/// Fills `buf` from the operating system's CSPRNG.
pub fn fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| CryptoError::Random)
}

/// Returns `N` fresh random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}
