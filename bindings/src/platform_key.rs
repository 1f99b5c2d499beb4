//! The platform key as a foreign trait: Android implements it with the Keystore
//! (AES-GCM, StrongBox where present, unlocked-device-required), iOS with the Keychain
//! (`WhenPasscodeSetThisDeviceOnly`) or the Secure Enclave.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::KeyWrapperError;

#[uniffi::export(foreign)]
pub trait KeyWrapper: Send + Sync {
    /// Encrypts and authenticates `plaintext` under the platform key.
    fn wrap(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError>;
    /// Reverses `wrap`.
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, KeyWrapperError>;
    /// Deletes the platform key (first step of a wipe). (Not `destroy`: uniffi objects
    /// already have a `destroy()` that frees native memory.)
    fn destroy_key(&self) -> Result<(), KeyWrapperError>;
}

/// Adapts the foreign trait to the core's.
pub(crate) struct PlatformKey(pub Arc<dyn KeyWrapper>);

fn core_err(e: KeyWrapperError) -> vigil_core::KeyWrapperError {
    vigil_core::KeyWrapperError(e.to_string())
}

impl vigil_core::KeyWrapper for PlatformKey {
    fn wrap(&self, plaintext: &[u8]) -> Result<Vec<u8>, vigil_core::KeyWrapperError> {
        self.0.wrap(plaintext.to_vec()).map_err(core_err)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, vigil_core::KeyWrapperError> {
        self.0
            .unwrap(wrapped.to_vec())
            .map(Zeroizing::new)
            .map_err(core_err)
    }

    fn destroy(&self) -> Result<(), vigil_core::KeyWrapperError> {
        self.0.destroy_key().map_err(core_err)
    }
}
