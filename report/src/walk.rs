//! The advance report: the venue (exits, safe room, muster points, contacts), safe
//! havens with distances, each route's length and worst coverage gap, and the checklist
//! walk with every answer, note, issue and who answered and signed. The signed walk
//! snapshot is embedded as the associated file `walk-signoff.json`.

use chrono::{DateTime, Utc};
use vigil_core::advance::{AnswerValue, CheckState, VenuePointKind, WalkState, WalkSubject};

use super::frame::{self, utc};
use super::incidents::photo;
use super::page::{Attachment, Doc, BODY, SMALL};
use super::text::{Style, ALERT, INK, MUTED, OK};
use super::Relationship;
use super::{Fonts, ReportError, WalkReport};

fn kind_name(k: VenuePointKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn ms(t: u64) -> String {
    DateTime::<Utc>::from_timestamp_millis(t as i64)
        .map(utc)
        .unwrap_or_default()
}

fn value(v: &AnswerValue) -> String {
    match v {
        AnswerValue::Check { state } => match state {
            CheckState::Ok => "OK".into(),
            CheckState::Issue => "ISSUE".into(),
            CheckState::NotApplicable => "not applicable".into(),
        },
        AnswerValue::Text { text } => text.clone(),
        AnswerValue::Number { value } => format!("{value}"),
        AnswerValue::Choice { option } => option.clone(),
        AnswerValue::Location { position } => format!("{:.6}, {:.6}", position.lat, position.lon),
        AnswerValue::Photo { attachments } => {
            format!("{} photo(s): {}", attachments.len(), attachments.join(", "))
        }
        AnswerValue::Contact { contact } => {
            let mut s = contact.name.clone();
            if !contact.role.is_empty() {
                s.push_str(&format!(" ({})", contact.role));
            }
            if let Some(p) = &contact.phone {
                s.push_str(&format!(", {p}"));
            }
            if let Some(e) = &contact.email {
                s.push_str(&format!(", {e}"));
            }
            s
        }
        AnswerValue::NotApplicable => "not applicable".into(),
    }
}

fn h2(doc: &mut Doc, s: &str) {
    doc.keep(50.0);
    doc.space(4.0);
    doc.text(
        s,
        Style {
            size: 10.5,
            bold: true,
            color: INK,
        },
        0.0,
    );
}

pub(crate) fn render(r: &WalkReport, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    let footer = match &r.signoff {
        Some(s) => format!("Signed walk snapshot SHA-256 {}", s.sha256),
        None => "This walk is not signed off: no signed snapshot".to_string(),
    };
    let mut doc = frame::open(fonts, &r.header, footer)?;
    let w = &r.walk;
    let subject = match &w.subject {
        WalkSubject::Venue { venue_id } => format!(
            "Venue: {}",
            r.venue
                .as_ref()
                .map(|v| v.name.clone())
                .unwrap_or_else(|| venue_id.clone())
        ),
        WalkSubject::Route { route_id } => format!(
            "Route: {}",
            r.routes
                .iter()
                .find(|x| &x.id == route_id)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| route_id.clone())
        ),
        WalkSubject::Other { label } => label.clone(),
    };
    doc.field("Subject", &subject);

    // The verdict first: signed or not, and the issues.
    let issues = w.issues();
    let progress = w.progress();
    doc.heading("Summary", 13.0);
    let (state, color) = match w.state {
        WalkState::SignedOff => ("SIGNED OFF", OK),
        WalkState::Completed => ("COMPLETED, NOT SIGNED OFF", ALERT),
        WalkState::InProgress => ("IN PROGRESS, NOT SIGNED OFF", ALERT),
    };
    doc.text(
        &format!("Checklist walk {state}"),
        Style {
            size: 10.5,
            bold: true,
            color,
        },
        0.0,
    );
    doc.field(
        "Answered",
        &format!(
            "{} of {} items ({} of {} required); {} issue(s)",
            progress.answered,
            progress.total,
            progress.required_answered,
            progress.required_total,
            progress.issues
        ),
    );
    if let Some(s) = &r.signoff {
        doc.field("Signed by device", &s.device_id);
        doc.hash_field("Device public key", &s.public_key);
        doc.hash_field("Snapshot SHA-256", &s.sha256);
        doc.hash_field("Signature", &s.signature);
    }
    if !issues.is_empty() {
        h2(&mut doc, &format!("Issues ({})", issues.len()));
        for i in &issues {
            doc.text(
                &format!(
                    "{} / {}: {}{}",
                    i.section_title,
                    i.label,
                    value(&i.answer.value),
                    if i.answer.note.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", i.answer.note)
                    }
                ),
                Style {
                    size: 10.0,
                    bold: false,
                    color: ALERT,
                },
                8.0,
            );
        }
    }

    if let Some(v) = &r.venue {
        doc.heading(&format!("Venue: {}", v.name), 13.0);
        doc.field("Address", v.address.as_deref().unwrap_or(""));
        if let Some(p) = &v.position {
            doc.field("Position", &format!("{:.6}, {:.6}", p.lat, p.lon));
        }
        let pick = |kinds: &[VenuePointKind]| -> String {
            v.points
                .iter()
                .filter(|p| kinds.contains(&p.kind))
                .map(|p| {
                    let mut s = format!("{} ({})", p.label, kind_name(p.kind));
                    if let Some(l) = &p.level {
                        s.push_str(&format!(", level {l}"));
                    }
                    if let Some(pos) = &p.position {
                        s.push_str(&format!(", {:.6}, {:.6}", pos.lat, pos.lon));
                    }
                    if !p.notes.is_empty() {
                        s.push_str(&format!(" — {}", p.notes));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        doc.field(
            "Exits",
            &pick(&[
                VenuePointKind::Entrance,
                VenuePointKind::Exit,
                VenuePointKind::EmergencyExit,
            ]),
        );
        doc.field("Safe room", &pick(&[VenuePointKind::SafeRoom]));
        doc.field("Muster points", &pick(&[VenuePointKind::MusterPoint]));
        doc.field(
            "Vehicles",
            &pick(&[
                VenuePointKind::VehicleDropOff,
                VenuePointKind::VehiclePickUp,
                VenuePointKind::Parking,
            ]),
        );
        doc.field(
            "Medical, control",
            &pick(&[
                VenuePointKind::MedicalKit,
                VenuePointKind::Aed,
                VenuePointKind::ControlRoom,
                VenuePointKind::Other,
            ]),
        );
        let contacts: Vec<String> = v
            .contacts
            .iter()
            .map(|c| {
                format!(
                    "{}{}{}{}",
                    c.name,
                    if c.role.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", c.role)
                    },
                    c.phone
                        .as_deref()
                        .map(|p| format!(", {p}"))
                        .unwrap_or_default(),
                    c.email
                        .as_deref()
                        .map(|e| format!(", {e}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        doc.field("Contacts", &contacts.join("\n"));
        if !v.notes.is_empty() {
            doc.field("Notes", &v.notes);
        }
    }

    doc.heading("Safe havens", 13.0);
    if r.havens.is_empty() {
        doc.text("No safe havens recorded.", BODY, 0.0);
    }
    for f in &r.havens {
        let h = &f.haven;
        let mut s = format!(
            "{:.1} km, bearing {:.0}° — {} ({})",
            f.distance_m / 1000.0,
            f.bearing_deg,
            h.name,
            h.kind.as_str()
        );
        if let Some(hi) = &h.hospital {
            s.push_str(if hi.emergency_department {
                ", emergency department (A&E)"
            } else {
                ", no emergency department"
            });
        }
        if let Some(p) = &h.phone {
            s.push_str(&format!(", {p}"));
        }
        if let Some(a) = &h.address {
            s.push_str(&format!(", {a}"));
        }
        doc.text(&s, BODY, 0.0);
    }
    doc.text(
        "Distances are straight-line from the venue (or the route's start), not driving distances.",
        SMALL,
        0.0,
    );

    if !r.routes.is_empty() {
        doc.heading("Routes", 13.0);
        for rt in &r.routes {
            doc.field(
                "Route",
                &format!(
                    "{} ({} route{})",
                    rt.name,
                    serde_json::to_value(rt.role)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    rt.journey
                        .as_deref()
                        .map(|j| format!(", journey {j}"))
                        .unwrap_or_default()
                ),
            );
            doc.field(
                "Length",
                &format!("{:.1} km, {} named points", rt.length_m / 1000.0, rt.points),
            );
            let gap = match &rt.coverage_gap {
                Some(g) => format!(
                    "{:.1} km from the nearest A&E, {:.1} km along the route (at {:.5}, {:.5})",
                    g.distance_m / 1000.0,
                    g.along_m / 1000.0,
                    g.position.lat,
                    g.position.lon
                ),
                None => "no hospital with an emergency department recorded".into(),
            };
            doc.field("Worst coverage gap", &gap);
            doc.space(4.0);
        }
    }

    doc.heading(
        &format!(
            "Checklist: {} (version {})",
            w.template.title, w.template.version
        ),
        13.0,
    );
    doc.field(
        "Started",
        &format!("{} by {}", ms(w.started.physical_ms), w.started_by),
    );
    if let Some(c) = &w.completed {
        doc.field(
            "Completed",
            &format!(
                "{} by {}",
                ms(c.physical_ms),
                w.completed_by.as_deref().unwrap_or("")
            ),
        );
    }
    for section in &w.template.sections {
        h2(&mut doc, &section.title);
        for item in &section.items {
            let answer = w.answer(&item.id);
            let (line, color) = match answer {
                None => (
                    format!(
                        "{}: not answered{}",
                        item.label,
                        if item.required { " (required)" } else { "" }
                    ),
                    MUTED,
                ),
                Some(a) => (
                    format!("{}: {}", item.label, value(&a.value)),
                    if a.issue
                        || matches!(
                            a.value,
                            AnswerValue::Check {
                                state: CheckState::Issue
                            }
                        )
                    {
                        ALERT
                    } else {
                        INK
                    },
                ),
            };
            doc.text(
                &line,
                Style {
                    size: 10.0,
                    bold: false,
                    color,
                },
                8.0,
            );
            if let Some(a) = answer {
                if !a.note.is_empty() {
                    doc.text(&format!("Note: {}", a.note), BODY, 20.0);
                }
                let mut meta = format!(
                    "{} — {} — device {}",
                    a.officer,
                    ms(a.answered_at_ms),
                    a.device_id
                );
                if let Some(p) = &a.position {
                    meta.push_str(&format!(" — at {:.6}, {:.6}", p.lat, p.lon));
                }
                if !a.photos.is_empty() {
                    meta.push_str(&format!(" — {} photo(s)", a.photos.len()));
                }
                doc.text(&meta, SMALL, 20.0);
                for id in &a.photos {
                    match r.photos.iter().find(|p| p.attachment.id == *id) {
                        Some(p) => photo(&mut doc, p, 20.0, 160.0, 120.0),
                        None => doc.text(
                            &format!("Photo {id} (not in this store: no thumbnail)"),
                            SMALL,
                            20.0,
                        ),
                    }
                }
            }
        }
    }
    let attachment = r.signoff.as_ref().map(|s| Attachment {
        name: "walk-signoff.json".into(),
        mime: "application/json".into(),
        relationship: Relationship::Source,
        description:
            "Signed checklist walk snapshot (vigil.walk-snapshot/1): the proof of this report"
                .into(),
        data: serde_json::to_vec(s).unwrap_or_default(),
    });
    frame::close(doc, &r.header, attachment)
}
