//! AES-256-GCM sealing (ring). Used for key slots and attachments.
//!
//! Sealed layout for [`seal`]: `nonce (12) || ciphertext || tag (16)`, nonce random.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

use crate::crypto::random;
use crate::error::CryptoError;

pub const TAG_LEN: usize = 16;

fn key(raw: &[u8; 32]) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, raw)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::Seal)
}

/// Seals `plaintext` under `raw_key` with a random nonce, binding `aad`.
pub fn seal(raw_key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce_bytes = random::bytes::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce_bytes);
    let mut body = plaintext.to_vec();
    key(raw_key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(aad),
            &mut body,
        )
        .map_err(|_| CryptoError::Seal)?;
    out.extend_from_slice(&body);
    zeroize::Zeroize::zeroize(&mut body);
    Ok(out)
}

/// Opens a blob made by [`seal`]. Fails (without detail) on any tampering or a wrong key.
pub fn open(
    raw_key: &[u8; 32],
    aad: &[u8],
    sealed: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Open);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Open)?;
    let mut buf = zeroize::Zeroizing::new(body.to_vec());
    let len = key(raw_key)?
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| CryptoError::Open)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// Seals with an explicit nonce (for chunked streams whose nonce is a counter under a
/// per-file key). Returns `ciphertext || tag`.
pub fn seal_with_nonce(
    raw_key: &[u8; 32],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    key(raw_key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            plaintext,
        )
        .map_err(|_| CryptoError::Seal)
}

/// Opens `ciphertext || tag` sealed by [`seal_with_nonce`], in place; returns the plaintext length.
pub fn open_with_nonce(
    raw_key: &[u8; 32],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<usize, CryptoError> {
    key(raw_key)?
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
        .map(|p| p.len())
        .map_err(|_| CryptoError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let k = [7u8; 32];
        let sealed = seal(&k, b"aad", b"secret").unwrap();
        assert_eq!(&open(&k, b"aad", &sealed).unwrap()[..], b"secret");
        assert!(open(&k, b"other", &sealed).is_err());
        let mut bad = sealed.clone();
        bad[14] ^= 1;
        assert!(open(&k, b"aad", &bad).is_err());
        assert!(open(&[8u8; 32], b"aad", &sealed).is_err());
        assert!(open(&k, b"aad", &sealed[..10]).is_err());
    }
}
