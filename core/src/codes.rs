//! One stable machine code per core error: the CLI's JSON `kind` (and what any caller
//! names an error by). Each match below is the only one for its error; a new variant
//! does not compile until it has a code here. Codes are `snake_case`, never carry content, and never
//! change once released (apps and scripts match on them).

use crate::advance::AdvanceError;
use crate::error::StoreError;
use crate::incident::IncidentError;
use crate::sync::SyncError;

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
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
            StoreError::PolicyTampered => "policy_tampered",
            StoreError::Busy => "busy",
            StoreError::DiskFull => "disk_full",
            StoreError::Io(_) => "io",
            StoreError::Sqlite(_) | StoreError::Crypto(_) => "internal",
        }
    }
}

impl IncidentError {
    /// A store failure underneath has the store's code.
    pub fn code(&self) -> &'static str {
        match self {
            IncidentError::InvalidInput { .. } => "invalid_input",
            IncidentError::UnknownIncident => "unknown_incident",
            IncidentError::UnknownAttachment => "unknown_attachment",
            IncidentError::AttachmentEmpty => "attachment_empty",
            IncidentError::AttachmentCorrupt => "attachment_corrupt",
            IncidentError::AttachmentNotDownloaded => "attachment_not_downloaded",
            IncidentError::AttachmentIo(_) | IncidentError::ExportIo(_) => "io",
            IncidentError::Bundle(_) => "bundle",
            IncidentError::Store(e) => e.code(),
        }
    }
}

impl AdvanceError {
    /// A failure of the incident log or the store underneath has its own code.
    pub fn code(&self) -> &'static str {
        match self {
            AdvanceError::InvalidInput { .. } => "invalid_input",
            AdvanceError::Gpx(_) => "gpx",
            AdvanceError::GeoJson(_) => "geojson",
            AdvanceError::WrongGeometry { .. } => "wrong_geometry",
            AdvanceError::EmptyRoute => "empty_route",
            AdvanceError::TooLarge { .. } => "too_large",
            AdvanceError::Template { .. } => "template",
            AdvanceError::WrongAnswerKind { .. } => "wrong_answer_kind",
            AdvanceError::UnknownItem { .. } => "unknown_item",
            AdvanceError::RequiredUnanswered { .. } => "required_unanswered",
            AdvanceError::WrongWalkState { .. } => "wrong_walk_state",
            AdvanceError::SnapshotInvalid(_) => "snapshot_invalid",
            AdvanceError::NotFound { .. } => "not_found",
            AdvanceError::AlreadyExists { .. } => "already_exists",
            AdvanceError::Incident(e) => e.code(),
            AdvanceError::Store(e) => e.code(),
        }
    }
}

impl SyncError {
    /// A store failure underneath has the store's code.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::AlreadyEnrolled => "already_enrolled",
            SyncError::EnrollmentRefused { .. } => "enrollment_refused",
            SyncError::Revoked => "revoked",
            SyncError::Unauthorized { .. } => "unauthorized",
            SyncError::ClockSkew => "clock_skew",
            SyncError::SequenceGap { .. } => "sequence_gap",
            SyncError::Transient { .. } => "transient",
            SyncError::Protocol(_) => "protocol",
            SyncError::AlreadyRunning => "already_running",
            SyncError::InvalidUrl => "invalid_url",
            SyncError::InvalidPin { .. } => "invalid_pin",
            SyncError::Store(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_store_failure_keeps_the_store_code_and_codes_are_snake_case() {
        let sync = [
            SyncError::NotEnrolled,
            SyncError::Transient {
                reason: "x".into(),
                next_attempt_ms: 1,
            },
            SyncError::Protocol("x".into()),
            SyncError::InvalidPin { reason: "x".into() },
            SyncError::Store(StoreError::Locked),
        ];
        let codes: Vec<&str> = sync.iter().map(SyncError::code).collect();
        assert_eq!(
            codes,
            [
                "not_enrolled",
                "transient",
                "protocol",
                "invalid_pin",
                "locked"
            ]
        );
        assert_eq!(
            IncidentError::Store(StoreError::DiskFull).code(),
            StoreError::DiskFull.code()
        );
        assert_eq!(
            AdvanceError::Incident(IncidentError::UnknownIncident).code(),
            "unknown_incident"
        );
        for c in codes {
            assert!(c.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{c}");
        }
    }
}
