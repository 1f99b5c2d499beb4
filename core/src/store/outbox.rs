//! The outbox: the queue of local changes waiting to reach the team server.

use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};

use crate::clock::Hlc;
use crate::error::StoreResult;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Per-device sequence number, gap-free and never reused.
    pub seq: u64,
    /// Random id; lets the server recognise a repeat.
    pub op_id: String,
    pub hlc: Hlc,
    pub kind: String,
    pub entity_id: String,
    pub payload: serde_json::Value,
    pub created_ms: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub quarantined: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxStatus {
    pub pending: u64,
    pub quarantined: u64,
}

pub(crate) fn append(
    tx: &Transaction<'_>,
    hlc: &Hlc,
    kind: &str,
    entity_id: &str,
    payload: &serde_json::Value,
) -> StoreResult<OutboxEntry> {
    let op_id = uuid::Uuid::new_v4().to_string();
    let created_ms = crate::clock::now_ms();
    tx.prepare_cached(
        "INSERT INTO outbox(op_id, hlc, kind, entity_id, payload, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        op_id,
        hlc.to_string(),
        kind,
        entity_id,
        serde_json::to_string(payload)?,
        created_ms as i64
    ])?;
    let seq = tx.last_insert_rowid() as u64;
    Ok(OutboxEntry {
        seq,
        op_id,
        hlc: hlc.clone(),
        kind: kind.to_string(),
        entity_id: entity_id.to_string(),
        payload: payload.clone(),
        created_ms,
        attempts: 0,
        last_error: None,
        quarantined: false,
    })
}

pub fn status(conn: &Connection) -> StoreResult<OutboxStatus> {
    let (pending, quarantined) = conn.query_row(
        "SELECT count(*) FILTER (WHERE quarantined = 0), count(*) FILTER (WHERE quarantined != 0)
         FROM outbox",
        [],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    Ok(OutboxStatus {
        pending: pending as u64,
        quarantined: quarantined as u64,
    })
}

/// `quarantined` column values: not quarantined.
pub const Q_NONE: i64 = 0;
/// Quarantined after the server refused it (its sequence number is consumed there).
pub const Q_SERVER: i64 = 1;
/// Quarantined by this device (it could not be sent at all); a skip marker must still go
/// to the server in its place so the sequence stays gap-free. Becomes `Q_SERVER` once it has.
pub const Q_LOCAL: i64 = 2;

const COLUMNS: &str = "seq, op_id, hlc, kind, entity_id, payload, created_ms, attempts, \
                       last_error, quarantined";

/// Oldest first, from `after_seq` (exclusive), at most `limit` entries.
pub fn list(conn: &Connection, after_seq: u64, limit: u32) -> StoreResult<Vec<OutboxEntry>> {
    query(
        conn,
        &format!("SELECT {COLUMNS} FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
        params![after_seq as i64, limit],
    )
}

/// What the next push carries, oldest first: entries not yet answered by the server,
/// including locally quarantined ones (sent as skip markers, `quarantined == true`).
pub fn sendable(conn: &Connection, limit: u32) -> StoreResult<Vec<OutboxEntry>> {
    query(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM outbox WHERE quarantined != {Q_SERVER} ORDER BY seq LIMIT ?1"
        ),
        params![limit],
    )
}

/// Quarantined entries with their reasons, for the UI.
pub fn quarantined(conn: &Connection) -> StoreResult<Vec<OutboxEntry>> {
    query(
        conn,
        &format!("SELECT {COLUMNS} FROM outbox WHERE quarantined != {Q_NONE} ORDER BY seq"),
        [],
    )
}

/// The server acknowledged the entry (committed with the ack): it leaves the outbox.
pub fn ack(tx: &Transaction<'_>, seq: u64) -> StoreResult<()> {
    tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq as i64])?;
    Ok(())
}

/// Quarantines an entry with its reason (kept for the UI, never dropped silently).
pub fn quarantine(tx: &Transaction<'_>, seq: u64, reason: &str, state: i64) -> StoreResult<()> {
    tx.execute(
        "UPDATE outbox SET quarantined = ?2, last_error = ?3 WHERE seq = ?1",
        params![seq as i64, state, reason],
    )?;
    Ok(())
}

/// Counts a failed delivery attempt.
pub fn record_attempt(tx: &Transaction<'_>, seqs: &[u64], error: &str) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
    )?;
    for seq in seqs {
        stmt.execute(params![*seq as i64, error])?;
    }
    Ok(())
}

/// True when a local change to `entity_id` of `kind` is still waiting to be sent (a pulled
/// change must then not overwrite it: the local one is re-applied on top).
pub fn has_unsent(conn: &Connection, kind: &str, entity_id: &str) -> StoreResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM outbox WHERE kind = ?1 AND entity_id = ?2 AND quarantined = 0)",
        params![kind, entity_id],
        |r| r.get(0),
    )?)
}

fn query(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, u32>(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, bool>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, op_id, hlc, kind, entity_id, payload, created_ms, attempts, last_error, q) = row?;
        out.push(OutboxEntry {
            seq: seq as u64,
            op_id,
            hlc: hlc
                .parse()
                .map_err(|_| crate::error::StoreError::DatabaseCorrupt)?,
            kind,
            entity_id,
            payload: serde_json::from_str(&payload)?,
            created_ms: created_ms as u64,
            attempts,
            last_error,
            quarantined: q,
        });
    }
    Ok(out)
}
