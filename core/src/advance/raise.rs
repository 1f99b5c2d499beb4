//! "Raise an incident from this item": turns a checklist answer into an incident report
//! in the tamper-evident log. The report carries the item's label and section, the
//! officer's note, the answer's position fix, the walk and its venue or route, and the
//! answer's photos (by attachment id, which must be sealed in this store).
//!
//! The incident is a new, independent entry of the incident log: raising twice makes two
//! incidents, and later answers to the item do not change it (amend the incident instead).

use chrono::{DateTime, Utc};

use super::error::{AdvanceError, AdvanceResult};
use super::walk::{incident_seed_from_item, IncidentSeed};
use crate::incident::{
    Category, IncidentLog, Location, LocationSource, OccurredAt, Report, Severity,
};
use crate::vault::Vault;

/// The tag every incident raised from a checklist carries.
pub const RAISED_TAG: &str = "checklist";
/// The extra tag when the item was answered as an issue.
pub const ISSUE_TAG: &str = "checklist-issue";

/// What to raise: which item of which walk, and how the officer classes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaiseIncident {
    pub walk_id: String,
    pub item_id: String,
    pub category: Category,
    /// `None` until assessed, as for any report.
    pub severity: Option<Severity>,
}

/// Builds the report for an answered item (pure: reads nothing, writes nothing). Photo
/// ids are resolved by [`raise_incident_from_item`]; here `attachments` is empty.
pub fn report_from_seed(
    seed: &IncidentSeed,
    category: Category,
    severity: Option<Severity>,
) -> AdvanceResult<Report> {
    let utc = i64::try_from(seed.observed_at_ms)
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .ok_or_else(|| AdvanceError::invalid("answered_at_ms", "not a representable time"))?;
    let mut narrative = format!(
        "Raised from checklist item \"{}\" (section \"{}\") of walk {} (template {}).",
        seed.item_label, seed.section_title, seed.walk_id, seed.template_id
    );
    if !seed.note.is_empty() {
        narrative.push_str("\n\n");
        narrative.push_str(&seed.note);
    }
    let mut tags = vec![RAISED_TAG.to_string()];
    if seed.is_issue {
        tags.push(ISSUE_TAG.to_string());
    }
    Ok(Report {
        occurred: OccurredAt {
            utc,
            offset_minutes: 0,
            zone: None,
        },
        category,
        severity,
        // The checklist does not record where a fix came from; it was entered with the
        // answer, so it is recorded as manual.
        location: seed.position.map(|p| Location {
            latitude: p.lat,
            longitude: p.lon,
            accuracy_m: None,
            source: LocationSource::Manual,
        }),
        narrative,
        people: vec![],
        vehicles: vec![],
        actions_taken: vec![],
        police_reference: None,
        witnesses: vec![],
        tags,
        venue_id: seed.venue_id.clone(),
        route_id: seed.route_id.clone(),
        officer: Some(seed.officer.clone()),
        attachments: vec![],
    })
}

/// Raises an incident from an answered checklist item and returns the incident id.
///
/// Refused (and nothing logged) when the walk or item is unknown, the item has no answer
/// yet, or a photo id of the answer is not an attachment sealed in this store.
pub fn raise_incident_from_item(vault: &mut Vault, req: &RaiseIncident) -> AdvanceResult<String> {
    let seed = incident_seed_from_item(vault.db()?, &req.walk_id, &req.item_id)?;
    let mut report = report_from_seed(&seed, req.category, req.severity)?;
    let mut log = IncidentLog::with_officer(vault, Some(seed.officer.clone()))?;
    let mut seen = std::collections::HashSet::new();
    for (i, id) in seed.photos.iter().enumerate() {
        if !seen.insert(id.as_str()) {
            continue;
        }
        let r = log.attachment_ref(id).map_err(|e| match e {
            crate::incident::IncidentError::UnknownAttachment => AdvanceError::invalid(
                format!("photos[{i}]"),
                "not an attachment stored in this vault",
            ),
            other => other.into(),
        })?;
        report.attachments.push(r);
    }
    Ok(log.log(report)?.incident_id)
}
