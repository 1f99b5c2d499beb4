//! One module per command group.

pub mod store;
pub mod sync;

use vigil_core::StoreError;

/// What a command can fail with, mapped to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Sync(vigil_core::sync::SyncError),
}

impl CliError {
    /// 1 generic, 2 usage, 3 authentication, 4 damaged or foreign files.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Cancelled => 2,
            CliError::Store(e) => match e {
                StoreError::WrongPassphrase { .. }
                | StoreError::PlatformKeyRejected
                | StoreError::WipedAfterFailedAttempts => 3,
                StoreError::KeyFileCorrupt
                | StoreError::DatabaseCorrupt
                | StoreError::NotAStore { .. }
                | StoreError::NewerFormat { .. } => 4,
                _ => 1,
            },
            CliError::Io(_) | CliError::Sync(_) => 1,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::Cancelled => "cancelled",
            CliError::Io(_) => "io",
            CliError::Sync(e) => sync::kind(e),
            CliError::Store(e) => match e {
                StoreError::WrongPassphrase { .. } => "wrong_passphrase",
                StoreError::PlatformKeyRejected => "platform_key_rejected",
                StoreError::WipedAfterFailedAttempts => "wiped_after_failed_attempts",
                StoreError::Locked => "locked",
                StoreError::Wiped => "wiped",
                StoreError::NotFound => "not_found",
                StoreError::AlreadyExists => "already_exists",
                StoreError::NotAStore { .. } => "not_a_store",
                StoreError::KeyFileCorrupt => "key_file_corrupt",
                StoreError::DatabaseCorrupt => "database_corrupt",
                StoreError::NewerFormat { .. } => "newer_format",
                StoreError::WeakKdf => "weak_kdf",
                StoreError::UnknownSlot(_) => "unknown_slot",
                StoreError::LastSlot => "last_slot",
                StoreError::KeyWrapper(_) => "key_wrapper",
                StoreError::InvalidInput { .. } => "invalid_input",
                StoreError::Io(_) => "io",
                StoreError::Sqlite(_) | StoreError::Crypto(_) => "internal",
            },
        }
    }
}

/// Opens and unlocks the store with the passphrase from `VIGIL_PASSPHRASE` or a prompt.
pub fn unlock(dir: &std::path::Path) -> Result<vigil_core::Vault, CliError> {
    let mut v = vigil_core::Vault::open(dir)?;
    let p = crate::secret::passphrase("VIGIL_PASSPHRASE", "Passphrase: ")?;
    v.unlock_with_passphrase(&p, None)?;
    Ok(v)
}
