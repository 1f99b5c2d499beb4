//! Appending to the device's hash chain, and reading entries back. Every append runs
//! inside the store's one write path, so the entry, the chain head, the derived views
//! and the outbox entry commit together or not at all.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::canonical::{link_hash, EntryBody, EntryKind, ZERO_HASH};
use crate::error::{StoreError, StoreResult};
use crate::store::Writer;

/// Outbox kind of an appended entry.
pub const OUTBOX_KIND_ENTRY: &str = "incident.entry";

/// What an append returns: enough for the caller to refer to the entry and show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EntryReceipt {
    pub incident_id: String,
    pub entry_id: String,
    pub seq: u64,
    /// Lowercase hex SHA-256 entry hash.
    pub hash: String,
}

/// One row of the entries table, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub device_id: String,
    pub seq: u64,
    pub entry_id: String,
    pub incident_id: String,
    pub kind: String,
    pub amends: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub signature: Vec<u8>,
    pub body: Vec<u8>,
}

const COLUMNS: &str =
    "device_id, seq, entry_id, incident_id, kind, amends, prev_hash, hash, signature, body";

const INSERT_ENTRY: &str = "INSERT INTO incident_entries(device_id, seq, entry_id, incident_id, \
     kind, amends, prev_hash, hash, signature, body) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntry> {
    Ok(StoredEntry {
        device_id: r.get(0)?,
        seq: r.get::<_, i64>(1)? as u64,
        entry_id: r.get(2)?,
        incident_id: r.get(3)?,
        kind: r.get(4)?,
        amends: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
        signature: r.get(8)?,
        body: r.get(9)?,
    })
}

/// The chain head of `device_id`: `(seq, hash)`, or `(0, zeros)` before the first entry.
pub fn head(conn: &Connection, device_id: &str) -> StoreResult<(u64, [u8; 32])> {
    let h: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM incident_chain_head WHERE device_id = ?1")?
        .query_row([device_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match h {
        None => Ok((0, ZERO_HASH)),
        Some((seq, hash)) => {
            let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::DatabaseCorrupt)?;
            Ok((
                u64::try_from(seq).map_err(|_| StoreError::DatabaseCorrupt)?,
                hash,
            ))
        }
    }
}

/// One verified (or freshly signed) link of a device's chain, ready to store.
pub(crate) struct Link<'a> {
    pub device_id: &'a str,
    pub seq: u64,
    pub prev: &'a [u8],
    pub hash: &'a [u8],
    pub signature: &'a [u8],
    pub body: &'a EntryBody,
    pub bytes: &'a [u8],
}

/// Stores a link and advances its device's chain head: the one place entries are
/// written, for local appends and for verified entries pulled from teammates.
pub(crate) fn store_link(conn: &Connection, l: &Link<'_>) -> StoreResult<()> {
    let amends = l.body.amendment.as_ref().map(|a| a.amends.clone());
    // Cached statements: a pulled page stores hundreds of links in one transaction.
    conn.prepare_cached(INSERT_ENTRY)?.execute(params![
        l.device_id,
        l.seq as i64,
        l.body.entry_id,
        l.body.incident_id,
        l.body.kind.as_str(),
        amends,
        l.prev,
        l.hash,
        l.signature,
        l.bytes,
    ])?;
    conn.prepare_cached(
        "INSERT INTO incident_chain_head(device_id, seq, hash) VALUES (?1, ?2, ?3)
         ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![l.device_id, l.seq as i64, l.hash])?;
    Ok(())
}

/// Appends `body` as the next entry of this device's chain, signs it, advances the
/// head and records it in the outbox, all in the writer's transaction.
pub fn append(w: &mut Writer<'_>, body: &EntryBody) -> StoreResult<EntryReceipt> {
    let bytes = body.encode();
    if bytes.is_empty() {
        return Err(StoreError::invalid("entry", "could not be encoded"));
    }
    let device_id = w.device_id().to_string();
    let (last, prev) = head(w.tx(), &device_id)?;
    let seq = last + 1;
    let hash = link_hash(
        seq,
        &prev,
        &device_id,
        &body.entry_id,
        &body.incident_id,
        &bytes,
    );
    let signature = w.device_key().sign(&hash);
    store_link(
        w.tx(),
        &Link {
            device_id: &device_id,
            seq,
            prev: &prev,
            hash: &hash,
            signature: &signature,
            body,
            bytes: &bytes,
        },
    )?;
    // The outbox carries exactly what the server needs to verify and anchor the entry.
    let body_text = String::from_utf8(bytes).map_err(|_| StoreError::DatabaseCorrupt)?;
    let payload = serde_json::json!({
        "device_id": device_id,
        "seq": seq,
        "entry_id": body.entry_id,
        "prev_hash": hex::encode(prev),
        "hash": hex::encode(hash),
        "signature": hex::encode(signature),
        "body": body_text,
    });
    w.emit(OUTBOX_KIND_ENTRY, &body.incident_id, &payload)?;
    Ok(EntryReceipt {
        incident_id: body.incident_id.clone(),
        entry_id: body.entry_id.clone(),
        seq,
        hash: hex::encode(hash),
    })
}

/// Every entry of every device, in chain order (device, then sequence number).
pub fn all(conn: &Connection) -> StoreResult<Vec<StoredEntry>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM incident_entries ORDER BY device_id, seq"
    ))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The entries of one incident, in order, with their decoded bodies.
pub fn of_incident(
    conn: &Connection,
    incident_id: &str,
) -> StoreResult<Vec<(StoredEntry, EntryBody)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM incident_entries WHERE incident_id = ?1 ORDER BY seq, device_id"
    ))?;
    let rows = stmt.query_map([incident_id], row)?;
    let mut out = Vec::new();
    for r in rows {
        let e = r?;
        let body = EntryBody::decode(&e.body).ok_or(StoreError::DatabaseCorrupt)?;
        out.push((e, body));
    }
    // Entries of several devices (a colleague's amendment): the report first, then by
    // recording time, device and sequence, so every device builds the same view.
    out.sort_by(|(a, ab), (b, bb)| {
        (
            ab.kind != EntryKind::Report,
            ab.recorded_at,
            &a.device_id,
            a.seq,
        )
            .cmp(&(
                bb.kind != EntryKind::Report,
                bb.recorded_at,
                &b.device_id,
                b.seq,
            ))
    });
    Ok(out)
}

/// One entry by id.
pub fn by_id(conn: &Connection, entry_id: &str) -> StoreResult<Option<StoredEntry>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM incident_entries WHERE entry_id = ?1"
        ))?
        .query_row([entry_id], row)
        .optional()?)
}

/// The key registered for a teammate's device `device_id` (learned from an earlier pulled
/// change), if any.
pub fn registered_key(
    conn: &rusqlite::Connection,
    device_id: &str,
) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT public_key FROM device_keys WHERE device_id = ?1")?
        .query_row([device_id], |r| r.get(0))
        .optional()
}
