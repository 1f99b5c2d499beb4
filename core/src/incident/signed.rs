//! The attachments an incident's signed entries reference, read from the entries
//! themselves (not from the attachment table), each entry's hash and signature checked
//! on the way: what leaves the store is held to what was signed.

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::canonical::{link_hash, EntryBody};
use super::chain::registered_key;
use super::chain::{self, StoredEntry};
use super::error::{IncidentError, IncidentResult};
use super::model::AttachmentRef;
use crate::crypto::signing;

/// An attachment as an incident's signed entries reference it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SignedAttachment {
    /// Id, SHA-256 and size of the plaintext, type, capture time: as signed.
    pub attachment: AttachmentRef,
    /// The first entry that referenced it, and the device that signed that entry.
    pub entry_id: String,
    pub device_id: String,
    /// Still in the incident's current view (a later amendment may have dropped it; it
    /// stays part of the history).
    pub current: bool,
    /// Its sealed file is in this store (a teammate's may not have been downloaded yet).
    pub available: bool,
}

fn refs(body: &EntryBody) -> &[AttachmentRef] {
    if let Some(r) = &body.report {
        return &r.attachments;
    }
    body.amendment
        .as_ref()
        .and_then(|a| a.patch.attachments.as_deref())
        .unwrap_or(&[])
}

/// The entry's hash recomputed from its stored bytes and its signature checked under
/// its device's key (this store's own, or the registered key of a teammate's device).
fn entry_holds(conn: &Connection, own: (&str, &[u8]), e: &StoredEntry) -> IncidentResult<bool> {
    let key = if e.device_id == own.0 {
        own.1.to_vec()
    } else {
        match registered_key(conn, &e.device_id)? {
            Some(k) => k,
            None => return Ok(false),
        }
    };
    let Ok(prev) = <[u8; 32]>::try_from(e.prev_hash.as_slice()) else {
        return Ok(false);
    };
    let hash = link_hash(
        e.seq,
        &prev,
        &e.device_id,
        &e.entry_id,
        &e.incident_id,
        &e.body,
    );
    Ok(hash.as_slice() == e.hash.as_slice() && signing::verify(&key, &hash, &e.signature))
}

/// Every attachment the entries of `incident_id` reference, in the order first
/// referenced. An entry that does not hold (edited body, bad signature) is an error:
/// nothing is read out on its word.
pub(crate) fn of_incident(
    conn: &Connection,
    own: (&str, &[u8]),
    incident_id: &str,
) -> IncidentResult<Vec<SignedAttachment>> {
    let entries = chain::of_incident(conn, incident_id)?;
    if entries.is_empty() {
        return Err(IncidentError::UnknownIncident);
    }
    let mut out: Vec<SignedAttachment> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for (e, body) in &entries {
        let list = refs(body);
        let changes_list = body.report.is_some()
            || body
                .amendment
                .as_ref()
                .is_some_and(|a| a.patch.attachments.is_some());
        if list.is_empty() && !changes_list {
            continue;
        }
        if !entry_holds(conn, own, e)? {
            return Err(IncidentError::AttachmentCorrupt);
        }
        if changes_list {
            current = list.iter().map(|r| r.id.clone()).collect();
        }
        for r in list {
            match out.iter().find(|s| s.attachment.id == r.id) {
                // One id, one content: two entries naming different bytes for it is a
                // forgery the store refuses to pass on.
                Some(s) if s.attachment != *r => return Err(IncidentError::AttachmentCorrupt),
                Some(_) => {}
                None => out.push(SignedAttachment {
                    attachment: r.clone(),
                    entry_id: e.entry_id.clone(),
                    device_id: e.device_id.clone(),
                    current: false,
                    available: false,
                }),
            }
        }
    }
    for s in &mut out {
        s.current = current.contains(&s.attachment.id);
        s.available = conn
            .prepare_cached("SELECT available FROM incident_attachments WHERE id = ?1")?
            .query_row([&s.attachment.id], |r| r.get::<_, bool>(0))
            .optional()?
            .unwrap_or(false);
    }
    Ok(out)
}
