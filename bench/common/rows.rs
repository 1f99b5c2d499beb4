//! The rows one logged incident writes, as raw SQL on Vigil's own schema, shared by
//! `vigil-bench` (on a keyed SQLCipher connection: the cost split) and `vigil-baseline`
//! (on plain SQLite). Included by `#[path]`, compiled against each crate's rusqlite.

use rusqlite::{params, Connection};

/// Vigil's schema migrations, applied in order (the baselines use the very same DDL).
pub const SCHEMA: &[&str] = &[
    include_str!("../../core/src/store/sql/0001_foundation.sql"),
    include_str!("../../core/src/store/sql/0002_incidents.sql"),
    include_str!("../../core/src/store/sql/0003_advance.sql"),
    include_str!("../../core/src/store/sql/0004_sync_inbox.sql"),
    include_str!("../../core/src/store/sql/0005_remote.sql"),
    include_str!("../../core/src/store/sql/0006_receipts.sql"),
    include_str!("../../core/src/store/sql/0007_attachment_sync.sql"),
    include_str!("../../core/src/store/sql/0008_incident_search.sql"),
];

/// What to write for one incident. `view` is TEXT for plain rows; the field-level
/// baseline passes sealed bytes (its schema stores the view as a BLOB).
pub struct Rows<'a> {
    pub device_id: &'a str,
    pub seq: i64,
    pub id: &'a str,
    pub occurred_ms: i64,
    pub category: &'a str,
    pub body: &'a [u8],
    pub view: rusqlite::types::Value,
    /// `None`: no FTS row (the field-level baseline cannot index sealed text).
    pub fts: Option<&'a str>,
    /// `None`: no outbox row (the cost split's "without outbox" variant).
    pub outbox: Option<rusqlite::types::Value>,
}

/// Writes one incident's rows (entry, chain head, view, FTS, outbox) in one transaction.
/// The hash and signature columns hold fixed bytes: nothing is hashed or signed here.
pub fn insert(conn: &Connection, r: &Rows<'_>) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = insert_in_tx(conn, r);
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn insert_in_tx(conn: &Connection, r: &Rows<'_>) -> rusqlite::Result<()> {
    let hash = [7u8; 32];
    let signature = [9u8; 64];
    conn.prepare_cached(
        "INSERT INTO incident_entries(device_id, seq, entry_id, incident_id, kind, amends,
             prev_hash, hash, signature, body)
         VALUES (?1, ?2, ?3, ?3, 'report', NULL, ?4, ?4, ?5, ?6)",
    )?
    .execute(params![
        r.device_id,
        r.seq,
        r.id,
        &hash[..],
        &signature[..],
        r.body
    ])?;
    conn.prepare_cached(
        "INSERT INTO incident_chain_head(device_id, seq, hash) VALUES (?1, ?2, ?3)
         ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![r.device_id, r.seq, &hash[..]])?;
    conn.prepare_cached(
        "INSERT INTO incident_views(incident_id, occurred_ms, recorded_ms, updated_ms, category,
             severity_rank, venue_id, route_id, amendments, view)
         VALUES (?1, ?2, ?2, ?2, ?3, 2, NULL, NULL, 0, ?4)",
    )?
    .execute(params![r.id, r.occurred_ms, r.category, r.view])?;
    if let Some(text) = r.fts {
        conn.prepare_cached(
            "INSERT INTO incident_search(rowid, body) VALUES (last_insert_rowid(), ?1)",
        )?
        .execute(params![text])?;
    }
    if let Some(payload) = &r.outbox {
        conn.prepare_cached(
            "INSERT INTO outbox(op_id, hlc, kind, entity_id, payload, created_ms)
             VALUES (?1, '0000000000000-0000-bench', 'incident.entry', ?1, ?2, ?3)",
        )?
        .execute(params![r.id, payload, r.occurred_ms])?;
    }
    Ok(())
}
