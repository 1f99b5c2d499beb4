//! Reading incidents: the current view with its history, lists on SQL indexes, and
//! full-text search. `incident_views` and `incident_fts` are derived from the entries
//! in the same transaction as each append; they serve queries and are not evidence.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::canonical::{EntryBody, EntryKind};
use super::chain::{self, StoredEntry};
use super::error::{IncidentError, IncidentResult};
use super::model::{Category, Report, ReportPatch, Severity};
use crate::error::{StoreError, StoreResult};
use crate::store::Database;

pub const MAX_PAGE: u32 = 500;

/// How much cheaper a step along the newest-first index is than fetching one view row
/// (measured on the benchmark's 100k store: ~0.2 us against ~9 us), for [`search`].
const INDEX_WALK_ADVANTAGE: f64 = 40.0;

/// One entry of an incident's history, decoded, with its chain data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub entry_id: String,
    pub seq: u64,
    pub device_id: String,
    pub kind: EntryKind,
    pub recorded_at: DateTime<Utc>,
    pub author: Option<String>,
    /// For an amendment: the entry it corrects, why, and what it changes.
    pub amends: Option<String>,
    pub reason: Option<String>,
    pub patch: Option<ReportPatch>,
    /// For the report: the report as first recorded.
    pub report: Option<Report>,
    /// The proofs, to check the entry without Vigil (docs/INCIDENT_LOG.md): the previous
    /// entry's hash in its device's chain (zeros for the first), this entry's hash, the
    /// Ed25519 signature of that hash, the exact signed body, and the public key of the
    /// device that signed it. Lowercase hex in JSON.
    #[serde(with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub body: Vec<u8>,
    #[serde(with = "hex_bytes")]
    pub device_public_key: Vec<u8>,
}

/// Bytes as lowercase hex in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

/// An incident as it reads now (report with every amendment applied, in order), and
/// the full history that produced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub incident_id: String,
    pub device_id: String,
    pub recorded_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub amendments: u32,
    pub current: Report,
    pub history: Vec<HistoryEntry>,
}

/// A line of a list: the current view without the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncidentSummary {
    pub incident_id: String,
    pub recorded_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub amendments: u32,
    pub current: Report,
}

/// List filters; all given ones must hold. Times bound `occurred.utc` (from inclusive,
/// to exclusive).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IncidentFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub category: Option<Category>,
    /// Exactly this severity.
    pub severity: Option<Severity>,
    /// This severity or worse.
    pub min_severity: Option<Severity>,
    pub venue_id: Option<String>,
    pub route_id: Option<String>,
}

/// One page of a list, newest first: at most `limit` (1..=500) incidents, starting after
/// the incident `after` (the last one of the previous page) or at the newest when `None`.
///
/// Keyset paging: a page is found by a seek on the `(occurred, id)` index, so every page
/// costs the same however deep it is (listing the whole log is linear), and an incident
/// logged or pulled in between two pages neither repeats nor hides a row, as it would
/// with an offset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub limit: u32,
    pub after: Option<String>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 50,
            after: None,
        }
    }
}

impl Page {
    /// The first page, of `limit` incidents.
    pub fn first(limit: u32) -> Page {
        Page { limit, after: None }
    }

    /// The page of `limit` incidents after `incident_id`.
    pub fn after(limit: u32, incident_id: impl Into<String>) -> Page {
        Page {
            limit,
            after: Some(incident_id.into()),
        }
    }

    fn check(&self) -> IncidentResult<()> {
        if self.limit == 0 || self.limit > MAX_PAGE {
            return Err(IncidentError::invalid("page limit", "must be 1..=500"));
        }
        Ok(())
    }

