//! The master key and the subkeys derived from it (HKDF-SHA256, distinct labels).

use ring::hkdf;
use zeroize::Zeroizing;

use crate::crypto::random;
use crate::error::CryptoError;

/// 32 random bytes at the root of a store's key hierarchy. Never leaves the core;
/// zeroized on drop. Deliberately neither `Debug` nor `Clone`-able by accident.
pub struct MasterKey(Zeroizing<[u8; 32]>);

/// A key derived from the master key for one purpose.
pub struct SubKey(Zeroizing<[u8; 32]>);

/// What a subkey is for; the label is the HKDF `info`.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    Database,
    Attachments,
    /// Authenticates the key file's wipe policy and counter (`keyfile::Attempts`).
    Policy,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Database => b"vigil/v1/database",
            Purpose::Attachments => b"vigil/v1/attachments",
            Purpose::Policy => b"vigil/v2/policy",
        }
    }
}

struct Len32;
impl hkdf::KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        let mut k = Zeroizing::new([0u8; 32]);
        random::fill(&mut k[..])?;
        Ok(MasterKey(k))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::Open)?;
        Ok(MasterKey(Zeroizing::new(arr)))
    }

    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// HKDF-SHA256 (salt: the store id) with the purpose's label as info.
    pub fn derive(&self, store_id: &[u8], purpose: Purpose) -> Result<SubKey, CryptoError> {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, store_id);
        let prk = salt.extract(&self.0[..]);
        let info = [purpose.label()];
        let okm = prk.expand(&info, Len32).map_err(|_| CryptoError::Kdf)?;
        let mut out = Zeroizing::new([0u8; 32]);
        okm.fill(&mut out[..]).map_err(|_| CryptoError::Kdf)?;
        Ok(SubKey(out))
    }
}

impl SubKey {
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// The SQLCipher raw-key literal `x'…'`, in a zeroizing string.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(67));
        s.push_str("x'");
        s.push_str(&hex::encode(&self.0[..]));
        s.push('\'');
        s
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subkeys_differ_by_purpose_and_store() {
        let mk = MasterKey::generate().unwrap();
        let a = mk.derive(b"store-a", Purpose::Database).unwrap();
        let b = mk.derive(b"store-a", Purpose::Attachments).unwrap();
        let c = mk.derive(b"store-b", Purpose::Database).unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), c.expose());
        let again = mk.derive(b"store-a", Purpose::Database).unwrap();
        assert_eq!(a.expose(), again.expose());
        assert!(a.sqlcipher_literal().starts_with("x'"));
        assert_eq!(format!("{mk:?}"), "MasterKey(<redacted>)");
    }
}
