//! Pulled changes: the `remote_changes` inbox and the per-kind appliers domain modules
//! register. Each change is stored and applied inside the transaction that also stores
//! the pull cursor, so a crash never leaves one without the other.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};

use crate::clock::hlc::HlcClock;
use crate::clock::now_ms;
use crate::error::{StoreError, StoreResult};
use crate::sync::protocol::Change;
use crate::sync::stored::change_row;

/// Why an applier did not apply a change.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The change is not acceptable (bad signature, broken chain, malformed payload): it is
    /// kept in the inbox as `failed` with this reason and the pull goes on.
    #[error("change refused: {0}")]
    Invalid(String),
    /// The store failed: the whole page is rolled back and the pull stops.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ApplyError {
    fn from(e: rusqlite::Error) -> Self {
        ApplyError::Store(e.into())
    }
}

/// Applies a remote change of one kind to the domain tables, inside `tx`. Must be
/// idempotent (a resync from scratch can deliver a change again after the inbox row is
/// gone) and must not overwrite a local record with unsent changes
/// (`store::outbox::has_unsent`): merge so the local one stays on top.
pub trait RemoteApplier: Send + Sync {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError>;

    /// What the engine calls: `clock` has already folded in the change's stamp and is kept
    /// with the page's transaction. An applier that must restamp a local change (to keep
    /// it on top of the remote one) overrides this; the default ignores the clock.
    fn apply_with_clock(
        &self,
        tx: &Transaction<'_>,
        clock: &mut HlcClock,
        change: &Change,
    ) -> Result<(), ApplyError> {
        let _ = clock;
        self.apply(tx, change)
    }
}

/// Appliers by kind. A change's kind is matched exactly first, then by the longest
/// registered prefix ending in `.` (`"incident."` claims `"incident.entry"`). A kind
/// nobody claims is only stored in the inbox.
#[derive(Clone, Default)]
pub struct Appliers {
    by_kind: HashMap<String, Arc<dyn RemoteApplier>>,
}

impl Appliers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, kind: impl Into<String>, applier: Arc<dyn RemoteApplier>) {
        self.by_kind.insert(kind.into(), applier);
    }

    pub fn find(&self, kind: &str) -> Option<&Arc<dyn RemoteApplier>> {
        if let Some(a) = self.by_kind.get(kind) {
            return Some(a);
        }
        self.by_kind
            .iter()
            .filter(|(k, _)| k.ends_with('.') && kind.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, a)| a)
    }
}

/// What became of a pulled change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxState {
    /// Kept as it came: no applier for its kind.
    Stored,
    Applied,
    /// The applier refused it (see the note).
    Failed,
    /// Its clock stamp was too far in the future; kept, not applied.
    Refused,
}

