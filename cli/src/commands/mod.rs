//! One module per command group.

pub mod advance;
pub mod incident;
pub mod report;
pub mod store;
pub mod sync;

use vigil_core::advance::AdvanceError;
use vigil_core::incident::IncidentError;
use vigil_core::StoreError;

/// What a command can fail with, mapped to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Incident(#[from] IncidentError),
    #[error("{0}")]
    Advance(AdvanceError),
    /// A log or bundle that does not verify (a finding, not a malfunction).
    #[error("{0}")]
    Verification(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
    #[error("cancelled")]
    Cancelled,
    /// The data directory holds no store (`StoreError::NotFound`, with the directory).
    #[error("no Vigil store in {}: create one with `vigil init` (or pick another with --data-dir)", .0.display())]
    NoStore(std::path::PathBuf),
    #[error("{}", sync_message(.0))]
    Sync(vigil_core::sync::SyncError),
}

impl CliError {
    /// 1 generic, 2 usage or refused input, 3 authentication, 4 damaged or foreign
    /// files, 5 an incident log or bundle that does not verify, 6 the store is busy with
    /// another writer (try again), 7 the disk is full (nothing was lost).
    pub fn exit_code(&self) -> u8 {
        if self.is_refused_input() {
            return 2;
        }
        match self {
            CliError::Store(e) | CliError::Incident(IncidentError::Store(e)) => store_exit_code(e),
            CliError::Incident(IncidentError::AttachmentCorrupt) => 4,
            CliError::Verification(_) => 5,
            _ => 1,
        }
    }

    /// The one rule for exit status 2: input the command refuses (a bad value, an
    /// unreadable or oversized file, a wrong kind of answer), whichever layer refused it.
    fn is_refused_input(&self) -> bool {
        match self {
            CliError::Usage(_) | CliError::Cancelled => true,
            CliError::Store(e) | CliError::Incident(IncidentError::Store(e)) => {
                matches!(e, StoreError::InvalidInput { .. })
            }
            CliError::Incident(e) => matches!(
                e,
                IncidentError::InvalidInput { .. } | IncidentError::AttachmentEmpty
            ),
            CliError::Advance(e) => matches!(
                e,
                AdvanceError::InvalidInput { .. }
                    | AdvanceError::Gpx(_)
                    | AdvanceError::GeoJson(_)
                    | AdvanceError::WrongGeometry { .. }
                    | AdvanceError::EmptyRoute
                    | AdvanceError::Template { .. }
                    | AdvanceError::TooLarge { .. }
                    | AdvanceError::WrongAnswerKind { .. }
                    | AdvanceError::UnknownItem { .. }
            ),
            _ => false,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::Cancelled => "cancelled",
            CliError::Io(_) => "io",
            CliError::NoStore(_) => "not_found",
            CliError::Sync(e) => e.code(),
            CliError::Verification(_) => "verification_failed",
            CliError::Advance(e) => e.code(),
            CliError::Incident(e) => e.code(),
            CliError::Store(e) => e.code(),
        }
    }
}

fn store_exit_code(e: &StoreError) -> u8 {
    match e {
        StoreError::WrongPassphrase { .. }
        | StoreError::PlatformKeyRejected
        | StoreError::WipedAfterFailedAttempts => 3,
        StoreError::KeyFileCorrupt
        | StoreError::DatabaseCorrupt
        | StoreError::NotAStore { .. }
        | StoreError::NewerFormat { .. }
        | StoreError::PolicyTampered => 4,
        StoreError::Busy => 6,
        StoreError::DiskFull => 7,
        _ => 1,
    }
}

static WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// `--wait`: how long a command waits for another writer of the same store.
pub fn set_wait(seconds: f64) {
    let _ = WAIT.set(std::time::Duration::from_secs_f64(seconds));
}

pub fn parse_wait(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err("a number of seconds between 0 and 3600".into()),
    }
}

/// Opens the store (locked), with the `--wait` the user asked for.
pub fn open(dir: &std::path::Path) -> Result<vigil_core::Vault, CliError> {
    let mut v = vigil_core::Vault::open(dir)?;
    if let Some(wait) = WAIT.get() {
        v.set_wait(*wait)?;
    }
    Ok(v)
}

/// A sync failure for a CLI user: the CLI never retries by itself, so a temporary
/// failure says when running `vigil sync` again is worth it.
fn sync_message(e: &vigil_core::sync::SyncError) -> String {
    match e {
        vigil_core::sync::SyncError::Transient {
            reason,
            next_attempt_ms,
        } => format!(
            "sync failed temporarily ({reason}); nothing was lost: run `vigil sync` again after {}",
            sync::local_time(*next_attempt_ms)
        ),
        other => other.to_string(),
    }
}

impl CliError {
    /// Names the data directory in a "no store here" error.
    pub fn in_dir(self, dir: &std::path::Path) -> CliError {
        match self {
            CliError::Store(StoreError::NotFound) => CliError::NoStore(dir.to_path_buf()),
            other => other,
        }
    }
}

/// A file that could not be read or written, in words: `no such file: nope.gpx`.
pub fn io_error(path: &std::path::Path, e: &std::io::Error) -> CliError {
    use std::io::ErrorKind as K;
    let p = path.display();
    CliError::Io(match e.kind() {
        K::NotFound => format!("no such file: {p}"),
        K::PermissionDenied => format!("permission denied: {p}"),
        K::AlreadyExists => format!("already exists (not overwritten): {p}"),
        K::IsADirectory => format!("is a directory, not a file: {p}"),
        _ => format!("{p}: {e}"),
    })
}

/// Opens and unlocks the store with the passphrase from `VIGIL_PASSPHRASE` or a prompt.
pub fn unlock(dir: &std::path::Path) -> Result<vigil_core::Vault, CliError> {
    let mut v = open(dir)?;
    let p = crate::secret::passphrase("VIGIL_PASSPHRASE", "Passphrase: ")?;
    v.unlock_with_passphrase(&p, None)?;
    Ok(v)
}

/// Store failures inside advance calls are reported as the store's own errors (same
/// exit status and kind as any other command).
impl From<AdvanceError> for CliError {
    fn from(e: AdvanceError) -> Self {
        match e {
            AdvanceError::Store(s) => CliError::Store(s),
            AdvanceError::Incident(vigil_core::incident::IncidentError::Store(s)) => {
                CliError::Store(s)
            }
            other => CliError::Advance(other),
        }
    }
}
