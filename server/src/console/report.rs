//! The PDF incident report of a selection (crate `vigil-report`, the renderer the CLI and
//! the phones use), filled from the console's view of the team: every incident with its
//! whole signed history (each entry's hash, previous hash, signature, signed body and the
//! device's enrolled key), the photos as thumbnails (opened here and checked against the
//! signed SHA-256), and the anchored head and a fresh server receipt when the selection
//! comes from one device. The report embeds, as its PDF/A-3 associated file
//! `console-export.json`, the console's JSON export of the same selection (export.rs:
//! the signed entries, each device's key and anchored head, fresh receipts), made at the
//! same instant as the report.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use vigil_core::incident::canonical::EntryBody;
use vigil_core::incident::{HistoryEntry, IncidentView as CoreView};
use vigil_report::{
    Embedded, Fonts, Header, IncidentReport, IncidentSection, Photo, Relationship, Verification,
};

use super::files::{self, Opened};
use super::session::Current;
use super::view::{Filter, IncidentView};
use super::ConsoleState;
use crate::error::ServerError;

/// Photos larger than this are listed by hash only (as the CLI's report does).
const MAX_THUMBNAIL_SOURCE: u64 = 16 * 1024 * 1024;

/// The system's fonts, read once (the first report) and kept.
static FONTS: OnceLock<Fonts> = OnceLock::new();

fn fonts() -> Result<&'static Fonts, ServerError> {
    if let Some(f) = FONTS.get() {
        return Ok(f);
    }
    let f = Fonts::system().map_err(|e| ServerError::Storage(format!("PDF report: {e}")))?;
    Ok(FONTS.get_or_init(|| f))
}

