//! What the server needs from a database, as a trait, so SQLite (the default) and other
//! back ends share the request logic in `service`. Calls block: the HTTP layer runs them
//! on tokio's blocking pool.

use vigil_core::crypto::signing::DeviceKey;
use vigil_core::sync::protocol::{BlobRef, ChainReceipt, Change, EntryOutcome, Pending, PushEntry};

use crate::console::store::ConsoleStorage;
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

/// How much of a team's blob the server holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobState {
    pub size: u64,
    pub received: u64,
    pub complete: bool,
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

impl ChainHead {
    /// The server's receipt for this head of `device`'s chain (version 2: it binds the
    /// key the device enrolled with, so a chain re-signed under another key does not
    /// match it; docs/INCIDENT_LOG.md), signed by `server_key`.
    pub fn receipt(&self, device: &DeviceRecord, server_key: &DeviceKey) -> ChainReceipt {
        ChainReceipt::signed(
            &device.id,
            <&[u8; 32]>::try_from(device.public_key.as_slice()).ok(),
            self.seq,
            &self.hash,
            self.anchored_ms,
            server_key,
        )
    }
}

/// Decides, inside the storage transaction, what happens to one new entry, given the
/// device's anchored chain head as it stands before this entry (`None`: no entry
/// anchored yet): `Ok(None)` = apply, `Ok(Some(head))` = apply and move the head to
/// `head`, `Err(reason)` = reject permanently (nothing stored, the seq is consumed).
/// The storage keeps the moved head for the next entry and writes it to `chain_heads`
/// in the same transaction as the changes.
pub type Validator<'a> =
    &'a dyn Fn(&PushEntry, Option<&ChainHead>) -> Result<Option<ChainHead>, String>;

/// [`ConsoleStorage`]: the web console's users, sessions and audit log.
pub trait Storage: ConsoleStorage + Send + Sync + 'static {
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

    /// The state of a team's blob, if any of it arrived.
    fn blob(&self, team_id: &str, sha256: &str) -> Result<Option<BlobState>, ServerError>;
    /// Appends `data` at `offset`, which must be what is held so far (else
    /// `BlobOffset`), creating the blob on its first chunk; offset 0 on an incomplete blob
    /// restarts it (what was held is dropped). When this chunk completes the
    /// blob, its SHA-256 is checked in the same transaction: a match marks it complete, a
    /// mismatch discards it and answers `BlobMismatch`. So no crash can leave a whole blob
    /// unsettled (stores also settle any such blob an earlier release left, at open).
    fn blob_append(
        &self,
        team_id: &str,
        uploader: &str,
        blob: &BlobRef,
        offset: u64,
        data: &[u8],
        now_ms: u64,
    ) -> Result<BlobState, ServerError>;
    /// Up to `len` bytes of the blob from `offset`, in order.
    fn blob_read(
        &self,
        team_id: &str,
        sha256: &str,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, ServerError>;
    /// Protocol 3: records that `device` announced these blobs (applied records name
    /// them) and that the team waits for them; blobs already whole are skipped.
    fn blobs_expect(
        &self,
        team_id: &str,
        device_id: &str,
        blobs: &[BlobRef],
        now_ms: u64,
    ) -> Result<(), ServerError>;
    /// The blobs `device_id` announced that are not whole yet, oldest announcement first.
    fn blobs_expected_from(&self, device_id: &str) -> Result<Vec<BlobRef>, ServerError>;
    /// Keeps what `device_id` reported it still has to send, received at `now_ms`, in
    /// place of its previous report (the console's Team page shows it).
    fn report_pending(
        &self,
        device_id: &str,
        pending: &Pending,
        now_ms: u64,
    ) -> Result<(), ServerError>;
    /// Whether a record of the team announced this blob and it is not whole yet.
    fn blob_expected(&self, team_id: &str, sha256: &str) -> Result<bool, ServerError>;
    /// The highest server time recorded (changes received, devices enrolled, codes
    /// used; 0 when none): where the server's monotonic clock starts.
    fn time_high_water(&self) -> Result<u64, ServerError> {
        Ok(0)
    }
    /// The device's anchored incident chain head, if any entry was anchored.
    fn chain_head(&self, device_id: &str) -> Result<Option<ChainHead>, ServerError>;
    /// The server's Ed25519 key (PKCS#8): the stored one, or `candidate_pkcs8` stored now
    /// when there is none yet (first start), atomically. Whoever holds the database
    /// holds this key.
    fn server_key(&self, candidate_pkcs8: &[u8], now_ms: u64) -> Result<Vec<u8>, ServerError>;
}

/// The SHA-256 of a blob fed chunk by chunk in order (`pos` ascending), as stored.
pub(crate) struct BlobHasher {
    ctx: ring::digest::Context,
    next: u64,
    contiguous: bool,
}

impl BlobHasher {
    pub(crate) fn new() -> BlobHasher {
        BlobHasher {
            ctx: ring::digest::Context::new(&ring::digest::SHA256),
            next: 0,
            contiguous: true,
        }
    }

    pub(crate) fn add(&mut self, pos: u64, data: &[u8]) {
        self.contiguous &= pos == self.next;
        self.next = pos.saturating_add(data.len() as u64);
        self.ctx.update(data);
    }

    /// Whether the chunks, without gap or overlap, are the blob named `sha256`.
    pub(crate) fn matches(self, sha256: &str) -> bool {
        self.contiguous && hex::encode(self.ctx.finish()) == sha256
    }
}

/// Appends to `out` the part of a chunk stored at `pos` that falls in `[start, end)`.
/// A count as the databases store it (signed 64 bits): a larger one is stored as the
/// largest they hold.
pub(crate) fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn copy_range(out: &mut Vec<u8>, pos: u64, data: &[u8], start: u64, end: u64) {
    let chunk_end = pos.saturating_add(data.len() as u64);
    let from = start.max(pos);
    let to = end.min(chunk_end);
    if from < to {
        let a = usize::try_from(from - pos).unwrap_or(usize::MAX);
        let b = usize::try_from(to - pos).unwrap_or(usize::MAX);
        if let Some(part) = data.get(a..b) {
            out.extend_from_slice(part);
        }
    }
}

/// The query behind [`Storage::time_high_water`], valid on SQLite and PostgreSQL.
pub const TIME_HIGH_WATER_SQL: &str = "SELECT COALESCE(MAX(t), 0) FROM (
        SELECT MAX(received_ms) AS t FROM changes
        UNION ALL SELECT MAX(enrolled_ms) FROM devices
        UNION ALL SELECT MAX(used_ms) FROM enrollment_codes) AS times";
