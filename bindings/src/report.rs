//! PDF/A-3b reports for the apps (docs/EVIDENCE.md, "Reports"): made on the phone,
//! offline, from its own store. The app passes the font files it ships (the core builds
//! no font in); for each character the first font that has it is used, so put a Latin
//! text face first, then Arabic, CJK and other faces the team's names need.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use vigil_report::{Fonts, ReportError};

use vigil_core::IncidentError;

use crate::incident::from_millis;
use crate::vault::Vault;

/// The report crate's failures, told as the incident log's error (a report is made from
/// the log; Kotlin `IncidentException`, by code): the one mapping of `ReportError`.
fn map(e: ReportError) -> IncidentError {
    match e {
        ReportError::Incident(e) => e,
        ReportError::NoFonts => IncidentError::invalid("fonts", "no usable font"),
        ReportError::FontIo(kind) => {
            IncidentError::invalid("fonts", format!("a font file could not be read ({kind})"))
        }
        ReportError::Store(e) => IncidentError::Store(e),
        ReportError::Advance(e) => IncidentError::invalid("walk", e.to_string()),
        other => IncidentError::Bundle(other.to_string()),
    }
}

fn millis(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, IncidentError> {
    ms.map(|m| from_millis("time", m)).transpose()
}

fn write(path: &str, pdf: &[u8]) -> Result<(), IncidentError> {
    vigil_core::files::write_new(Path::new(path), |w| w.write_all(pdf), |e| e)
        .map_err(|e| IncidentError::ExportIo(e.kind()))
}

/// Writes the incident report to a new file at `path` (0600): the incidents given (all
/// that occurred in `[since, until)` when none), their history and photos, the
/// verification block, and the signed bundle embedded. Blocking.
#[allow(clippy::too_many_arguments)]
#[uniffi::export]
pub fn render_incident_report(
    vault: Arc<Vault>,
    path: String,
    font_files: Vec<Vec<u8>>,
    since_millis: Option<i64>,
    until_millis: Option<i64>,
    incidents: Vec<String>,
    team: Option<String>,
    officer: Option<String>,
) -> Result<(), IncidentError> {
    let (since, until) = (millis(since_millis)?, millis(until_millis)?);
    let mut v = vault.guard();
    let mut r =
        vigil_report::incidents_from_vault(&mut v, since, until, &incidents).map_err(map)?;
    drop(v);
    r.header.team = team;
    r.header.officer = officer;
    let pdf = vigil_report::render_incidents(&r, &Fonts::from_bytes(font_files)).map_err(map)?;
    write(&path, &pdf)
}

/// Writes the advance report of walk `walk_id` to a new file at `path` (0600), the
/// signed walk snapshot embedded. Blocking.
#[uniffi::export]
pub fn render_walk_report(
    vault: Arc<Vault>,
    walk_id: String,
    path: String,
    font_files: Vec<Vec<u8>>,
    team: Option<String>,
    officer: Option<String>,
) -> Result<(), IncidentError> {
    let mut v = vault.guard();
    let mut r = vigil_report::walk_from_vault(&mut v, &walk_id).map_err(map)?;
    drop(v);
    r.header.team = team;
    r.header.officer = officer;
    let pdf = vigil_report::render_walk(&r, &Fonts::from_bytes(font_files)).map_err(map)?;
    write(&path, &pdf)
}