    /// The `(occurred_ms, incident_id)` key the page starts after, looked up by id.
    fn seek(&self, conn: &Connection) -> IncidentResult<Option<(i64, String)>> {
        let Some(id) = &self.after else {
            return Ok(None);
        };
        let occurred: Option<i64> = conn
            .prepare_cached("SELECT occurred_ms FROM incident_views WHERE incident_id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(StoreError::from)?;
        match occurred {
            Some(ms) => Ok(Some((ms, id.clone()))),
            None => Err(IncidentError::invalid(
                "page after",
                "no such incident in this store",
            )),
        }
    }
}

/// Adds the page's seek clause and its arguments, then `LIMIT`.
fn page_sql(
    conn: &Connection,
    page: &Page,
    clauses: &mut Vec<&'static str>,
    args: &mut Vec<Value>,
) -> IncidentResult<()> {
    page.check()?;
    if let Some((ms, id)) = page.seek(conn)? {
        // (occurred_ms, incident_id) < (ms, id), spelt so that the first clause is a
        // range SQLite seeks on the (occurred_ms DESC, incident_id DESC) index.
        clauses.push("occurred_ms <= ?");
        clauses.push("(occurred_ms < ? OR incident_id < ?)");
        args.push(Value::Integer(ms));
        args.push(Value::Integer(ms));
        args.push(Value::Text(id));
    }
    Ok(())
}

fn where_sql(clauses: &[&str]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

/// Rebuilds the current view of `entries` (one incident's, in order).
fn build(entries: Vec<(StoredEntry, EntryBody)>) -> StoreResult<(IncidentView, Vec<String>)> {
    let mut current: Option<Report> = None;
    let mut history = Vec::with_capacity(entries.len());
    let mut texts = Vec::with_capacity(entries.len());
    let mut amendments = 0u32;
    let mut first: Option<(String, String, DateTime<Utc>)> = None;
    let mut updated_at = None;
    for (stored, body) in entries {
        let (amends, reason, patch) = match (&body.report, &body.amendment) {
            (Some(r), None) if current.is_none() => {
                current = Some(r.clone());
                first = Some((
                    body.incident_id.clone(),
                    stored.device_id.clone(),
                    body.recorded_at,
                ));
                texts.push(r.search_text());
                (None, None, None)
            }
            (None, Some(a)) => {
                let base = current.as_ref().ok_or(StoreError::DatabaseCorrupt)?;
                current = Some(a.patch.apply(base));
                amendments += 1;
                texts.push(format!("{}\n{}", a.reason, a.patch.search_text()));
                (
                    Some(a.amends.clone()),
                    Some(a.reason.clone()),
                    Some(a.patch.clone()),
                )
            }
            _ => return Err(StoreError::DatabaseCorrupt),
        };
        updated_at = Some(body.recorded_at);
        history.push(HistoryEntry {
            entry_id: body.entry_id,
            seq: stored.seq,
            device_id: stored.device_id,
            kind: body.kind,
            recorded_at: body.recorded_at,
            author: body.author,
            amends,
            reason,
            patch,
            report: body.report,
            prev_hash: stored.prev_hash,
            hash: stored.hash,
            signature: stored.signature,
            body: stored.body,
            // Known only with the store's keys: filled by `view`.
            device_public_key: Vec::new(),
        });
    }
    let (incident_id, device_id, recorded_at) = first.ok_or(StoreError::DatabaseCorrupt)?;
    let current = current.ok_or(StoreError::DatabaseCorrupt)?;
    Ok((
        IncidentView {
            incident_id,
            device_id,
            recorded_at,
            updated_at: updated_at.unwrap_or(recorded_at),
            amendments,
            current,
            history,
        },
        texts,
    ))
}

/// The view of one incident with every entry's proofs, or `None` when there is no such
/// incident.
pub(crate) fn view(db: &Database, incident_id: &str) -> StoreResult<Option<IncidentView>> {
    let conn = db.conn();
    let entries = chain::of_incident(conn, incident_id)?;
    if entries.is_empty() {
        return Ok(None);
    }
    let mut view = build(entries)?.0;
    for h in &mut view.history {
        h.device_public_key = if h.device_id == db.device_id() {
            db.device_key().public_key().to_vec()
        } else {
            // A teammate's entry is stored only once its author's key is registered.
            chain::registered_key(conn, &h.device_id)?.ok_or(StoreError::DatabaseCorrupt)?
        };
    }
    Ok(Some(view))
}

/// Re-derives the list row and the search row of `incident_id`, after `entry_id` (one
/// of its entries) was stored.
pub(crate) fn refresh(conn: &Connection, incident_id: &str, entry_id: &str) -> StoreResult<()> {
    let entries = chain::of_incident(conn, incident_id)?;
    if !entries.iter().any(|(e, _)| e.entry_id == entry_id) {
        return Err(StoreError::DatabaseCorrupt);
    }
    let history_len = entries.len();
    let (v, texts) = build(entries)?;
    let c = &v.current;
    let summary = IncidentSummary {
        incident_id: v.incident_id.clone(),
        recorded_at: v.recorded_at,
        updated_at: v.updated_at,
        amendments: v.amendments,
        current: v.current.clone(),
    };
    let rowid: i64 = conn.prepare_cached(
        "INSERT INTO incident_views(incident_id, occurred_ms, recorded_ms, updated_ms, category,
             severity_rank, venue_id, route_id, amendments, view)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(incident_id) DO UPDATE SET
             occurred_ms = excluded.occurred_ms, updated_ms = excluded.updated_ms,
             category = excluded.category, severity_rank = excluded.severity_rank,
             venue_id = excluded.venue_id, route_id = excluded.route_id,
             amendments = excluded.amendments, view = excluded.view
         RETURNING rowid",
    )?
    .query_row(
        params![
        v.incident_id,
        c.occurred.utc.timestamp_millis(),
        v.recorded_at.timestamp_millis(),
        v.updated_at.timestamp_millis(),
        c.category.as_str(),
        c.severity.map(|s| i64::from(s.rank())),
        c.venue_id,
        c.route_id,
        v.amendments,
        serde_json::to_string(&summary)?,
        ],
        |r| r.get(0),
    )?;
    // The incident's one search row holds the text of every entry: replaced whole.
    if history_len > 1 {
        conn.prepare_cached("DELETE FROM incident_search WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    conn.prepare_cached("INSERT INTO incident_search(rowid, body) VALUES (?1, ?2)")?
        .execute(params![rowid, texts.join("\n")])?;
    Ok(())
}

fn summaries(
    conn: &Connection,
    sql: &str,
    args: Vec<Value>,
) -> IncidentResult<Vec<IncidentSummary>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        let json = r?;
        out.push(serde_json::from_str(&json).map_err(|_| StoreError::DatabaseCorrupt)?);
    }
    Ok(out)
}

/// Adds the clauses of every filter given, and their arguments.
fn filter_sql(filter: &IncidentFilter, clauses: &mut Vec<&'static str>, args: &mut Vec<Value>) {
    if let Some(t) = filter.from {
        clauses.push("occurred_ms >= ?");
        args.push(Value::Integer(t.timestamp_millis()));
    }
    if let Some(t) = filter.to {
        clauses.push("occurred_ms < ?");
        args.push(Value::Integer(t.timestamp_millis()));
    }
    if let Some(c) = filter.category {
        clauses.push("category = ?");
        args.push(Value::Text(c.as_str().into()));
    }
    if let Some(s) = filter.severity {
        clauses.push("severity_rank = ?");
        args.push(Value::Integer(s.rank().into()));
    }
    if let Some(s) = filter.min_severity {
        clauses.push("severity_rank >= ?");
        args.push(Value::Integer(s.rank().into()));
    }
    if let Some(v) = &filter.venue_id {
        clauses.push("venue_id = ?");
        args.push(Value::Text(v.clone()));
    }
    if let Some(r) = &filter.route_id {
        clauses.push("route_id = ?");
        args.push(Value::Text(r.clone()));
    }
}

pub(crate) fn list(
    conn: &Connection,
    filter: &IncidentFilter,
    page: &Page,
) -> IncidentResult<Vec<IncidentSummary>> {
    newest(conn, filter, page, vec![], vec![])
}

/// The page of current views that pass `filter` and the conditions in `clauses` (with
/// their `args`), newest first.
fn newest(
    conn: &Connection,
    filter: &IncidentFilter,
    page: &Page,
    mut clauses: Vec<&'static str>,
    mut args: Vec<Value>,
) -> IncidentResult<Vec<IncidentSummary>> {
    filter_sql(filter, &mut clauses, &mut args);
    page_sql(conn, page, &mut clauses, &mut args)?;
    args.push(Value::Integer(page.limit.into()));
    summaries(
        conn,
        &format!(
            "SELECT view FROM incident_views {}
             ORDER BY occurred_ms DESC, incident_id DESC LIMIT ?",
            where_sql(&clauses)
        ),
        args,
    )
}

/// Turns user text into an FTS5 query: every word must appear (as a prefix), quoted
/// so that no character of the input is FTS5 syntax.
pub(crate) fn fts_query(text: &str) -> IncidentResult<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(32)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if terms.is_empty() {
        return Err(IncidentError::invalid("search text", "no words"));
    }
    Ok(terms.join(" AND "))
}

