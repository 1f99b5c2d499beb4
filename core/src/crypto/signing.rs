//! The device's Ed25519 signing key (ring). Created with the store; the PKCS#8 document
//! lives only inside the encrypted database.

use ring::signature::{self, Ed25519KeyPair, KeyPair};
use zeroize::Zeroizing;

use crate::error::CryptoError;

pub struct DeviceKey {
    pair: Ed25519KeyPair,
}

impl DeviceKey {
    /// Generates a key pair; returns it and its PKCS#8 document (to store encrypted).
    pub fn generate() -> Result<(DeviceKey, Zeroizing<Vec<u8>>), CryptoError> {
        let rng = ring::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| CryptoError::Random)?;
        let pkcs8 = Zeroizing::new(doc.as_ref().to_vec());
        let key = Self::from_pkcs8(&pkcs8)?;
        Ok((key, pkcs8))
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DeviceKey, CryptoError> {
        Ed25519KeyPair::from_pkcs8(pkcs8)
            .map(|pair| DeviceKey { pair })
            .map_err(|_| CryptoError::Open)
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.pair.sign(msg).as_ref());
        out
    }
}

/// Verifies an Ed25519 signature against a raw 32-byte public key.
pub fn verify(public_key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
        .verify(msg, sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_reload() {
        let (k, doc) = DeviceKey::generate().unwrap();
        let sig = k.sign(b"entry");
        assert!(verify(&k.public_key(), b"entry", &sig));
        assert!(!verify(&k.public_key(), b"entrY", &sig));
        let again = DeviceKey::from_pkcs8(&doc).unwrap();
        assert_eq!(again.public_key(), k.public_key());
    }
}
