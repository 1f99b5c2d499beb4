//! Request logic shared by every storage back end: version checks, device
//! authentication, signature verification, entry validation, enrollment codes.

use ring::digest;
use vigil_core::clock::hlc::MAX_FORWARD_DRIFT_MS;
use vigil_core::crypto::signing::DeviceKey;
use vigil_core::incident::canonical::ZERO_HASH;
use vigil_core::incident::chain::OUTBOX_KIND_ENTRY;
use vigil_core::incident::{check_entry, EntryRefusal};
use vigil_core::sync::protocol::{
    BlobRef, EnrollRequest, EnrollResponse, EntryOutcome, EntryResult, Pending, PullPage,
    PullRequest, PushBatch, PushEntry, PushResult, BLOB_AFTER_RECORD_VERSION, MAX_PULL_LIMIT,
    MIN_SCHEMA_VERSION, PULL_FRESHNESS_MS, SCHEMA_VERSION, SKIP_KIND,
};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::clock::{Clock, MonotonicClock, SystemClock};
use crate::error::ServerError;
use crate::now_ms;
use crate::storage::{ChainHead, DeviceRecord, Storage};

/// What every request is served with: the storage and the server's clock.
pub struct Ctx {
    pub storage: Arc<dyn Storage>,
    /// Never goes back (a [`MonotonicClock`] over the given one).
    pub clock: Arc<dyn Clock>,
    /// The receipt signing key, loaded (or created) from the storage at first use.
    server_key: OnceLock<DeviceKey>,
    /// Chunk bytes received in blob puts since start (kept or not): what the devices'
    /// uploads cost the link, for operators and the slow-link tests.
    blob_bytes: AtomicU64,
    /// The web console's configuration (`vigil-server` flags).
    pub console: crate::console::ConsoleConfig,
    /// Counts pushes that stored something: the console's live view waits on it.
    pub(crate) pushed: tokio::sync::watch::Sender<u64>,
    /// When each device last synced (a signed push or pull answered), since this start.
    last_seen: std::sync::Mutex<std::collections::HashMap<String, u64>>,
}

impl Ctx {
    /// On the system clock.
    pub fn new(storage: Arc<dyn Storage>) -> Ctx {
        Self::with_clock(storage, Arc::new(SystemClock))
    }

