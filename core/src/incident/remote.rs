//! Incident entries from the team's other devices. A pulled `incident.entry` is verified
//! against its author's registered key and against the author's chain as stored here
//! (sequence contiguous, `prev_hash` linking to the stored head) before it is stored; a
//! forged, edited or out-of-chain entry is refused and never stored. Stored remote entries
//! feed the same views and search as local ones.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;

use super::canonical::{entry_hash, EntryBody, EntryKind};
use super::chain::{self, OUTBOX_KIND_ENTRY};
use super::query;
use crate::crypto::signing;
use crate::store::now_ms;
use crate::sync::apply::{ApplyError, RemoteApplier};
use crate::sync::protocol::Change;

/// The outbox payload of `incident.entry` (see `chain::append`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryPayload {
    device_id: String,
    seq: u64,
    entry_id: String,
    prev_hash: String,
    hash: String,
    signature: String,
    body: String,
}

fn refuse(reason: &str) -> ApplyError {
    ApplyError::Invalid(reason.to_string())
}

/// The key registered for `device_id` (learned from an earlier pulled change), if any.
pub fn registered_key(
    conn: &rusqlite::Connection,
    device_id: &str,
) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT public_key FROM device_keys WHERE device_id = ?1",
        [device_id],
        |r| r.get(0),
    )
    .optional()
}

/// Registers the key a pulled change carries for its author, or checks it against the
/// one registered before. Returns the key to verify with.
pub fn learn_key(tx: &Transaction<'_>, change: &Change) -> Result<Vec<u8>, ApplyError> {
    let offered = match &change.public_key {
        None => None,
        Some(h) => {
            let k = hex::decode(h).map_err(|_| refuse("author key is not hex"))?;
            if k.len() != 32 {
                return Err(refuse("author key is not 32 bytes"));
            }
            Some(k)
        }
    };
    match (registered_key(tx, &change.device_id)?, offered) {
        (Some(known), Some(k)) if known != k => {
            Err(refuse("author key differs from the registered one"))
        }
        (Some(known), _) => Ok(known),
        (None, Some(k)) => {
            tx.execute(
                "INSERT INTO device_keys(device_id, public_key, first_seen_ms) VALUES (?1, ?2, ?3)",
                params![change.device_id, k, now_ms() as i64],
            )?;
            Ok(k)
        }
        (None, None) => Err(refuse("author key unknown")),
    }
}

fn hex32(s: &str, what: &str) -> Result<[u8; 32], ApplyError> {
    hex::decode(s)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| ApplyError::Invalid(format!("{what} is not 32 bytes of hex")))
}

/// Verifies and stores remote incident entries (`incident.entry`). Register it for the
/// `incident.` prefix; other incident kinds (attachment metadata) are kept in the inbox.
pub struct IncidentEntryApplier;

impl RemoteApplier for IncidentEntryApplier {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        if change.kind != OUTBOX_KIND_ENTRY {
            return Err(refuse("not an incident entry"));
        }
        let p: EntryPayload = serde_json::from_value(change.payload.clone())
            .map_err(|_| refuse("malformed incident entry"))?;
        if p.device_id != change.device_id {
            return Err(refuse("entry names another device than its sender"));
        }
        let key = learn_key(tx, change)?;
        let prev = hex32(&p.prev_hash, "prev_hash")?;
        let hash = hex32(&p.hash, "hash")?;
        let signature = hex::decode(&p.signature).map_err(|_| refuse("signature is not hex"))?;
        if signature.len() != 64 {
            return Err(refuse("signature is not 64 bytes"));
        }
        if p.seq == 0 {
            return Err(refuse("sequence number 0"));
        }
        let (head_seq, head_hash) = chain::head(tx, &p.device_id)?;
        if p.seq <= head_seq {
            // Delivered again (a resync from scratch): fine when it is the very entry stored.
            let stored: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT hash FROM incident_entries WHERE device_id = ?1 AND seq = ?2",
                    params![p.device_id, p.seq as i64],
                    |r| r.get(0),
                )
                .optional()?;
            return match stored {
                Some(h) if h == hash => Ok(()),
                _ => Err(refuse(
                    "conflicts with an entry already stored for this device",
                )),
            };
        }
        if p.seq != head_seq + 1 {
            return Err(ApplyError::Invalid(format!(
                "missing entries: expected sequence {} of this device",
                head_seq + 1
            )));
        }
        if prev != head_hash {
            return Err(refuse("does not follow the previous entry of this device"));
        }
        if !signing::verify(&key, &hash, &signature) {
            return Err(refuse("bad signature"));
        }
        let bytes = p.body.as_bytes();
        if entry_hash(p.seq, &prev, &p.device_id, bytes) != hash {
            return Err(refuse("body does not match the signed hash"));
        }
        let body =
            EntryBody::decode(bytes).ok_or_else(|| refuse("body is not a canonical entry"))?;
        if body.entry_id != p.entry_id || body.incident_id != change.entity_id {
            return Err(refuse("entry or incident id disagrees with the body"));
        }
        if chain::by_id(tx, &body.entry_id)?.is_some() {
            return Err(refuse("entry id already used"));
        }
        chain::store_link(
            tx,
            &chain::Link {
                device_id: &p.device_id,
                seq: p.seq,
                prev: &prev,
                hash: &hash,
                signature: &signature,
                body: &body,
                bytes,
            },
        )?;
        // The report may be missing here (it was refused): the entry is still stored, so
        // its author's chain continues; the view follows when a report exists.
        let has_report = body.kind == EntryKind::Report
            || chain::by_id(tx, &body.incident_id)?.is_some_and(|e| e.kind == "report");
        if has_report {
            query::refresh(tx, &body.incident_id, &body.entry_id)?;
        }
        Ok(())
    }
}
