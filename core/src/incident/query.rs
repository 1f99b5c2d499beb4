//! Reading incidents: the current view with its history, lists on SQL indexes, and
//! full-text search. `incident_views` and `incident_fts` are derived from the entries
//! in the same transaction as each append; they serve queries and are not evidence.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};
use serde::{Deserialize, Serialize};

use super::canonical::{EntryBody, EntryKind};
use super::chain::{self, StoredEntry};
use super::error::{IncidentError, IncidentResult};
use super::model::{Category, Report, ReportPatch, Severity};
use crate::error::{StoreError, StoreResult};

pub const MAX_PAGE: u32 = 500;

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
    /// Lowercase hex entry hash and Ed25519 signature.
    pub hash: String,
    pub signature: String,
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

/// Newest first; `limit` 1..=500.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 50,
            offset: 0,
        }
    }
}

impl Page {
    fn check(self) -> IncidentResult<Self> {
        if self.limit == 0 || self.limit > MAX_PAGE {
            return Err(IncidentError::invalid("page limit", "must be 1..=500"));
        }
        Ok(self)
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
            hash: hex::encode(&stored.hash),
            signature: hex::encode(&stored.signature),
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

/// The view of one incident, or `None` when there is no such incident.
pub(crate) fn view(conn: &Connection, incident_id: &str) -> StoreResult<Option<IncidentView>> {
    let entries = chain::of_incident(conn, incident_id)?;
    if entries.is_empty() {
        return Ok(None);
    }
    Ok(Some(build(entries)?.0))
}

/// Re-derives the index row of `incident_id` and indexes the text of `entry_id`.
pub(crate) fn refresh(conn: &Connection, incident_id: &str, entry_id: &str) -> StoreResult<()> {
    let entries = chain::of_incident(conn, incident_id)?;
    let pos = entries
        .iter()
        .position(|(e, _)| e.entry_id == entry_id)
        .ok_or(StoreError::DatabaseCorrupt)?;
    let (v, texts) = build(entries)?;
    let c = &v.current;
    let summary = IncidentSummary {
        incident_id: v.incident_id.clone(),
        recorded_at: v.recorded_at,
        updated_at: v.updated_at,
        amendments: v.amendments,
        current: v.current.clone(),
    };
    conn.execute(
        "INSERT INTO incident_views(incident_id, occurred_ms, recorded_ms, updated_ms, category,
             severity_rank, venue_id, route_id, amendments, view)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(incident_id) DO UPDATE SET
             occurred_ms = excluded.occurred_ms, updated_ms = excluded.updated_ms,
             category = excluded.category, severity_rank = excluded.severity_rank,
             venue_id = excluded.venue_id, route_id = excluded.route_id,
             amendments = excluded.amendments, view = excluded.view",
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
    )?;
    conn.execute(
        "INSERT INTO incident_fts(entry_id, incident_id, body) VALUES (?1, ?2, ?3)",
        params![
            entry_id,
            incident_id,
            texts.get(pos).cloned().unwrap_or_default()
        ],
    )?;
    Ok(())
}

fn summaries(
    conn: &Connection,
    sql: &str,
    args: Vec<Value>,
) -> IncidentResult<Vec<IncidentSummary>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        let json = r?;
        out.push(serde_json::from_str(&json).map_err(|_| StoreError::DatabaseCorrupt)?);
    }
    Ok(out)
}

pub(crate) fn list(
    conn: &Connection,
    filter: &IncidentFilter,
    page: Page,
) -> IncidentResult<Vec<IncidentSummary>> {
    let page = page.check()?;
    let mut clauses: Vec<&str> = vec![];
    let mut args: Vec<Value> = vec![];
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
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    args.push(Value::Integer(page.limit.into()));
    args.push(Value::Integer(page.offset.into()));
    summaries(
        conn,
        &format!(
            "SELECT view FROM incident_views {filter_sql}
             ORDER BY occurred_ms DESC, incident_id DESC LIMIT ? OFFSET ?"
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
    page: Page,
) -> IncidentResult<Vec<IncidentSummary>> {
    let page = page.check()?;
    let q = fts_query(text)?;
    summaries(
        conn,
        "SELECT view FROM incident_views
         WHERE incident_id IN (SELECT incident_id FROM incident_fts WHERE incident_fts MATCH ?)
         ORDER BY occurred_ms DESC, incident_id DESC LIMIT ? OFFSET ?",
        vec![
            Value::Text(q),
            Value::Integer(page.limit.into()),
            Value::Integer(page.offset.into()),
        ],
    )
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
