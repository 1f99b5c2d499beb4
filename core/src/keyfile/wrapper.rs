//! The platform key: a key the OS keeps (Android Keystore, iOS Keychain / Secure Enclave)
//! that wraps our key-encryption keys. Only the platform can implement it; the core
//! sees it as a trait and never holds the platform key itself.

use zeroize::Zeroizing;

/// A platform failure, described by the platform (no key material in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWrapperError(pub String);

pub trait KeyWrapper: Send + Sync {
    /// Encrypts (and authenticates) `plaintext` under the platform key.
    fn wrap(&self, plaintext: &[u8]) -> Result<Vec<u8>, KeyWrapperError>;
    /// Reverses [`KeyWrapper::wrap`].
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyWrapperError>;
    /// Destroys the platform key (first step of a wipe). Wrapped blobs become useless.
    fn destroy(&self) -> Result<(), KeyWrapperError>;
}