/// The report of the incidents `filter` selects, as PDF/A-3b bytes, and how many.
pub(crate) fn incidents_pdf(
    s: &ConsoleState,
    cur: &Current,
    filter: &Filter,
) -> Result<(usize, Vec<u8>), ServerError> {
    let storage = s.ctx.storage.as_ref();
    let view = s.views.get(storage, &cur.team.id)?;
    let selected = view.filtered(filter);
    // The report and its embedded export are made at the same instant.
    let now_ms = s.ctx.now_ms();
    let (_, export) = super::export::incidents_json(s, cur, filter, now_ms)?;
    let mut sections = Vec::with_capacity(selected.len());
    let mut devices = BTreeSet::new();
    let mut entries = 0u64;
    for i in &selected {
        let mut keys = std::collections::HashMap::new();
        for e in &i.entries {
            if !keys.contains_key(&e.device_id) {
                let key = storage
                    .device(&e.device_id)?
                    .map(|d| d.public_key)
                    .unwrap_or_default();
                keys.insert(e.device_id.clone(), key);
            }
            devices.insert(e.device_id.clone());
        }
        entries += i.entries.len() as u64;
        let mut photos = Vec::new();
        for a in &i.report.attachments {
            let thumb =
                (a.mime == "image/jpeg" || a.mime == "image/png") && a.size <= MAX_THUMBNAIL_SOURCE;
            let bytes = if thumb {
                match files::open(storage, &cur.team.id, &view, &a.id) {
                    Ok(Opened::File(_, plain)) => Some(plain.to_vec()),
                    // Not uploaded, too large or refused: the hash only.
                    Ok(_) | Err(ServerError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            photos.push(Photo {
                attachment: a.clone(),
                bytes,
            });
        }
        sections.push(IncidentSection {
            view: core_view(i, &keys),
            photos,
        });
    }
    let server_key = s.ctx.server_key()?;
    // One reporting device: its anchored head and a receipt signed now. Several: each
    // has its own chain; the JSON export carries every head and receipt.
    let (head_seq, head_hash, receipt) = match devices.iter().next() {
        Some(id) if devices.len() == 1 => {
            let d = storage.device(id)?;
            match (d, storage.chain_head(id)?) {
                (Some(d), Some(h)) => (h.seq, hex::encode(h.hash), Some(h.receipt(&d, server_key))),
                _ => (0, String::new(), None),
            }
        }
        _ => (
            0,
            format!("{} devices: see the JSON export", devices.len()),
            None,
        ),
    };
    let day = |d: &str| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    };
    let report = IncidentReport {
        header: Header {
            title: "Incident report".into(),
            team: Some(cur.team.name.clone()),
            device_id: None,
            officer: (!filter.officer.is_empty()).then(|| filter.officer.clone()),
            period_from: day(&filter.from),
            // The filter's end date is inclusive; the report's end is exclusive.
            period_to: day(&filter.to).map(|t| t + chrono::Duration::days(1)),
            generated_at: DateTime::<Utc>::from_timestamp_millis(now_ms as i64)
                .unwrap_or_else(Utc::now),
        },
        incidents: sections,
        verification: Verification {
            // Every entry was verified when its device pushed it (signature under the
            // enrolled key, hash, link to the previous entry, no gap); the server stores
            // only entries that passed.
            chain_verified: true,
            entries_checked: entries,
            head_seq,
            head_hash,
            server_public_key: Some(hex::encode(server_key.public_key())),
            receipt,
        },
        embedded: Some(Embedded {
            name: "console-export.json".into(),
            mime: "application/json".into(),
            description: format!(
                "{}: the signed entries of this report's incidents, as their devices signed them, with each device's key, anchored head and a receipt of the team server",
                super::export::FORMAT
            ),
            relationship: Relationship::Source,
            note: format!(
                "The team server's export of this selection ({}) is embedded in this PDF as console-export.json (PDF/A-3 associated file): every entry of these incidents as its device signed it, each device's enrolled public key and anchored chain head, and a receipt the server signed when this report was made. Check each entry's hash and Ed25519 signature under its device's key as docs/INCIDENT_LOG.md describes, and the receipts under the server key above; compare the device keys with those the team server registered.",
                super::export::FORMAT
            ),
            data: export,
        }),
    };
    let pdf = vigil_report::render_incidents(&report, fonts()?)
        .map_err(|e| ServerError::Storage(format!("PDF report: {e}")))?;
    Ok((selected.len(), pdf))
}

/// The core's incident view (what the report renders) from the console's: every entry
/// with its proofs, decoded from the payload its device signed.
fn core_view(i: &IncidentView, keys: &std::collections::HashMap<String, Vec<u8>>) -> CoreView {
    let history: Vec<HistoryEntry> = i
        .entries
        .iter()
        .filter_map(|e| {
            let text = |k: &str| e.payload.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let hex_of = |k: &str| hex::decode(text(k)).unwrap_or_default();
            let body = text("body").as_bytes().to_vec();
            let decoded = EntryBody::decode(&body)?;
            Some(HistoryEntry {
                entry_id: decoded.entry_id,
                seq: e.seq,
                device_id: e.device_id.clone(),
                kind: decoded.kind,
                recorded_at: decoded.recorded_at,
                author: e.author.clone(),
                amends: decoded.amendment.as_ref().map(|a| a.amends.clone()),
                reason: decoded.amendment.as_ref().map(|a| a.reason.clone()),
                patch: decoded.amendment.map(|a| a.patch),
                report: decoded.report,
                prev_hash: hex_of("prev_hash"),
                hash: hex_of("hash"),
                signature: hex_of("signature"),
                body,
                device_public_key: keys.get(&e.device_id).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let recorded_at = history.first().map(|h| h.recorded_at).unwrap_or_default();
    let updated_at = history.last().map(|h| h.recorded_at).unwrap_or(recorded_at);
    CoreView {
        incident_id: i.id.clone(),
        device_id: i.device_id.clone(),
        recorded_at,
        updated_at,
        amendments: history.len().saturating_sub(1) as u32,
        current: i.report.clone(),
        history,
    }
}
