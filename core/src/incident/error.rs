//! The incident log's one error type. Messages name what failed, never what it held:
//! no narratives, names, coordinates, times or key material ever appear in them.

use thiserror::Error;

use crate::error::StoreError;

/// Crosses the FFI as it is (Kotlin `IncidentException`, Swift `IncidentError`), with its `code()`
/// (core/src/codes.rs; a failure underneath keeps its own code) and its message.
#[derive(Debug, Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum IncidentError {
    /// A field was refused; `field` and `reason` are fixed strings chosen by the core.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// No incident or entry with that id in this store.
    #[error("unknown incident or entry")]
    UnknownIncident,
    #[error("unknown attachment")]
    UnknownAttachment,
    #[error("an attachment cannot be empty")]
    AttachmentEmpty,
    /// A sealed chunk failed authentication, the file was truncated, extended or
    /// reordered, or its content no longer matches the recorded size and SHA-256.
    #[error("the attachment is corrupt or has been tampered with")]
    AttachmentCorrupt,
    /// A teammate's attachment whose file has not been downloaded yet (the next sync
    /// fetches it).
    #[error("the attachment has not been downloaded yet")]
    AttachmentNotDownloaded,
    #[error("attachment file error ({0:?})")]
    AttachmentIo(std::io::ErrorKind),
    #[error("the bundle could not be built: {0}")]
    Bundle(String),
    #[error("export output failed ({0:?})")]
    ExportIo(std::io::ErrorKind),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IncidentError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        IncidentError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<rusqlite::Error> for IncidentError {
    fn from(e: rusqlite::Error) -> Self {
        IncidentError::Store(StoreError::from(e))
    }
}

impl From<crate::error::CryptoError> for IncidentError {
    fn from(e: crate::error::CryptoError) -> Self {
        IncidentError::Store(StoreError::Crypto(e))
    }
}

pub type IncidentResult<T> = Result<T, IncidentError>;
