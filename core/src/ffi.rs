//! How the core's own types cross the FFI (only with the `uniffi` feature; the bindings
//! crate turns it on). Records and enums derive their FFI form where they are defined
//! (`#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]`); the few foreign or
//! opaque types their fields use are mapped here, once.

use chrono::{DateTime, TimeZone, Utc};

use crate::advance::{AdvanceError, Walk, WalkProgress};
use crate::clock::hlc::Hlc;
use crate::error::StoreError;
use crate::incident::IncidentError;
use crate::sync::SyncError;

/// An instant crosses as milliseconds since the Unix epoch, UTC (Kotlin `Long`, Swift
/// `Int64`). Sub-millisecond precision does not cross; an instant outside chrono's range
/// is refused when lifted.
type Timestamp = DateTime<Utc>;

uniffi::custom_type!(Timestamp, i64, {
    remote,
    lower: |t| t.timestamp_millis(),
    try_lift: |ms| Utc
        .timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| uniffi::deps::anyhow::anyhow!("instant out of range")),
});

// A hybrid logical clock stamp crosses as its text form (`Hlc`'s `Display`), which
// sorts as the stamps do.
uniffi::custom_type!(Hlc, String, {
    lower: |h| h.to_string(),
    try_lift: |s| s
        .parse::<Hlc>()
        .map_err(|_| uniffi::deps::anyhow::anyhow!("not a clock stamp")),
});

// A walk's progress is computed from its answers, not stored: apps ask the record for
// it (`walk.progress()` in Kotlin, `walk.progress()` in Swift), as Rust callers do.
#[uniffi::export]
impl Walk {
    #[uniffi::method(name = "progress")]
    pub fn ffi_progress(&self) -> WalkProgress {
        self.progress()
    }
}

// A file system failure's kind (`StoreError::Io`, `IncidentError::AttachmentIo`/`ExportIo`)
// crosses as its description ("permission denied", "entity not found"): the words the
// core's messages already use; never a path. Lifting it back (an app passes the exception
// to `code()` or `toString()`) finds the kind by those words; an unlisted kind reads as
// `Other` (its code is "io" either way).
type IoKind = std::io::ErrorKind;

uniffi::custom_type!(IoKind, String, {
    remote,
    lower: |k| k.to_string(),
    try_lift: |s| Ok(IO_KINDS
        .iter()
        .copied()
        .find(|k| k.to_string() == s)
        .unwrap_or(IoKind::Other)),
});

const IO_KINDS: [IoKind; 22] = [
    IoKind::NotFound,
    IoKind::PermissionDenied,
    IoKind::AlreadyExists,
    IoKind::WouldBlock,
    IoKind::InvalidInput,
    IoKind::InvalidData,
    IoKind::TimedOut,
    IoKind::WriteZero,
    IoKind::Interrupted,
    IoKind::Unsupported,
    IoKind::UnexpectedEof,
    IoKind::OutOfMemory,
    IoKind::NotADirectory,
    IoKind::IsADirectory,
    IoKind::DirectoryNotEmpty,
    IoKind::ReadOnlyFilesystem,
    IoKind::StorageFull,
    IoKind::FileTooLarge,
    IoKind::ResourceBusy,
    IoKind::CrossesDevices,
    IoKind::InvalidFilename,
    IoKind::Other,
];

// Each core error crosses as it is (`derive(uniffi::Error)` where it is defined) with its
// one code (core/src/codes.rs): apps choose their words by `e.code()` (Kotlin, Swift), as
// the CLI's JSON `kind` does, instead of matching variants. A failure underneath (a store
// error inside an incident error) keeps its own code.
#[uniffi::export]
impl StoreError {
    /// The stable code of this error (`wrong_passphrase`, `locked`, `disk_full`, ...).
    #[uniffi::method(name = "code")]
    pub fn ffi_code(&self) -> String {
        self.code().into()
    }
}

#[uniffi::export]
impl IncidentError {
    /// The stable code of this error; a store failure underneath has the store's code.
    #[uniffi::method(name = "code")]
    pub fn ffi_code(&self) -> String {
        self.code().into()
    }
}

#[uniffi::export]
impl AdvanceError {
    /// The stable code of this error; a failure underneath has its own code.
    #[uniffi::method(name = "code")]
    pub fn ffi_code(&self) -> String {
        self.code().into()
    }
}

#[uniffi::export]
impl SyncError {
    /// The stable code of this error; a store failure underneath has the store's code.
    #[uniffi::method(name = "code")]
    pub fn ffi_code(&self) -> String {
        self.code().into()
    }
}
