//! Public error types, one per area. Messages are safe to log and show: they never carry
//! narratives, names, coordinates, times or key material.

/// Everything that can go wrong with the encrypted store. Kotlin: `StoreException`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum StoreError {
    #[error("wrong passphrase")]
    WrongPassphrase { attempts_left: Option<u32> },
    #[error("the platform key opens no key slot")]
    PlatformKeyRejected,
    #[error("the store was wiped after too many failed unlock attempts")]
    WipedAfterFailedAttempts,
    /// The key file's wipe policy or counter was altered outside Vigil: tell the owner;
    /// the store stays locked until they confirm the policy (`unlock_confirming_policy`).
    #[error("the wipe policy was altered outside Vigil; confirm the policy to unlock")]
    PolicyTampered,
    #[error("the store is locked")]
    Locked,
    #[error("the store has been wiped")]
    Wiped,
    #[error("no Vigil store in this directory")]
    NotFound,
    #[error("a Vigil store already exists in this directory")]
    AlreadyExists,
    #[error("not a Vigil store: {reason}")]
    NotAStore { reason: String },
    #[error("the key file is corrupt; it was left untouched")]
    KeyFileCorrupt,
    #[error("the database is corrupt or was tampered with; it was left untouched")]
    DatabaseCorrupt,
    #[error("the {what} has format version {found}; this app supports up to {supported}")]
    NewerFormat {
        what: String,
        found: u32,
        supported: u32,
    },
    #[error("key derivation parameters are below the OWASP minimum")]
    WeakKdf,
    #[error("unknown key slot {id}")]
    UnknownSlot { id: u32 },
    #[error("cannot remove the last key slot that opens the store")]
    LastSlot,
    #[error("platform key wrapper failed: {reason}")]
    KeyWrapper { reason: String },
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// Another writer kept the store busy too long; nothing was written. Try again.
    #[error("the store is busy with another writer; nothing was written, try again")]
    Busy,
    /// No room for this write; nothing was written and nothing stored was lost.
    #[error("the device's storage is full: free space to log more; nothing was lost")]
    DiskFull,
    #[error("file system error: {reason}")]
    Io { reason: String },
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<vigil_core::StoreError> for StoreError {
    fn from(e: vigil_core::StoreError) -> Self {
        use vigil_core::StoreError as E;
        match e {
            E::WrongPassphrase { attempts_left } => StoreError::WrongPassphrase { attempts_left },
            E::PlatformKeyRejected => StoreError::PlatformKeyRejected,
            E::WipedAfterFailedAttempts => StoreError::WipedAfterFailedAttempts,
            E::PolicyTampered => StoreError::PolicyTampered,
            E::Locked => StoreError::Locked,
            E::Wiped => StoreError::Wiped,
            E::NotFound => StoreError::NotFound,
            E::AlreadyExists => StoreError::AlreadyExists,
            E::NotAStore { what } => StoreError::NotAStore {
                reason: what.to_string(),
            },
            E::KeyFileCorrupt => StoreError::KeyFileCorrupt,
            E::DatabaseCorrupt => StoreError::DatabaseCorrupt,
            E::NewerFormat {
                what,
                found,
                supported,
            } => StoreError::NewerFormat {
                what: what.to_string(),
                found,
                supported,
            },
            E::WeakKdf => StoreError::WeakKdf,
            E::UnknownSlot(id) => StoreError::UnknownSlot { id },
            E::LastSlot => StoreError::LastSlot,
            E::KeyWrapper(reason) => StoreError::KeyWrapper { reason },
            E::InvalidInput { field, reason } => StoreError::InvalidInput { field, reason },
            E::Busy => StoreError::Busy,
            E::DiskFull => StoreError::DiskFull,
            e @ E::Io(_) => StoreError::Io {
                reason: e.to_string(),
            },
            e @ (E::Sqlite(_) | E::Crypto(_)) => StoreError::Internal {
                reason: e.to_string(),
            },
        }
    }
}

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
