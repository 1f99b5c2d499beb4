//! `SyncError`: what a sync call can end with. Messages carry no record content.

use crate::error::StoreError;

/// Crosses the FFI as it is (Kotlin `SyncException`, Swift `SyncError`), with its `code()`
/// (core/src/codes.rs; a failure underneath keeps its own code) and its message.
#[derive(Debug, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum SyncError {
    #[error("this device is not enrolled with a team server")]
    NotEnrolled,
    #[error("this device is already enrolled")]
    AlreadyEnrolled,
    #[error("the team server refused the enrollment ({code})")]
    EnrollmentRefused { code: String },
    /// The server revoked this device: sync stops until it is enrolled again.
    #[error("this device has been revoked by the team server")]
    Revoked,
    #[error("the team server does not recognise this device ({code})")]
    Unauthorized { code: String },
    /// The server refused a pull as stale, and learning its time from the refusal and
    /// retrying once did not help (an older server that does not tell its time, or a
    /// round trip too slow to learn from).
    #[error("this device's clock differs from the team server's by more than five minutes")]
    ClockSkew,
    #[error("the team server expects sequence number {expected}; local history is inconsistent")]
    SequenceGap { expected: u64 },
    /// No network, timeout, 5xx or 429: nothing was lost; retry at `next_attempt_ms`.
    #[error("sync failed temporarily ({reason}); next attempt scheduled")]
    Transient {
        reason: String,
        next_attempt_ms: u64,
    },
    #[error("unexpected answer from the team server ({0})")]
    Protocol(String),
    /// Another sync of this store is running (one at a time per store); it carries on.
    #[error("a sync is already running")]
    AlreadyRunning,
    #[error("invalid server address")]
    InvalidUrl,
    /// A pinned key is not `sha256/<base64 of 32 bytes>`.
    #[error("invalid pinned key ({reason})")]
    InvalidPin { reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// True for failures a later attempt may cure by itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Transient { .. })
    }
}
