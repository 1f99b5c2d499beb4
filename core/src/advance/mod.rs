//! Advance work: venues with their exits and safe rooms, safe havens (A&E hospitals,
//! police, embassies), routes with alternates and their analytics, checklist templates
//! and the walks officers make with them on site.
//!
//! Every change goes through [`crate::store::Database::write`] and leaves an outbox entry
//! in the same transaction. Functions take the database (`&Database` to read,
//! `&mut Database` to write) and plain records, so the FFI and CLI layers stay thin.

pub mod error;
pub(crate) mod fields;
pub mod geometry;
pub mod haven;
pub mod interchange;
pub mod merge;
pub mod raise;
pub(crate) mod remote;
pub mod route;
pub mod summary;
pub mod template;
pub mod venue;
pub mod walk;

pub use error::{AdvanceError, AdvanceResult};
pub use geometry::{LineFix, Position};
pub use haven::{HavenFilter, HavenFix, HavenKind, HospitalInfo, SafeHaven, SafeHavenInput};
pub use merge::{apply_remote_answers, merge_answer, merge_answers, AnswerRecord, ApplyReport};
pub use raise::{raise_incident_from_item, RaiseIncident};
pub use route::{
    CorridorHaven, CoverageGap, OffRoute, Progress, Route, RouteInput, RoutePoint, RoutePointKind,
    RouteRole, RouteThresholds,
};
pub use summary::{Bounds, RouteSummary};
pub use template::{
    builtin_templates, ChecklistTemplate, ItemKind, Section, TemplateItem, TemplateKind,
};
pub use venue::{Contact, Venue, VenueInput, VenuePoint, VenuePointKind};
pub use walk::{
    Answer, AnswerInput, AnswerValue, CheckState, IncidentSeed, SignedSnapshot, Walk, WalkIssue,
    WalkProgress, WalkState, WalkSubject,
};

/// The record stored as JSON in the first column of the one row `sql` selects for `id`
/// (venues, havens, routes); `NotFound { what }` when there is none.
pub(crate) fn stored_doc<T: serde::de::DeserializeOwned>(
    db: &crate::store::Database,
    sql: &str,
    id: &str,
    what: &str,
) -> AdvanceResult<T> {
    use rusqlite::OptionalExtension;
    let doc: Option<String> = db.conn().query_row(sql, [id], |r| r.get(0)).optional()?;
    let doc = doc.ok_or_else(|| AdvanceError::NotFound { what: what.into() })?;
    Ok(serde_json::from_str(&doc)?)
}

/// The records stored as JSON in the first column of the rows `sql` selects with
/// `params`, in their order.
pub(crate) fn stored_docs<T: serde::de::DeserializeOwned, P: rusqlite::Params>(
    db: &crate::store::Database,
    sql: &str,
    params: P,
) -> AdvanceResult<Vec<T>> {
    let mut stmt = db.conn().prepare(sql)?;
    let docs = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for d in docs {
        out.push(serde_json::from_str(&d?)?);
    }
    Ok(out)
}

/// A new record id: UUID v7, so ids sort by creation time.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Refuses blank required text and over-long text; returns it trimmed.
pub(crate) fn required_text(value: &str, field: &str, max: usize) -> AdvanceResult<String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(AdvanceError::invalid(field, "must not be blank"));
    }
    optional_text(t, field, max)
}

pub(crate) fn optional_text(value: &str, field: &str, max: usize) -> AdvanceResult<String> {
    if value.chars().count() > max {
        return Err(AdvanceError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(value.trim().to_string())
}

/// Optional text: over-long refused, blank (after trimming) becomes `None`.
pub(crate) fn opt_text(
    v: &Option<String>,
    field: &str,
    max: usize,
) -> AdvanceResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(s) => {
            let t = optional_text(s, field, max)?;
            Ok(if t.is_empty() { None } else { Some(t) })
        }
    }
}

/// Ids chosen by the caller must be short and printable.
pub(crate) fn check_id(id: &str, field: &str) -> AdvanceResult<()> {
    if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(AdvanceError::invalid(
            field,
            "must be 1 to 128 characters without spaces",
        ));
    }
    Ok(())
}

pub(crate) const NAME_MAX: usize = 200;
pub(crate) const NOTE_MAX: usize = 10_000;
