//! The engine's persistent state (one JSON value in the store's meta table) and the
//! status the UI shows.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::store::{find_meta, outbox, put_meta};

const KEY: &str = "sync_state";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub server_url: Option<String>,
    pub team_id: Option<String>,
    pub officer: Option<String>,
    /// The last `server_seq` stored locally; moves only with the changes it brought.
    pub pull_cursor: u64,
    pub last_success_ms: Option<u64>,
    pub last_error: Option<String>,
    /// Consecutive transient failures (drives the backoff).
    pub failures: u32,
    pub next_attempt_ms: Option<u64>,
    pub revoked: bool,
    /// The server's Ed25519 public key (hex) from enrollment; receipts are checked
    /// against it. None when enrolled with a server that does not sign receipts.
    #[serde(default)]
    pub server_public_key: Option<String>,
}

impl SyncState {
    pub fn enrolled(&self) -> bool {
        self.team_id.is_some()
    }
}

pub(crate) fn load(conn: &Connection) -> StoreResult<SyncState> {
    match find_meta(conn, KEY)? {
        None => Ok(SyncState::default()),
        Some(b) => serde_json::from_slice(&b).map_err(|_| StoreError::DatabaseCorrupt),
    }
}

pub(crate) fn save(conn: &Connection, s: &SyncState) -> StoreResult<()> {
    put_meta(conn, KEY, &serde_json::to_vec(s)?)
}

/// What the UI shows about sync.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub team_id: Option<String>,
    pub server_url: Option<String>,
    /// Outbox entries waiting to be sent.
    pub pending: u64,
    /// Outbox entries refused, kept with their reasons (`store::outbox::quarantined`).
    pub quarantined: u64,
    pub last_success_ms: Option<u64>,
    pub last_error: Option<String>,
    /// When the next automatic attempt is due (after a transient failure).
    pub next_attempt_ms: Option<u64>,
    pub revoked: bool,
}

pub fn status(conn: &Connection) -> StoreResult<SyncStatus> {
    let s = load(conn)?;
    let o = outbox::status(conn)?;
    Ok(SyncStatus {
        enrolled: s.enrolled(),
        team_id: s.team_id,
        server_url: s.server_url,
        pending: o.pending,
        quarantined: o.quarantined,
        last_success_ms: s.last_success_ms,
        last_error: s.last_error,
        next_attempt_ms: s.next_attempt_ms,
        revoked: s.revoked,
    })
}
