//! The public error of advance work. Kotlin: `AdvanceException`. Messages name the
//! problem (field, item id, geometry type), never coordinates, names or notes.

use vigil_core::advance::AdvanceError as Core;
use vigil_core::incident::IncidentError;
use vigil_core::StoreError as CoreStore;

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum AdvanceError {
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// The GPX file could not be read (not XML, not GPX, truncated).
    #[error("GPX file not readable: {reason}")]
    Gpx { reason: String },
    #[error("GeoJSON not readable: {reason}")]
    GeoJson { reason: String },
    #[error("wrong geometry: expected {expected}, found {found}")]
    WrongGeometry { expected: String, found: String },
    #[error("the route has fewer than two positions")]
    EmptyRoute,
    /// An input beyond a documented limit (file size, positions, template items).
    #[error("too large: {what} above the limit of {limit}")]
    TooLarge { what: String, limit: u64 },
    /// A checklist template was refused; `path` names where (`sections[1].items[3].kind`).
    #[error("checklist template {path}: {reason}")]
    Template { path: String, reason: String },
    #[error("item {item} takes a {expected} answer")]
    WrongAnswerKind { item: String, expected: String },
    #[error("unknown item {item} in this checklist")]
    UnknownItem { item: String },
    #[error("required items unanswered: {}", missing.join(", "))]
    RequiredUnanswered { missing: Vec<String> },
    #[error("the walk is {state}: {action} is not possible")]
    WrongWalkState { state: String, action: String },
    #[error("the signed snapshot does not verify: {reason}")]
    SnapshotInvalid { reason: String },
    #[error("no {what} with this id")]
    NotFound { what: String },
    #[error("{what} with this id already exists")]
    AlreadyExists { what: String },
    /// The incident log refused an incident raised from a checklist item.
    #[error("incident log: {reason}")]
    Incident { reason: String },
    #[error("the store is locked")]
    Locked,
    /// Any other store failure (corrupt database, file system); see `StoreException`
    /// for the store's own calls.
    #[error("store error: {reason}")]
    Store { reason: String },
}

impl From<CoreStore> for AdvanceError {
    fn from(e: CoreStore) -> Self {
        match e {
            CoreStore::Locked => AdvanceError::Locked,
            CoreStore::InvalidInput { field, reason } => {
                AdvanceError::InvalidInput { field, reason }
            }
            other => AdvanceError::Store {
                // The public store error's message is the vetted, content-free one.
                reason: crate::error::StoreError::from(other).to_string(),
            },
        }
    }
}

impl From<Core> for AdvanceError {
    fn from(e: Core) -> Self {
        match e {
            Core::InvalidInput { field, reason } => AdvanceError::InvalidInput { field, reason },
            Core::Gpx(reason) => AdvanceError::Gpx { reason },
            Core::GeoJson(reason) => AdvanceError::GeoJson { reason },
            Core::WrongGeometry { expected, found } => AdvanceError::WrongGeometry {
                expected: expected.to_string(),
                found,
            },
            Core::EmptyRoute => AdvanceError::EmptyRoute,
            Core::TooLarge { what, limit } => AdvanceError::TooLarge {
                what: what.to_string(),
                limit,
            },
            Core::Template { path, reason } => AdvanceError::Template { path, reason },
            Core::WrongAnswerKind { item, expected } => AdvanceError::WrongAnswerKind {
                item,
                expected: expected.to_string(),
            },
            Core::UnknownItem { item } => AdvanceError::UnknownItem { item },
            Core::RequiredUnanswered { missing } => AdvanceError::RequiredUnanswered { missing },
            Core::WrongWalkState { state, action } => AdvanceError::WrongWalkState {
                state: state.to_string(),
                action: action.to_string(),
            },
            Core::SnapshotInvalid(reason) => AdvanceError::SnapshotInvalid {
                reason: reason.to_string(),
            },
            Core::NotFound { what } => AdvanceError::NotFound {
                what: what.to_string(),
            },
            Core::AlreadyExists { what } => AdvanceError::AlreadyExists {
                what: what.to_string(),
            },
            Core::Incident(IncidentError::Store(s)) => s.into(),
            Core::Incident(e) => AdvanceError::Incident {
                reason: e.to_string(),
            },
            Core::Store(s) => s.into(),
        }
    }
}
