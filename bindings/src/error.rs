//! The one error the bindings define: what a platform key wrapper (a foreign trait the
//! apps implement) reports. The core's errors (`StoreError`, `IncidentError`,
//! `AdvanceError`, `SyncError`) cross the FFI as they are, each with its `code()`
//! (core/src/error.rs, core/src/codes.rs, core/src/ffi.rs).
//!
//! Why this one differs at the boundary: a foreign trait's error must be liftable from
//! Kotlin/Swift and must absorb what the foreign code throws without declaring it
//! (`From<UnexpectedUniFFICallbackError>`), which the core's `KeyWrapperError(String)`,
//! written for Rust implementations, has no business knowing about.

/// What a platform key wrapper reports. Kotlin: `KeyWrapperException`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyWrapperError {
    /// The platform refused or failed (key invalidated, user not authenticated, ...).
    #[error("{reason}")]
    Failed { reason: String },
    /// The foreign implementation threw something it did not declare.
    #[error("unexpected platform error: {reason}")]
    Unexpected { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyWrapperError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        KeyWrapperError::Unexpected { reason: e.reason }
    }
}
