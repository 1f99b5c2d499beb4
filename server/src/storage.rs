//! What the server needs from a database, as a trait, so SQLite (the default) and other
//! back ends share the request logic in `service`. Calls block: the HTTP layer runs them
//! on tokio's blocking pool.

use vigil_core::sync::protocol::{Change, EntryOutcome, PushEntry};

use crate::error::ServerError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub team_id: String,
    pub public_key: Vec<u8>,
    pub revoked: bool,
}

/// A page of a team's changes after a cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    pub has_more: bool,
    /// The highest `server_seq` ever assigned (0 when none).
    pub high_water: u64,
}

/// A device's incident chain head as anchored on the server (`chain_heads`): the last
/// verified entry's seq, hash and the device's signature over that hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: [u8; 32],
    pub signature: Vec<u8>,
    /// When the server stored it (server clock).
    pub anchored_ms: u64,
}

/// Decides, inside the storage transaction, what happens to one new entry, given the
/// device's anchored chain head as it stands before this entry (`None`: no entry
/// anchored yet): `Ok(None)` = apply, `Ok(Some(head))` = apply and move the head to
/// `head`, `Err(reason)` = reject permanently (nothing stored, the seq is consumed).
/// The storage keeps the moved head for the next entry and writes it to `chain_heads`
/// in the same transaction as the changes.
pub type Validator<'a> =
    &'a dyn Fn(&PushEntry, Option<&ChainHead>) -> Result<Option<ChainHead>, String>;

pub trait Storage: Send + Sync + 'static {
    fn create_team(&self, name: &str) -> Result<String, ServerError>;
    /// Stores a code's hash for `team_id`, valid until `expires_ms`.
    fn add_code(&self, team_id: &str, code_hash: &str, expires_ms: u64) -> Result<(), ServerError>;
    fn revoke_device(&self, device_id: &str) -> Result<(), ServerError>;
    fn device(&self, device_id: &str) -> Result<Option<DeviceRecord>, ServerError>;
    /// Consumes the code (if unexpired at `now_ms`) and registers the device (and its
    /// officer), atomically. Returns the team id.
    fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        public_key: &[u8],
        officer: &str,
        now_ms: u64,
    ) -> Result<String, ServerError>;
    /// Applies a verified batch in one transaction with the device's cursor: repeats get
    /// their stored outcome, a gap fails the whole batch with `SequenceGap`.
    /// `now_ms` (the server's clock) is recorded as the changes' receive time.
    fn push(
        &self,
        device: &DeviceRecord,
        entries: &[PushEntry],
        now_ms: u64,
        validate: Validator<'_>,
    ) -> Result<Vec<EntryOutcome>, ServerError>;
    fn pull(&self, team_id: &str, cursor: u64, limit: u32) -> Result<ChangePage, ServerError>;
    /// The device's anchored incident chain head, if any entry was anchored.
    fn chain_head(&self, device_id: &str) -> Result<Option<ChainHead>, ServerError>;
    /// The server's Ed25519 key (PKCS#8): the stored one, or `candidate_pkcs8` stored now
    /// when there is none yet (first start), atomically. Whoever holds the database
    /// holds this key.
    fn server_key(&self, candidate_pkcs8: &[u8], now_ms: u64) -> Result<Vec<u8>, ServerError>;
}