    /// On `clock`, made monotonic from the highest time the storage recorded (a server
    /// restarted after its clock stepped back keeps its times non-decreasing).
    pub fn with_clock(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Ctx {
        let high = storage.time_high_water().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the clock high-water; starting from the clock");
            0
        });
        Ctx {
            storage,
            clock: Arc::new(MonotonicClock::new(clock, high)),
            server_key: OnceLock::new(),
            blob_bytes: AtomicU64::new(0),
            console: crate::console::ConsoleConfig::default(),
            pushed: tokio::sync::watch::Sender::new(0),
            last_seen: Default::default(),
        }
    }

    /// The same context with the web console configured by `config`.
    pub fn with_console(mut self, config: crate::console::ConsoleConfig) -> Ctx {
        self.console = config;
        self
    }

    /// The server's Ed25519 key that signs chain receipts: created and stored in the
    /// database the first time it is needed (the server binary asks at start).
    pub fn server_key(&self) -> Result<&DeviceKey, ServerError> {
        if let Some(k) = self.server_key.get() {
            return Ok(k);
        }
        let (_, candidate) =
            DeviceKey::generate().map_err(|_| ServerError::Storage("key generation".into()))?;
        let pkcs8 = self.storage.server_key(&candidate, self.now_ms())?;
        let key = DeviceKey::from_pkcs8(&pkcs8)
            .map_err(|_| ServerError::Storage("stored server key".into()))?;
        Ok(self.server_key.get_or_init(|| key))
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Chunk bytes received in blob puts since this server started.
    pub fn blob_bytes_received(&self) -> u64 {
        self.blob_bytes.load(Ordering::Relaxed)
    }

    /// Records that `device_id` synced now (for the console's Team page).
    pub(crate) fn saw(&self, device_id: &str) {
        let now = self.now_ms();
        let mut seen = self.last_seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.insert(device_id.to_string(), now);
    }

    /// When `device_id` last synced with this server process (0: not since it started).
    pub fn last_seen(&self, device_id: &str) -> u64 {
        let seen = self.last_seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(device_id).copied().unwrap_or(0)
    }

    pub(crate) fn count_blob_bytes(&self, n: usize) {
        self.blob_bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// How long an enrollment code stays valid.
pub const CODE_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// Rough ceiling of a pull page's size.
pub const PAGE_BYTES: usize = 4 * 1024 * 1024;

const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub(crate) fn check_version(v: u32) -> Result<(), ServerError> {
    if (MIN_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&v) {
        Ok(())
    } else {
        Err(ServerError::UnsupportedVersion(v))
    }
}

/// Upper-cases and drops separators, so `abcd-efgh` and `ABCDEFGH` are one code.
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn code_hash(code: &str) -> String {
    hex::encode(digest::digest(
        &digest::SHA256,
        normalize_code(code).as_bytes(),
    ))
}

/// A fresh one-time code for `team_id`: 80 random bits, Crockford base32, in groups of four.
pub fn issue_code(storage: &dyn Storage, team_id: &str) -> Result<String, ServerError> {
    let bytes = vigil_core::crypto::random::bytes::<16>()
        .map_err(|_| ServerError::Storage("random".into()))?;
    let mut code = String::new();
    for (i, b) in bytes.iter().take(16).enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(CODE_ALPHABET[(*b & 31) as usize] as char);
    }
    storage.add_code(team_id, &code_hash(&code), now_ms() + CODE_TTL_MS)?;
    Ok(code)
}

pub fn enroll(ctx: &Ctx, req: &EnrollRequest) -> Result<EnrollResponse, ServerError> {
    let storage = ctx.storage.as_ref();
    check_version(req.schema_version)?;
    let key = hex::decode(&req.public_key)
        .map_err(|_| ServerError::Malformed("public_key is not hex".into()))?;
    if key.len() != 32 {
        return Err(ServerError::Malformed("public_key must be 32 bytes".into()));
    }
    check_text("device_id", &req.device_id, 100)?;
    check_text("officer", &req.officer, 200)?;
    let team_id = storage.enroll(
        &code_hash(&req.code),
        &req.device_id,
        &key,
        &req.officer,
        ctx.now_ms(),
    )?;
    Ok(EnrollResponse {
        schema_version: req.schema_version,
        team_id,
        device_id: req.device_id.clone(),
        server_time_ms: Some(ctx.now_ms()),
        server_public_key: Some(hex::encode(ctx.server_key()?.public_key())),
    })
}

fn check_text(field: &str, v: &str, max: usize) -> Result<(), ServerError> {
    if v.is_empty() || v.len() > max {
        return Err(ServerError::Malformed(format!("{field} length")));
    }
    Ok(())
}

pub(crate) fn authenticate(
    storage: &dyn Storage,
    device_id: &str,
) -> Result<DeviceRecord, ServerError> {
    let device = storage
        .device(device_id)?
        .ok_or(ServerError::UnknownDevice)?;
    if device.revoked {
        return Err(ServerError::Revoked);
    }
    Ok(device)
}

/// Per-entry validation: a failure rejects that entry permanently (its seq is consumed).
fn validate_entry(device: &DeviceRecord, e: &PushEntry, now: u64) -> Result<(), String> {
    if e.kind == SKIP_KIND {
        return Err("skipped by the device".into());
    }
    if e.kind.is_empty() || e.kind.len() > 64 || e.kind.starts_with("vigil.") {
        return Err("invalid kind".into());
    }
    if e.entity_id.is_empty() || e.entity_id.len() > 200 {
        return Err("invalid entity id".into());
    }
    if e.op_id.is_empty() || e.op_id.len() > 100 {
        return Err("invalid op id".into());
    }
    if e.hlc.device != device.id {
        return Err("clock stamp of another device".into());
    }
    if e.hlc.physical_ms > now.saturating_add(MAX_FORWARD_DRIFT_MS) {
        return Err("clock stamp too far in the future".into());
    }
    if !e.payload.is_object() {
        return Err("payload must be a JSON object".into());
    }
    Ok(())
}

/// Refusal reasons of incident entries that only the server gives (the others are the
/// shared check's, [`EntryRefusal`]).
pub const REASON_ALREADY_ANCHORED: &str = "incident entry already anchored";
pub const REASON_REWRITTEN: &str =
    "incident chain rewritten: sequence already anchored with another hash";
pub const REASON_BELOW_HEAD: &str = "incident chain rewritten: sequence below the anchored head";

/// An `incident.entry` is verified against the device's enrolled key and its anchored
/// chain head (the shared check of the core, the one the devices run on pulled entries);
/// `Some(new head)` when it is the next link. Other kinds do not touch the chain.
fn anchor_entry(
    device: &DeviceRecord,
    e: &PushEntry,
    head: Option<&ChainHead>,
    now: u64,
) -> Result<Option<ChainHead>, String> {
    if e.kind != OUTBOX_KIND_ENTRY {
        return Ok(None);
    }
    let (head_seq, head_hash) = head.map(|h| (h.seq, h.hash)).unwrap_or((0, ZERO_HASH));
    match check_entry(
        &e.payload,
        &device.id,
        &e.entity_id,
        &device.public_key,
        (head_seq, head_hash),
    ) {
        Ok(c) => Ok(Some(ChainHead {
            seq: c.seq,
            hash: c.hash,
            signature: c.signature,
            anchored_ms: now,
        })),
        Err(EntryRefusal::AtOrBelowHead { same_as_head, seq }) => Err(if same_as_head {
            REASON_ALREADY_ANCHORED
        } else if seq == head_seq {
            REASON_REWRITTEN
        } else {
            REASON_BELOW_HEAD
        }
        .to_string()),
        Err(r) => Err(r.to_string()),
    }
}

pub fn push(ctx: &Ctx, batch: &PushBatch) -> Result<PushResult, ServerError> {
    let storage = ctx.storage.as_ref();
    check_version(batch.schema_version)?;
    let device = authenticate(storage, &batch.device_id)?;
    if !batch.verify(&device.public_key) {
        return Err(ServerError::BadSignature);
    }
    // Protocols 1 and 2: a record never reaches the team before the file it announces:
    // every blob an entry names must be here whole (the device uploads it first, then
    // pushes again). Protocol 3: the record goes first and the blob is expected from the
    // device (listed in its answers, "coming" to teammates) until it arrives.
    let blob_after_record = batch.schema_version >= BLOB_AFTER_RECORD_VERSION;
    let mut announced = Vec::new();
    for (i, e) in batch.entries.iter().enumerate() {
        if let Some(blob) = BlobRef::of_payload(&e.payload) {
            match storage.blob(&device.team_id, &blob.sha256)? {
                Some(st) if st.complete && st.size == blob.size => {}
                Some(st) if st.size != blob.size && blob_after_record => {
                    return Err(ServerError::Malformed(
                        "blob size differs from its first upload".into(),
                    ))
                }
                _ if blob_after_record => announced.push((i, blob)),
                _ => return Err(ServerError::BlobMissing),
            }
        }
    }
    let now = ctx.now_ms();
    let outcomes = storage.push(&device, &batch.entries, now, &|e, head| {
        validate_entry(&device, e, now)?;
        anchor_entry(&device, e, head, now)
    })?;
    let pending_blobs = if blob_after_record {
        // Only records the team now holds make their blob expected (a rejected entry's
        // blob is nobody's business).
        let expect: Vec<BlobRef> = announced
            .into_iter()
            .filter(|(i, _)| {
                outcomes
                    .get(*i)
                    .is_some_and(|o| matches!(o.effective(), EntryOutcome::Applied))
            })
            .map(|(_, b)| b)
            .collect();
        storage.blobs_expect(&device.team_id, &device.id, &expect, now)?;
        storage.blobs_expected_from(&device.id)?
    } else {
        Vec::new()
    };
    // A receipt whenever the batch holds an anchored incident entry (applied now, or a
    // repeat of one applied: the answer to the first delivery may have been lost).
    let anchored = batch.entries.iter().zip(&outcomes).any(|(e, o)| {
        e.kind == OUTBOX_KIND_ENTRY && matches!(o.effective(), EntryOutcome::Applied)
    });
    let receipt = match anchored {
        false => None,
        true => match storage.chain_head(&device.id)? {
            None => None,
            Some(h) => Some(h.receipt(&device, ctx.server_key()?)),
        },
    };
    ctx.saw(&device.id);
    keep_report(ctx, &device.id, batch.pending.as_ref(), now);
    Ok(PushResult {
        schema_version: batch.schema_version,
        server_time_ms: Some(ctx.now_ms()),
        receipt,
        pending_blobs,
        results: batch
            .entries
            .iter()
            .zip(outcomes)
            .map(|(e, outcome)| EntryResult {
                seq: e.seq,
                op_id: e.op_id.clone(),
                outcome,
            })
            .collect(),
    })
}

/// Keeps what a device reported it still has to send (a request whose signature verified;
/// the figure itself is not signed). The request's work is done or about to be: a figure
/// that cannot be kept is logged, not refused, and the Team page shows the earlier one.
fn keep_report(ctx: &Ctx, device_id: &str, pending: Option<&Pending>, now_ms: u64) {
    let Some(p) = pending else {
        return;
    };
    if let Err(e) = ctx.storage.report_pending(device_id, p, now_ms) {
        tracing::warn!(error = %e, "a device's pending report was not kept");
    }
}

pub fn pull(ctx: &Ctx, req: &PullRequest) -> Result<PullPage, ServerError> {
    let storage = ctx.storage.as_ref();
    check_version(req.schema_version)?;
    let device = authenticate(storage, &req.device_id)?;
    if !req.verify(&device.public_key) {
        return Err(ServerError::BadSignature);
    }
    let now = ctx.now_ms();
    if now.abs_diff(req.issued_ms) > PULL_FRESHNESS_MS {
        return Err(ServerError::StaleRequest);
    }
    keep_report(ctx, &device.id, req.pending.as_ref(), now);
    let limit = req.limit.clamp(1, MAX_PULL_LIMIT);
    let mut page = storage.pull(&device.team_id, req.cursor, limit)?;
    // Keep the answer well under what a device reads (16 MiB): stop at PAGE_BYTES, but
    // always return at least one change so a large one cannot stall the team.
    let mut bytes = 0usize;
    let fit = page
        .changes
        .iter()
        .position(|c| {
            bytes = bytes.saturating_add(c.payload.to_string().len() + 256);
            bytes > PAGE_BYTES
        })
        .map(|i| i.max(1))
        .unwrap_or(page.changes.len());
    if fit < page.changes.len() {
        page.changes.truncate(fit);
        page.has_more = true;
    }
    if req.cursor > page.high_water {
        return Ok(PullPage {
            schema_version: req.schema_version,
            changes: vec![],
            next_cursor: 0,
            has_more: true,
            resync_from_scratch: true,
            server_time_ms: Some(now),
        });
    }
    let next_cursor = page
        .changes
        .last()
        .map(|c| c.server_seq)
        .unwrap_or(req.cursor);
    ctx.saw(&device.id);
    Ok(PullPage {
        schema_version: req.schema_version,
        changes: page.changes,
        next_cursor,
        has_more: page.has_more,
        resync_from_scratch: false,
        server_time_ms: Some(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_normalise() {
        assert_eq!(code_hash("ab12-cd34"), code_hash("AB12CD34"));
        assert_ne!(code_hash("AB12CD34"), code_hash("AB12CD35"));
    }
}
