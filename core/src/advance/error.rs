//! The advance module's one error enum. Messages name the problem (which field, which
//! item, which geometry type); they never carry coordinates, names, notes or other
//! values an officer typed, so they are safe to log and to show in a crash report.

use thiserror::Error;

use crate::error::StoreError;

/// Crosses the FFI as it is (Kotlin `AdvanceException`, Swift `AdvanceError`), with its `code()`
/// (core/src/codes.rs; a failure underneath keeps its own code) and its message.
#[derive(Debug, Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum AdvanceError {
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    #[error("GPX file not readable: {0}")]
    Gpx(String),
    #[error("GeoJSON not readable: {0}")]
    GeoJson(String),
    #[error("wrong geometry: expected {expected}, found {found}")]
    WrongGeometry { expected: String, found: String },
    #[error("the route has fewer than two positions")]
    EmptyRoute,
    /// An input beyond one of the documented limits (`interchange::limits`, the template
    /// limits): refused before anything is stored.
    #[error("too large: {what} above the limit of {limit}")]
    TooLarge { what: String, limit: u64 },
    #[error("checklist template {path}: {reason}")]
    Template { path: String, reason: String },
    #[error("item {item} takes a {expected} answer")]
    WrongAnswerKind { item: String, expected: String },
    #[error("unknown item {item} in this checklist")]
    UnknownItem { item: String },
    #[error("the walk cannot be completed: required items unanswered: {}", missing.join(", "))]
    RequiredUnanswered { missing: Vec<String> },
    #[error("the walk is {state}: {action} is not possible")]
    WrongWalkState { state: String, action: String },
    #[error("the signed snapshot does not verify: {0}")]
    SnapshotInvalid(String),
    #[error("no {what} with this id")]
    NotFound { what: String },
    #[error("{what} with this id already exists")]
    AlreadyExists { what: String },
    /// The incident log refused an incident raised from a checklist item.
    #[error("incident log: {0}")]
    Incident(#[from] crate::incident::IncidentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdvanceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        AdvanceError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn template(path: impl Into<String>, reason: impl Into<String>) -> Self {
        AdvanceError::Template {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl From<rusqlite::Error> for AdvanceError {
    fn from(e: rusqlite::Error) -> Self {
        AdvanceError::Store(StoreError::from(e))
    }
}

impl From<serde_json::Error> for AdvanceError {
    fn from(e: serde_json::Error) -> Self {
        AdvanceError::Store(StoreError::from(e))
    }
}

pub type AdvanceResult<T> = Result<T, AdvanceError>;

/// Runs a store write whose closure speaks [`AdvanceError`]: the domain error is carried
/// out of the transaction (which rolls back) and returned as it was.
pub(crate) fn write<T>(
    db: &mut crate::store::Database,
    f: impl FnOnce(&mut crate::store::Writer<'_>) -> AdvanceResult<T>,
) -> AdvanceResult<T> {
    let mut domain: Option<AdvanceError> = None;
    let out = db.write(|w| {
        f(w).map_err(|e| match e {
            AdvanceError::Store(s) => s,
            other => {
                domain = Some(other);
                // Any error rolls the transaction back; the real one is returned below.
                StoreError::invalid("advance", "rolled back")
            }
        })
    });
    out.map_err(|e| domain.take().unwrap_or(AdvanceError::Store(e)))
}