impl InboxState {
    fn as_str(self) -> &'static str {
        match self {
            InboxState::Stored => "stored",
            InboxState::Applied => "applied",
            InboxState::Failed => "failed",
            InboxState::Refused => "refused",
        }
    }

    fn parse(s: &str) -> InboxState {
        match s {
            "applied" => InboxState::Applied,
            "failed" => InboxState::Failed,
            "refused" => InboxState::Refused,
            _ => InboxState::Stored,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub change: Change,
    pub state: InboxState,
    pub note: Option<String>,
}

/// Stores one pulled change and applies it. Returns `None` when it was already in the
/// inbox (a repeat), else its new state.
pub(crate) fn receive(
    tx: &Transaction<'_>,
    clock: &mut HlcClock,
    appliers: &Appliers,
    c: &Change,
) -> StoreResult<Option<InboxState>> {
    // Received on this device's own clock; judged on the team's.
    let now = now_ms();
    // Cached statements: a page receives hundreds of changes in one transaction.
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO remote_changes(op_id, server_seq, device_id, seq, hlc, kind,
                 entity_id, payload, received_ms, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'stored')",
        )?
        .execute(params![
            c.op_id,
            c.server_seq as i64,
            c.device_id,
            c.seq as i64,
            c.hlc.to_string(),
            c.kind,
            c.entity_id,
            serde_json::to_string(&c.payload)?,
            now as i64
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    let (state, note) = if let Err(e) = clock.observe_now(&c.hlc) {
        (InboxState::Refused, Some(e.to_string()))
    } else {
        match appliers.find(&c.kind) {
            None => (InboxState::Stored, None),
            Some(a) => match a.apply_with_clock(tx, clock, c) {
                Ok(()) => (InboxState::Applied, None),
                Err(ApplyError::Invalid(reason)) => (InboxState::Failed, Some(reason)),
                Err(ApplyError::Store(e)) => return Err(e),
            },
        }
    };
    if state != InboxState::Stored {
        tx.prepare_cached("UPDATE remote_changes SET state = ?2, note = ?3 WHERE op_id = ?1")?
            .execute(params![c.op_id, state.as_str(), note])?;
    }
    Ok(Some(state))
}

/// The inbox in server order, optionally of one kind.
pub fn inbox(conn: &Connection, kind: Option<&str>) -> StoreResult<Vec<InboxEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.server_seq, r.device_id, r.seq, r.op_id, r.hlc, r.kind, r.entity_id, r.payload,
                k.public_key, r.state, r.note
         FROM remote_changes r LEFT JOIN device_keys k ON k.device_id = r.device_id
         WHERE ?1 IS NULL OR r.kind = ?1 ORDER BY r.server_seq",
    )?;
    let rows = stmt.query_map([kind], |r| {
        Ok(InboxEntry {
            change: change_row(r)?,
            state: InboxState::parse(&r.get::<_, String>(9)?),
            note: r.get(10)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(|e| match e {
            rusqlite::Error::FromSqlConversionFailure(..) => StoreError::DatabaseCorrupt,
            e => e.into(),
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Hlc;
    use crate::testing::fast_kdf;
    use crate::Vault;

    struct Upper;
    impl RemoteApplier for Upper {
        fn apply(&self, tx: &Transaction<'_>, c: &Change) -> Result<(), ApplyError> {
            tx.execute_batch("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY)")?;
            tx.execute("INSERT OR REPLACE INTO t(id) VALUES (?1)", [&c.entity_id])?;
            Ok(())
        }
    }

    fn change(op: &str, ms: u64) -> Change {
        Change {
            server_seq: 1,
            device_id: "other".into(),
            seq: 1,
            op_id: op.into(),
            hlc: Hlc {
                physical_ms: ms,
                counter: 0,
                device: "other".into(),
            },
            kind: "x.y".into(),
            entity_id: "e".into(),
            payload: serde_json::json!({}),
            public_key: None,
        }
    }

    #[test]
    fn far_future_stamps_are_kept_but_not_applied_and_repeats_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let kdf = fast_kdf();
        let mut vault = Vault::create(dir.path(), b"pass phrase", kdf, None).unwrap();
        let db = vault.db_mut().unwrap();
        let mut appliers = Appliers::new();
        appliers.register("x.", Arc::new(Upper));
        let now = now_ms();
        let far = now + 3_600_000;
        let states = db
            .sync_transaction(|tx, clock| {
                Ok::<_, StoreError>((
                    receive(tx, clock, &appliers, &change("a", now))?,
                    receive(tx, clock, &appliers, &change("a", now))?,
                    receive(tx, clock, &appliers, &change("b", far))?,
                ))
            })
            .unwrap();
        assert_eq!(
            states,
            (Some(InboxState::Applied), None, Some(InboxState::Refused))
        );
        let inbox = inbox(db.conn(), Some("x.y")).unwrap();
        assert_eq!(inbox.len(), 2);
        assert!(inbox[1].note.as_deref().unwrap_or("").contains("ahead"));
        // The local clock did not jump to the refused stamp.
        let next = db.write(|w| w.stamp()).unwrap();
        assert!(next.physical_ms < far);
    }

    #[test]
    fn longest_prefix_wins() {
        let mut a = Appliers::new();
        a.register("incident.", Arc::new(Upper));
        assert!(a.find("incident.entry").is_some());
        assert!(a.find("incidents").is_none());
        assert!(a.find("venue").is_none());
    }
}
