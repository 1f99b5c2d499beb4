//! Errors, one enum per area. Messages never carry sensitive content (narratives,
//! names, coordinates, times, key material): they name what failed, not what it held.

use thiserror::Error;

/// Low-level cryptographic failures. Deliberately without detail.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum CryptoError {
    #[error("the system random number generator failed")]
    Random,
    #[error("sealing failed")]
    Seal,
    #[error("authentication failed: wrong key or tampered data")]
    Open,
    #[error("key derivation failed")]
    Kdf,
    #[error("key derivation parameters out of range")]
    KdfParams,
    #[error("signing failed")]
    Sign,
}

/// Errors of the encrypted store: creating, unlocking, key slots, wiping, reading, writing.
///
/// It crosses the FFI as it is (Kotlin `StoreException`, Swift `StoreError`), with its
/// `code()` (core/src/codes.rs) and its message (`toString()` / `description`).
#[derive(Debug, Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum StoreError {
    #[error("wrong passphrase{}", attempts_left_text(*attempts_left))]
    WrongPassphrase {
        /// Attempts left before the wipe policy triggers; `None` when no policy is set.
        attempts_left: Option<u32>,
    },
    #[error("no key slot could be opened with the platform key")]
    PlatformKeyRejected,
    /// The wipe policy or the failed-attempt counter in the key file was changed by
    /// something other than Vigil (its tag does not match, or a key file already
    /// upgraded was put back to format 1). The store stays locked until the owner
    /// confirms the policy (`Vault::unlock_confirming_policy`); see SECURITY.md.
    #[error("the key file's wipe policy or attempt counter was altered outside Vigil; the store stays locked until its owner confirms the policy")]
    PolicyTampered,
    #[error("the store was wiped after too many failed unlock attempts")]
    WipedAfterFailedAttempts,
    #[error("the store is locked")]
    Locked,
    #[error("the store has been wiped")]
    Wiped,
    #[error("no Vigil store in this directory")]
    NotFound,
    #[error("a Vigil store already exists in this directory")]
    AlreadyExists,
    #[error("this is not a Vigil store: {what}")]
    NotAStore { what: String },
    #[error("the key file is corrupt or truncated; it was left untouched")]
    KeyFileCorrupt,
    #[error("the database is corrupt or has been tampered with; it was left untouched")]
    DatabaseCorrupt,
    #[error("the {what} uses format version {found}, newer than this app supports ({supported})")]
    NewerFormat {
        what: String,
        found: u32,
        supported: u32,
    },
    #[error("key derivation parameters are below the OWASP minimum (ask for weak parameters explicitly)")]
    WeakKdf,
    #[error("unknown key slot {0}")]
    UnknownSlot(u32),
    #[error("cannot remove the last key slot that opens the store")]
    LastSlot,
    #[error("the platform key wrapper failed: {0}")]
    KeyWrapper(String),
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// Another process or thread kept the store busy longer than a writer waits
    /// (the store lock or SQLite's busy timeout); nothing was written. Try again.
    #[error("the store is busy with another writer; nothing was written, try again")]
    Busy,
    /// The file system has no room for this write; nothing was written and nothing
    /// already stored was lost.
    #[error("the device's storage is full: free space to log more; nothing was lost")]
    DiskFull,
    #[error("file system error ({0})")]
    Io(std::io::ErrorKind),
    #[error("database error ({0})")]
    Sqlite(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

fn attempts_left_text(left: Option<u32>) -> String {
    match left {
        None => String::new(),
        Some(1) => " (1 attempt left before the store is wiped)".into(),
        Some(n) => format!(" ({n} attempts left before the store is wiped)"),
    }
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        use rustix::io::Errno;
        let full = [Errno::NOSPC.raw_os_error(), Errno::DQUOT.raw_os_error()];
        if e.kind() == std::io::ErrorKind::StorageFull
            || e.raw_os_error().is_some_and(|c| full.contains(&c))
        {
            return StoreError::DiskFull;
        }
        StoreError::Io(e.kind())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                StoreError::DatabaseCorrupt
            }
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Busy,
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            // Only the error code and SQLite's generic description: never values or SQL text.
            Some(code) => StoreError::Sqlite(format!("{code:?}")),
            None => StoreError::Sqlite(sqlite_kind(&e).to_string()),
        }
    }
}

fn sqlite_kind(e: &rusqlite::Error) -> &'static str {
    match e {
        rusqlite::Error::QueryReturnedNoRows => "no rows",
        rusqlite::Error::InvalidColumnType(..) => "invalid column type",
        rusqlite::Error::FromSqlConversionFailure(..) => "conversion failure",
        rusqlite::Error::IntegralValueOutOfRange(..) => "integer out of range",
        rusqlite::Error::Utf8Error(..) => "invalid UTF-8",
        _ => "internal",
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(_: serde_json::Error) -> Self {
        StoreError::Sqlite("malformed stored record".into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
