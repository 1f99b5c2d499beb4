//! The engine's persistent state (one JSON value in the store's meta table) and the
//! status the UI shows.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::store::{find_meta, outbox, put_meta, Database, OFFSET_KEY};
use crate::sync::blobs::BlobHost;
use crate::sync::transport::SpkiPin;

fn stored_offset(conn: &Connection) -> StoreResult<i64> {
    match find_meta(conn, OFFSET_KEY)? {
        None => Ok(0),
        Some(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(StoreError::DatabaseCorrupt),
    }
}

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
    /// SPKI pins of the team server (`sha256/<base64>`); empty: web PKI. Absent from
    /// states written before pinning existed.
    #[serde(default)]
    pub tls_pins: Vec<String>,
    /// When (this device's wall clock) the server's time was last learned.
    #[serde(default)]
    pub clock_learned_ms: Option<u64>,
    /// The server's Ed25519 public key (hex) from enrollment; receipts are checked
    /// against it. None when enrolled with a server that does not sign receipts.
    #[serde(default)]
    pub server_public_key: Option<String>,
    /// Upload rate (bytes per second) of attachment files as last measured, for the
    /// estimate of what is left.
    #[serde(default)]
    pub upload_rate_bps: Option<u64>,
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

/// The team server's SPKI pins recorded in the store (empty if none).
pub fn tls_pins(conn: &Connection) -> StoreResult<Vec<SpkiPin>> {
    load(conn)?
        .tls_pins
        .iter()
        .map(|p| SpkiPin::parse(p).map_err(|_| StoreError::DatabaseCorrupt))
        .collect()
}

/// Records the pins the built-in transport must use for the team server, replacing any
/// (an empty list goes back to web PKI checks). Kept with the rest of the sync state.
pub fn set_tls_pins(db: &mut Database, pins: &[SpkiPin]) -> StoreResult<()> {
    db.sync_transaction(|tx, _| {
        let mut s = load(tx)?;
        s.tls_pins = pins.iter().map(|p| p.to_string()).collect();
        save(tx, &s)
    })
}

/// What the UI shows about sync. Times are Unix milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncStatus {
    pub enrolled: bool,
    pub team_id: Option<String>,
    pub server_url: Option<String>,
    /// Local changes waiting to be sent.
    pub pending: u64,
    /// Local changes refused, kept with their reasons (`store::outbox::quarantined`).
    pub quarantined: u64,
    /// The most recent of them (at most [`BLOCKED_SHOWN`]), each with its reason: e.g. an
    /// attachment whose file the server refused for good. The changes that do not depend
    /// on them went on.
    pub blocked: Vec<BlockedChange>,
    pub last_success_ms: Option<u64>,
    pub last_error: Option<String>,
    /// When the next automatic attempt is due, after a transient failure.
    pub next_attempt_ms: Option<u64>,
    pub revoked: bool,
    /// Attachment files of queued changes not yet whole on the server.
    pub attachments_to_upload: u64,
    /// Their size in bytes (what is left to send besides the changes themselves).
    pub upload_bytes: u64,
    /// How long sending `upload_bytes` should take at the rate last measured (ms); none
    /// until a rate was measured.
    pub upload_estimate_ms: Option<u64>,
    /// Teammates' attachment files announced but not downloaded yet.
    pub attachments_to_download: u64,
    /// How far (ms) this device's clock is from the team server's, as last learned
    /// (server minus device; 0 until learned): the team's time is this device's clock
    /// plus it. Stamps use the team's time, so a clock that is off still syncs; an app
    /// may show it as a hint.
    pub clock_offset_ms: i64,
}

/// The status, with the blob counts of `blobs`.
/// Most quarantined changes listed in [`SyncStatus::blocked`].
pub const BLOCKED_SHOWN: usize = 20;

/// A local change held back for good, and why (no content: kind, seq, reason). `seq` is
/// none for an attachment file whose record already went but that the server refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BlockedChange {
    pub seq: Option<u64>,
    pub kind: String,
    pub reason: String,
}

pub fn status(conn: &Connection, blobs: &dyn BlobHost) -> StoreResult<SyncStatus> {
    let s = load(conn)?;
    let o = outbox::status(conn)?;
    let q = outbox::quarantined(conn)?;
    let c = blobs.counts(conn)?;
    let blocked = q
        .iter()
        .rev()
        .take(BLOCKED_SHOWN)
        .map(|e| BlockedChange {
            seq: Some(e.seq),
            kind: e.kind.clone(),
            reason: e.last_error.clone().unwrap_or_default(),
        })
        .chain(c.blocked_uploads.iter().map(|reason| BlockedChange {
            seq: None,
            kind: "incident.attachment".into(),
            reason: reason.clone(),
        }))
        .collect();
    Ok(SyncStatus {
        enrolled: s.enrolled(),
        team_id: s.team_id,
        server_url: s.server_url,
        pending: o.pending,
        quarantined: o.quarantined,
        blocked,
        last_success_ms: s.last_success_ms,
        last_error: s.last_error,
        next_attempt_ms: s.next_attempt_ms,
        revoked: s.revoked,
        attachments_to_upload: c.to_upload,
        upload_bytes: c.upload_bytes,
        upload_estimate_ms: s
            .upload_rate_bps
            .filter(|r| *r > 0 && c.upload_bytes > 0)
            .map(|r| c.upload_bytes.saturating_mul(1000) / r),
        attachments_to_download: c.to_download,
        clock_offset_ms: stored_offset(conn)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_written_before_pins_still_loads() {
        let old = br#"{"server_url":"https://s","team_id":"t","officer":"o","pull_cursor":3,
            "last_success_ms":null,"last_error":null,"failures":0,"next_attempt_ms":null,
            "revoked":false}"#;
        let s: SyncState = serde_json::from_slice(old).unwrap();
        assert_eq!(s.pull_cursor, 3);
        assert!(s.tls_pins.is_empty());
        let pin = SpkiPin::of_spki_der(b"key").to_string();
        let with = SyncState {
            tls_pins: vec![pin.clone()],
            ..s
        };
        let back: SyncState = serde_json::from_slice(&serde_json::to_vec(&with).unwrap()).unwrap();
        assert_eq!(back.tls_pins, vec![pin]);
    }
}
