//! The incident report: header, verification block, then each incident with every
//! field, the full amendment history with reasons, and photo thumbnails with their
//! SHA-256. The proof the caller gives (a device's signed bundle, or the console's export)
//! is embedded as the associated file.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use vigil_core::incident::{HistoryEntry, OccurredAt, Report};

use super::frame::{self, utc};
use super::page::{Attachment, Doc, BODY, LABEL, SMALL};
use super::text::{Style, ALERT, INK, OK};
use super::thumbnail::{self, NoThumbnail};
use super::{Fonts, IncidentReport, IncidentSection, Photo, ReportError, Verification};

/// `YYYY-MM-DD HH:MM:SS` in the offset (and zone name) an incident was recorded in,
/// followed by the UTC time.
pub(crate) fn in_zone(t: DateTime<Utc>, offset_minutes: i32, zone: Option<&str>) -> String {
    let off = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(Utc.fix());
    let local = t.with_timezone(&off);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let m = offset_minutes.unsigned_abs();
    let zone = zone.map(|z| format!(", {z}")).unwrap_or_default();
    let in_utc = if local.date_naive() == t.date_naive() {
        t.format("%H:%M:%S UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    };
    format!(
        "{} (UTC{sign}{:02}:{:02}{zone}); {in_utc}",
        local.format("%Y-%m-%d %H:%M:%S"),
        m / 60,
        m % 60,
    )
}

/// `hostile_surveillance` as `hostile surveillance`.
fn words(s: &str) -> String {
    s.replace('_', " ")
}

/// `note`: what the embedded file is and how to check it (none without a file).
fn verification_block(doc: &mut Doc, v: &Verification, note: Option<&str>) {
    doc.heading("Verification", 13.0);
    let (verdict, color) = if v.chain_verified {
        (
            "CHAIN VERIFIED: every entry's hash and signature hold, nothing missing or reordered",
            OK,
        )
    } else {
        ("CHAIN DOES NOT VERIFY: treat this log as suspect", ALERT)
    };
    doc.text(
        verdict,
        Style {
            size: 10.5,
            bold: true,
            color,
        },
        0.0,
    );
    doc.space(3.0);
    doc.field("Entries checked", &v.entries_checked.to_string());
    doc.field("Head (last entry)", &format!("seq {}", v.head_seq));
    doc.hash_field("Head hash", &v.head_hash);
    match &v.receipt {
        Some(r) => {
            let at = DateTime::<Utc>::from_timestamp_millis(r.anchored_ms as i64)
                .map(utc)
                .unwrap_or_default();
            doc.field(
                "Anchored by the team server",
                &format!("seq {} at {at}; receipt version {}", r.seq, r.version()),
            );
            doc.hash_field("Anchored hash", &r.hash);
            doc.hash_field("Server key", v.server_public_key.as_deref().unwrap_or(""));
            doc.hash_field("Receipt signature", &r.signature);
        }
        None => doc.field("Anchored by the team server", "no receipt: not synced yet"),
    }
    if let Some(note) = note {
        doc.text(note, SMALL, 0.0);
    }
}

fn occurred(o: &OccurredAt) -> String {
    in_zone(o.utc, o.offset_minutes, o.zone.as_deref())
}

fn report_fields(doc: &mut Doc, r: &Report, recorded: DateTime<Utc>) {
    doc.field("Category", &words(r.category.as_str()));
    doc.field(
        "Severity",
        r.severity.map(|s| s.as_str()).unwrap_or("not assessed"),
    );
    doc.field("Occurred", &occurred(&r.occurred));
    doc.field(
        "Recorded",
        &in_zone(
            recorded,
            r.occurred.offset_minutes,
            r.occurred.zone.as_deref(),
        ),
    );
    let position = match &r.location {
        Some(l) => format!(
            "{:.6}, {:.6}{} ({})",
            l.latitude,
            l.longitude,
            l.accuracy_m
                .map(|a| format!(" ± {a:.0} m"))
                .unwrap_or_else(|| ", accuracy unknown".into()),
            l.source.as_str()
        ),
        None => "not recorded".into(),
    };
    doc.field("Position", &position);
    doc.field("Officer", r.officer.as_deref().unwrap_or(""));
    doc.field(
        "Police reference",
        r.police_reference.as_deref().unwrap_or(""),
    );
    doc.field("Venue", r.venue_id.as_deref().unwrap_or(""));
    doc.field("Route", r.route_id.as_deref().unwrap_or(""));
    doc.field("Tags", &r.tags.join(", "));
    doc.space(4.0);
    doc.text("Narrative", LABEL, 0.0);
    doc.text(
        if r.narrative.is_empty() {
            "—"
        } else {
            &r.narrative
        },
        BODY,
        0.0,
    );
    doc.space(4.0);
    let people: Vec<String> = r
        .people
        .iter()
        .map(|p| {
            let mut s = format!(
                "{}: {}",
                p.role.as_str(),
                p.name.as_deref().unwrap_or("(no name)")
            );
            if !p.description.is_empty() {
                s.push_str(&format!(" — {}", p.description));
            }
            if let Some(c) = &p.contact {
                s.push_str(&format!(" — contact {c}"));
            }
            s
        })
        .collect();
    doc.field("People", &people.join("\n"));
    let vehicles: Vec<String> = r
        .vehicles
        .iter()
        .map(|v| v.details().map(str::trim).collect::<Vec<_>>().join(", "))
        .collect();
    doc.field("Vehicles", &vehicles.join("\n"));
    doc.field("Actions taken", &r.actions_taken.join("\n"));
    doc.field("Witnesses", &r.witnesses.join("\n"));
}

/// What an amendment changed, field by field (its patch as written).
fn changes(h: &HistoryEntry) -> String {
    let Some(patch) = &h.patch else {
        return String::new();
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(patch) else {
        return String::new();
    };
    map.iter()
        .map(|(k, v)| match (k.as_str(), v) {
            ("attachments", serde_json::Value::Array(a)) => {
                format!("attachments: now {} file(s)", a.len())
            }
            (_, serde_json::Value::String(s)) => format!("{k}: {s}"),
            (_, serde_json::Value::Null) => format!("{k}: cleared"),
            _ => format!("{k}: {v}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn history(doc: &mut Doc, s: &IncidentSection) {
    doc.keep(60.0);
    doc.space(4.0);
    doc.text(
        &match s.view.history.len() {
            1 => "History (1 entry)".to_owned(),
            n => format!("History ({n} entries, oldest first)"),
        },
        Style {
            size: 10.5,
            bold: true,
            color: INK,
        },
        0.0,
    );
    let zone = (
        s.view.current.occurred.offset_minutes,
        s.view.current.occurred.zone.clone(),
    );
    for h in &s.view.history {
        let when = in_zone(h.recorded_at, zone.0, zone.1.as_deref());
        let who = h.author.as_deref().unwrap_or("no author");
        doc.keep(48.0);
        let title = match &h.reason {
            Some(_) => format!("Amendment — {when} — {who}"),
            None => format!("Report — {when} — {who}"),
        };
        doc.space(2.0);
        doc.text(
            &title,
            Style {
                size: 9.5,
                bold: true,
                color: INK,
            },
            8.0,
        );
        if let Some(reason) = &h.reason {
            doc.text(&format!("Reason: {reason}"), BODY, 8.0);
            let c = changes(h);
            if !c.is_empty() {
                doc.text(&format!("Changed:\n{c}"), BODY, 8.0);
            }
        }
        doc.text(
            &format!(
                "entry {}  device {}  seq {}\nhash {}",
                h.entry_id,
                h.device_id,
                h.seq,
                hex::encode(&h.hash)
            ),
            SMALL,
            8.0,
        );
    }
}

fn photos(doc: &mut Doc, s: &IncidentSection) {
    if s.photos.is_empty() {
        return;
    }
    // The heading stays with the first thumbnail.
    doc.keep(if s.photos[0].bytes.is_some() {
        200.0
    } else {
        60.0
    });
    doc.space(4.0);
    doc.text(
        &format!("Attachments ({})", s.photos.len()),
        Style {
            size: 10.5,
            bold: true,
            color: INK,
        },
        0.0,
    );
    for p in &s.photos {
        photo(doc, p, 8.0, 200.0, 150.0);
    }
}

/// A photo's thumbnail (downscaled, `w` x at most `max_h` points) and its line: type,
/// size, id and the SHA-256 of the original; or, without a thumbnail, the reason.
pub(crate) fn photo(doc: &mut Doc, p: &Photo, indent: f32, w: f32, max_h: f32) {
    let a = &p.attachment;
    let thumb = match &p.bytes {
        Some(b) => thumbnail::make(b),
        None => Err(NoThumbnail::NotAnImage),
    };
    let note = match thumb {
        Ok(jpeg) if doc.image(&jpeg, indent, w, max_h) => String::new(),
        Ok(_) => format!(" ({})", NoThumbnail::NotAnImage.note()),
        Err(why) => format!(" ({})", why.note()),
    };
    doc.text(
        &format!(
            "{} — {} bytes — attachment {}{note}\nSHA-256 {}",
            a.mime, a.size, a.id, a.sha256
        ),
        SMALL,
        indent,
    );
    doc.space(4.0);
}

pub(crate) fn render(r: &IncidentReport, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    let footer = format!(
        "Signed bundle head: seq {} hash {}",
        r.verification.head_seq, r.verification.head_hash
    );
    let mut doc = frame::open(fonts, &r.header, footer)?;
    verification_block(
        &mut doc,
        &r.verification,
        r.embedded.as_ref().map(|e| e.note.as_str()),
    );
    if r.incidents.is_empty() {
        doc.space(10.0);
        doc.text("No incidents in this period.", BODY, 0.0);
    }
    for (n, s) in r.incidents.iter().enumerate() {
        let c = &s.view.current;
        doc.heading(
            &format!(
                "Incident {} of {} — {} — {}",
                n + 1,
                r.incidents.len(),
                words(c.category.as_str()),
                c.severity.map(|s| s.as_str()).unwrap_or("not assessed")
            ),
            13.0,
        );
        doc.field("Incident ID", &s.view.incident_id);
        doc.field(
            "Amendments",
            &format!(
                "{} (current view below: the report with every amendment applied)",
                s.view.amendments
            ),
        );
        report_fields(&mut doc, c, s.view.recorded_at);
        history(&mut doc, s);
        photos(&mut doc, s);
    }
    let attachment = r.embedded.as_ref().map(|e| Attachment {
        name: e.name.clone(),
        mime: e.mime.clone(),
        description: e.description.clone(),
        relationship: e.relationship,
        data: e.data.clone(),
    });
    frame::close(doc, &r.header, attachment)
}