pub(crate) fn search(
    conn: &Connection,
    text: &str,
    filter: &IncidentFilter,
    page: &Page,
) -> IncidentResult<Vec<IncidentSummary>> {
    page.check()?;
    let hits: Vec<i64> = conn
        .prepare_cached("SELECT rowid FROM incident_search WHERE incident_search MATCH ?1")?
        .query_map([fts_query(text)?], |r| r.get(0))?
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)?;
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let incidents: i64 = conn
        .prepare_cached("SELECT coalesce(max(rowid), 0) FROM incident_views")?
        .query_row([], |r| r.get(0))
        .map_err(StoreError::from)?;
    // Two ways to the newest `limit` matches. Few matches: fetch each matching row and
    // sort them (cost ~ matches). Many: walk the newest-first index, keeping matching
    // ids, until the page is full (cost ~ limit x incidents / matches, each step much
    // cheaper than a row fetch). The `+` keeps SQLite from choosing the row lookups.
    let many = (hits.len() as f64).powi(2) * INDEX_WALK_ADVANTAGE
        > f64::from(page.limit) * incidents as f64;
    let clause = if many {
        "+rowid IN (SELECT value FROM json_each(?))"
    } else {
        "rowid IN (SELECT value FROM json_each(?))"
    };
    let ids: Vec<String> = hits.iter().map(i64::to_string).collect();
    let ids = Value::Text(format!("[{}]", ids.join(",")));
    newest(conn, filter, page, vec![clause], vec![ids])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_everything() {
        assert_eq!(
            fts_query(r#"grey "van" NEAR(x"#).unwrap(),
            r#""grey"* AND "van"* AND "NEAR"* AND "x"*"#
        );
        assert!(fts_query("  -- \"").is_err());
    }
}
