//! Report input from a device's own store.

use chrono::{DateTime, Utc};
use vigil_core::advance::{self, HavenFilter, Position, WalkSubject};
use vigil_core::incident::{ExportScope, IncidentFilter, IncidentLog};
use vigil_core::Vault;

use super::{
    Embedded, Header, IncidentReport, IncidentSection, Photo, ReportError, Verification, WalkReport,
};

/// Photos larger than this are shown by their hash only (a thumbnail of a 40 MB image
/// would make the report as large).
const MAX_THUMBNAIL_SOURCE: u64 = 16 * 1024 * 1024;

fn header(v: &Vault, title: &str) -> Result<Header, ReportError> {
    Ok(Header {
        title: title.to_string(),
        team: None,
        device_id: Some(v.db()?.device_id().to_string()),
        officer: None,
        period_from: None,
        period_to: None,
        generated_at: Utc::now(),
    })
}

/// The incident report of this store: the incidents `ids`, or (none given) every
/// incident that occurred in `[from, to)`, newest first; the chain's verification and
/// the server receipt; and the signed bundle disclosing those of them this device
/// reported.
pub fn incidents_from_vault(
    vault: &mut Vault,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    ids: &[String],
) -> Result<IncidentReport, ReportError> {
    let mut header = header(vault, "Incident report")?;
    header.period_from = from;
    header.period_to = to;
    let own = vault.db()?.device_id().to_string();
    let log = IncidentLog::new(vault);
    let mut chosen: Vec<String> = ids.to_vec();
    if chosen.is_empty() {
        let filter = IncidentFilter {
            from,
            to,
            ..IncidentFilter::default()
        };
        log.each_page(&filter, |rows| {
            chosen.extend(rows.iter().map(|r| r.incident_id.clone()));
            Ok(())
        })?;
    }
    let mut incidents = Vec::new();
    for id in &chosen {
        let view = log.get(id)?;
        let mut photos = Vec::new();
        for s in log.attachments(id)? {
            let a = &s.attachment;
            let thumb = s.available
                && (a.mime == "image/jpeg" || a.mime == "image/png")
                && a.size <= MAX_THUMBNAIL_SOURCE;
            let bytes = if thumb {
                let mut buf = Vec::new();
                log.read_signed_attachment(id, &a.id, &mut buf)?;
                Some(buf)
            } else {
                None
            };
            photos.push(Photo {
                attachment: a.clone(),
                bytes,
            });
        }
        incidents.push(IncidentSection { view, photos });
    }
    let report = log.verify()?;
    let own_ids: Vec<String> = incidents
        .iter()
        .filter(|s| s.view.device_id == own)
        .map(|s| s.view.incident_id.clone())
        .collect();
    let receipt = log.server_receipt()?;
    let bundle = if report.ok {
        Some(log.export_bundle(&ExportScope::Incidents(own_ids))?)
    } else {
        None
    };
    Ok(IncidentReport {
        header,
        incidents,
        verification: Verification {
            chain_verified: report.ok,
            entries_checked: report.entries_checked,
            head_seq: report.head_seq,
            head_hash: report.head_hash,
            server_public_key: receipt.as_ref().map(|r| hex::encode(r.server_public_key)),
            receipt: receipt.map(|r| r.receipt),
        },
        embedded: bundle.map(Embedded::incident_bundle),
    })
}

/// The advance report of walk `walk_id`: its subject, the havens by distance, the
/// routes' summaries and the latest signed snapshot.
pub fn walk_from_vault(vault: &mut Vault, walk_id: &str) -> Result<WalkReport, ReportError> {
    let header = header(vault, "Advance report")?;
    let db = vault.db()?;
    let walk = advance::walk::get_walk(db, walk_id)?;
    let signoff = advance::walk::list_signoffs(db, walk_id)?.pop();
    let all_havens = advance::haven::list_havens(db, HavenFilter::Any)?;
    let mut venue = None;
    let mut routes = Vec::new();
    let mut origin: Option<Position> = None;
    match &walk.subject {
        WalkSubject::Venue { venue_id } => {
            let v = advance::venue::get_venue(db, venue_id)?;
            origin = v.position;
            venue = Some(v);
            // The advance of a venue covers the routes to and from it.
            for r in advance::route::list_routes(db)? {
                routes.push(advance::summary::summarize(&r, &all_havens)?);
            }
        }
        WalkSubject::Route { route_id } => {
            let r = advance::route::get_route(db, route_id)?;
            origin = r.line.first().copied();
            routes.push(advance::summary::summarize(&r, &all_havens)?);
        }
        WalkSubject::Other { .. } => {}
    }
    let mut havens: Vec<_> = match origin {
        Some(from) => all_havens
            .iter()
            .filter_map(|h| {
                advance::haven::nearest_in(std::slice::from_ref(h), from, HavenFilter::Any)
            })
            .collect(),
        None => Vec::new(),
    };
    havens.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    let mut ids: Vec<&String> = walk.answers.iter().flat_map(|a| &a.photos).collect();
    ids.sort();
    ids.dedup();
    let log = IncidentLog::new(vault);
    let mut photos = Vec::new();
    for id in ids {
        // A teammate's photo not downloaded yet is listed without a thumbnail.
        let Ok(attachment) = log.attachment_ref(id) else {
            continue;
        };
        let bytes = if (attachment.mime == "image/jpeg" || attachment.mime == "image/png")
            && attachment.size <= MAX_THUMBNAIL_SOURCE
        {
            let mut buf = Vec::new();
            log.read_attachment(id, &mut buf).ok().map(|_| buf)
        } else {
            None
        };
        photos.push(Photo { attachment, bytes });
    }
    Ok(WalkReport {
        header,
        walk,
        signoff,
        venue,
        havens,
        routes,
        photos,
    })
}
