//! The device side of sync: enroll once, then `sync_now` pushes the outbox and pulls the
//! team's changes. Calls block (network and SQLite): run them off the UI thread.
//!
//! Guarantees: an outbox entry leaves only in the transaction that records the server's
//! acknowledgement; the pull cursor moves only in the transaction that stores the changes
//! it brought; a transient failure loses nothing and schedules the next attempt.

use serde::de::DeserializeOwned;

use crate::store::{now_ms, outbox, Database, OutboxEntry};
use crate::sync::apply::{self, Appliers, InboxState};
use crate::sync::backoff::{parse_retry_after, RetryPolicy};
use crate::sync::error::SyncError;
use crate::sync::protocol::{
    codes, paths, ChainReceipt, EnrollRequest, EnrollResponse, EntryOutcome, ErrorBody, PullPage,
    PullRequest, PushBatch, PushEntry, PushResult, SCHEMA_VERSION, SKIP_KIND,
};
use crate::sync::state::{self, SyncState, SyncStatus};
use crate::sync::transport::{Response, Transport, TransportError};

/// What one `sync_now` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Entries acknowledged (applied now or earlier) and removed from the outbox.
    pub acked: u64,
    /// Entries the server refused, now quarantined.
    pub quarantined: u64,
    /// New remote changes stored in the inbox.
    pub received: u64,
    /// Of those, applied by a domain applier.
    pub applied: u64,
    /// Of those, refused for a clock stamp too far ahead.
    pub refused: u64,
}

/// The enrollment as the server answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub team_id: String,
    pub device_id: String,
}

pub struct SyncEngine {
    transport: Box<dyn Transport>,
    appliers: Appliers,
    policy: RetryPolicy,
    batch_size: u32,
    pull_limit: u32,
    max_batch_bytes: usize,
}

/// Default ceiling of an encoded push batch; must stay below the server's body limit
/// (1 MiB by default), so an entry too large is caught here rather than by a 413.
pub const DEFAULT_MAX_BATCH_BYTES: usize = 256 * 1024;

/// Room left in a batch for its envelope (device id, signature, field names).
const ENVELOPE_BYTES: usize = 512;

enum Answer {
    Ok(Vec<u8>),
    Failed(Failure),
}

/// A non-success, classified.
enum Failure {
    Transient {
        reason: String,
        retry_after_ms: Option<u64>,
    },
    /// A 4xx with its error code and (for gaps) the expected seq.
    Refused {
        status: u16,
        body: Option<ErrorBody>,
    },
}

fn random_u64() -> u64 {
    crate::crypto::random::bytes::<8>()
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SyncError> {
    serde_json::from_slice(bytes).map_err(|_| SyncError::Protocol("malformed answer".into()))
}

fn classify(result: Result<Response, TransportError>) -> Answer {
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            return Answer::Failed(Failure::Transient {
                reason: e.to_string(),
                retry_after_ms: None,
            })
        }
    };
    match resp.status {
        200..=299 => Answer::Ok(resp.body),
        429 | 500..=599 => Answer::Failed(Failure::Transient {
            reason: format!("server answered {}", resp.status),
            retry_after_ms: resp
                .header("retry-after")
                .and_then(|v| parse_retry_after(v, now_ms())),
        }),
        status => Answer::Failed(Failure::Refused {
            status,
            body: serde_json::from_slice(&resp.body).ok(),
        }),
    }
}

impl SyncEngine {
    /// An engine on `transport` with the domain appliers of [`crate::sync::default_appliers`]
    /// (replace them with [`SyncEngine::with_appliers`]).
    pub fn new(transport: Box<dyn Transport>) -> SyncEngine {
        SyncEngine {
            transport,
            appliers: crate::sync::default_appliers(),
            policy: RetryPolicy::default(),
            batch_size: 100,
            pull_limit: 200,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
        }
    }

    pub fn with_appliers(mut self, appliers: Appliers) -> Self {
        self.appliers = appliers;
        self
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Entries per push batch and changes per pull page (at least 1 each).
    pub fn with_page_sizes(mut self, batch_size: u32, pull_limit: u32) -> Self {
        self.batch_size = batch_size.max(1);
        self.pull_limit = pull_limit.max(1);
        self
    }

    /// Largest encoded push batch; an entry that alone exceeds it is quarantined locally
    /// ("too large to send") and a skip marker goes in its place.
    pub fn with_max_batch_bytes(mut self, bytes: usize) -> Self {
        self.max_batch_bytes = bytes.max(ENVELOPE_BYTES * 2);
        self
    }

    /// Registers this device with the team server using a one-time `code`. Records the
    /// server URL (as given, for the app to rebuild its transport), the team and the
    /// officer in the store. Blocking.
    pub fn enroll(
        &self,
        db: &mut Database,
        server_url: &str,
        code: &str,
        officer: &str,
    ) -> Result<Enrollment, SyncError> {
        if state::load(db.conn())?.enrolled() {
            return Err(SyncError::AlreadyEnrolled);
        }
        let req = EnrollRequest {
            schema_version: SCHEMA_VERSION,
            code: code.to_string(),
            device_id: db.device_id().to_string(),
            public_key: hex::encode(db.device_key().public_key()),
            officer: officer.to_string(),
        };
        let body = serde_json::to_vec(&req)
            .map_err(|_| SyncError::Protocol("cannot encode request".into()))?;
        let resp: EnrollResponse = match classify(self.transport.post(paths::ENROLL, body)) {
            Answer::Ok(b) => decode(&b)?,
            Answer::Failed(Failure::Transient { reason, .. }) => {
                return Err(SyncError::Transient {
                    reason,
                    next_attempt_ms: now_ms(),
                })
            }
            Answer::Failed(Failure::Refused { status, body }) => {
                return Err(SyncError::EnrollmentRefused {
                    code: body.map(|b| b.error).unwrap_or_else(|| status.to_string()),
                })
            }
        };
        if resp.device_id != db.device_id() {
            return Err(SyncError::Protocol("enrollment for another device".into()));
        }
        db.sync_transaction(|tx, _| {
            let mut s = state::load(tx)?;
            s.server_url = Some(server_url.to_string());
            s.team_id = Some(resp.team_id.clone());
            s.officer = Some(officer.to_string());
            s.revoked = false;
            s.server_public_key = resp.server_public_key.clone();
            state::save(tx, &s)?;
            Ok::<_, SyncError>(())
        })?;
        Ok(Enrollment {
            team_id: resp.team_id,
            device_id: resp.device_id,
        })
    }

    /// Pushes the whole outbox, then pulls until the server has nothing more. Blocking.
    /// Ignores any scheduled backoff (for a user's "sync now"); see [`Self::sync_if_due`].
    pub fn sync_now(&self, db: &mut Database) -> Result<SyncReport, SyncError> {
        let s = state::load(db.conn())?;
        if s.revoked {
            return Err(SyncError::Revoked);
        }
        if !s.enrolled() {
            return Err(SyncError::NotEnrolled);
        }
        let mut report = SyncReport::default();
        let result = self
            .push_all(db, &mut report)
            .and_then(|()| self.pull_all(db, &mut report));
        match result {
            Ok(()) => {
                db.sync_transaction(|tx, _| {
                    let mut s = state::load(tx)?;
                    s.last_success_ms = Some(now_ms());
                    s.last_error = None;
                    s.failures = 0;
                    s.next_attempt_ms = None;
                    state::save(tx, &s)?;
                    Ok::<_, SyncError>(())
                })?;
                Ok(report)
            }
            Err(e) => {
                if !e.is_transient() {
                    self.record_error(db, &e)?;
                }
                Err(e)
            }
        }
    }

    /// Runs `sync_now` only if no backoff is pending (`None` when it is not yet due).
    pub fn sync_if_due(&self, db: &mut Database) -> Result<Option<SyncReport>, SyncError> {
        let s = state::load(db.conn())?;
        if s.next_attempt_ms.is_some_and(|at| at > now_ms()) {
            return Ok(None);
        }
        self.sync_now(db).map(Some)
    }

    fn record_error(&self, db: &mut Database, e: &SyncError) -> Result<(), SyncError> {
        let revoked = matches!(e, SyncError::Revoked);
        let msg = e.to_string();
        db.sync_transaction(|tx, _| {
            let mut s = state::load(tx)?;
            s.last_error = Some(msg);
            s.revoked |= revoked;
            s.next_attempt_ms = None;
            state::save(tx, &s)?;
            Ok::<_, SyncError>(())
        })
    }

    /// Records a transient failure: attempts on the entries in flight, the backoff, the
    /// next attempt. Returns the error to hand back.
    fn transient(
        &self,
        db: &mut Database,
        in_flight: &[u64],
        reason: String,
        retry_after_ms: Option<u64>,
    ) -> SyncError {
        let policy = self.policy;
        let saved = db.sync_transaction(|tx, _| {
            outbox::record_attempt(tx, in_flight, &reason)?;
            let mut s = state::load(tx)?;
            s.failures = s.failures.saturating_add(1);
            let delay = policy.delay_ms(s.failures, retry_after_ms, random_u64());
            let at = now_ms().saturating_add(delay);
            s.next_attempt_ms = Some(at);
            s.last_error = Some(reason.clone());
            state::save(tx, &s)?;
            Ok::<_, SyncError>(at)
        });
        match saved {
            Ok(next_attempt_ms) => SyncError::Transient {
                reason,
                next_attempt_ms,
            },
            Err(e) => e,
        }
    }

    fn refused(status: u16, body: Option<ErrorBody>) -> SyncError {
        let code = body
            .as_ref()
            .map(|b| b.error.clone())
            .unwrap_or_else(|| status.to_string());
        match (status, code.as_str()) {
            (403, _) | (_, codes::REVOKED) => SyncError::Revoked,
            (409, codes::SEQUENCE_GAP) => SyncError::SequenceGap {
                expected: body.and_then(|b| b.expected_seq).unwrap_or(0),
            },
            (401, codes::STALE_REQUEST) => SyncError::ClockSkew,
            (401, _) => SyncError::Unauthorized { code },
            _ => SyncError::Protocol(format!("status {status} ({code})")),
        }
    }

    fn push_all(&self, db: &mut Database, report: &mut SyncReport) -> Result<(), SyncError> {
        let mut batch_size = self.batch_size;
        loop {
            let mut entries = outbox::sendable(db.conn(), batch_size)?;
            if entries.is_empty() {
                return Ok(());
            }
            let fit = self.fitting(&entries);
            if fit == 0 {
                // The first entry alone is too large to send: quarantine it here.
                let seq = entries[0].seq;
                db.sync_transaction(|tx, _| {
                    outbox::quarantine(tx, seq, "too large to send", outbox::Q_LOCAL)?;
                    Ok::<_, SyncError>(())
                })?;
                report.quarantined += 1;
                continue;
            }
            entries.truncate(fit);
            let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
            let wire: Vec<PushEntry> = entries.iter().map(to_wire).collect();
            let batch = PushBatch::signed(db.device_id(), wire, db.device_key());
            let body = serde_json::to_vec(&batch)
                .map_err(|_| SyncError::Protocol("cannot encode batch".into()))?;
            match classify(self.transport.post(paths::PUSH, body)) {
                Answer::Ok(b) => {
                    let result: PushResult = decode(&b)?;
                    self.record_results(db, &entries, &result, report)?;
                }
                Answer::Failed(Failure::Transient {
                    reason,
                    retry_after_ms,
                }) => return Err(self.transient(db, &seqs, reason, retry_after_ms)),
                Answer::Failed(Failure::Refused { status, body })
                    if status == 413 || (status == 400 && body_code(&body) == codes::MALFORMED) =>
                {
                    if entries.len() > 1 {
                        // Find the entry at fault: smaller batches, down to one.
                        batch_size = (entries.len() as u32 / 2).max(1);
                        continue;
                    }
                    let e = &entries[0];
                    if e.quarantined {
                        return Err(SyncError::Protocol(format!(
                            "skip marker refused with status {status}"
                        )));
                    }
                    let reason = if status == 413 {
                        "too large for the server"
                    } else {
                        "refused by the server as malformed"
                    };
                    db.sync_transaction(|tx, _| {
                        outbox::quarantine(tx, e.seq, reason, outbox::Q_LOCAL)?;
                        Ok::<_, SyncError>(())
                    })?;
                    report.quarantined += 1;
                }
                Answer::Failed(Failure::Refused { status, body }) => {
                    return Err(Self::refused(status, body))
                }
            }
        }
    }

    /// How many leading entries fit in one batch of `max_batch_bytes`.
    fn fitting(&self, entries: &[OutboxEntry]) -> usize {
        let mut size = ENVELOPE_BYTES;
        for (i, e) in entries.iter().enumerate() {
            // Upper bound of the entry's JSON (the signature does not depend on it).
            let n = serde_json::to_vec(&to_wire(e))
                .map(|v| v.len())
                .unwrap_or(usize::MAX);
            size = size.saturating_add(n + 1);
            if size > self.max_batch_bytes {
                return i;
            }
        }
        entries.len()
    }

    fn record_results(
        &self,
        db: &mut Database,
        entries: &[OutboxEntry],
        result: &PushResult,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        if result.results.len() != entries.len()
            || result
                .results
                .iter()
                .zip(entries)
                .any(|(r, e)| r.seq != e.seq || r.op_id != e.op_id)
        {
            return Err(SyncError::Protocol("results do not match the batch".into()));
        }
        let receipt = checked_receipt(db, result)?;
        let (acked, quarantined) = db.sync_transaction(|tx, _| {
            let (mut acked, mut quarantined) = (0u64, 0u64);
            if let Some((r, key)) = &receipt {
                crate::incident::anchor::store_receipt(tx, r, key)?;
            }
            for (r, e) in result.results.iter().zip(entries) {
                if e.quarantined {
                    // Our skip marker was answered: the seq is consumed. The entry stays
                    // quarantined here with its local reason, whatever the answer.
                    let local = e.last_error.clone().unwrap_or_default();
                    outbox::quarantine(tx, e.seq, &local, outbox::Q_SERVER)?;
                    continue;
                }
                match r.outcome.effective() {
                    EntryOutcome::Applied => {
                        outbox::ack(tx, e.seq)?;
                        acked += 1;
                    }
                    EntryOutcome::Rejected { reason } => {
                        outbox::quarantine(tx, e.seq, reason, outbox::Q_SERVER)?;
                        quarantined += 1;
                    }
                    EntryOutcome::Duplicate { .. } => {
                        return Err(SyncError::Protocol("nested duplicate".into()))
                    }
                }
            }
            Ok::<_, SyncError>((acked, quarantined))
        })?;
        report.acked += acked;
        report.quarantined += quarantined;
        Ok(())
    }

    fn pull_all(&self, db: &mut Database, report: &mut SyncReport) -> Result<(), SyncError> {
        let mut resynced = false;
        loop {
            let cursor = state::load(db.conn())?.pull_cursor;
            let req = PullRequest::signed(
                db.device_id(),
                cursor,
                self.pull_limit,
                now_ms(),
                db.device_key(),
            );
            let body = serde_json::to_vec(&req)
                .map_err(|_| SyncError::Protocol("cannot encode request".into()))?;
            let page: PullPage = match classify(self.transport.post(paths::PULL, body)) {
                Answer::Ok(b) => decode(&b)?,
                Answer::Failed(Failure::Transient {
                    reason,
                    retry_after_ms,
                }) => return Err(self.transient(db, &[], reason, retry_after_ms)),
                Answer::Failed(Failure::Refused { status, body }) => {
                    return Err(Self::refused(status, body))
                }
            };
            if page.resync_from_scratch {
                if resynced {
                    return Err(SyncError::Protocol("repeated resync".into()));
                }
                resynced = true;
                db.sync_transaction(|tx, _| {
                    let mut s = state::load(tx)?;
                    s.pull_cursor = 0;
                    state::save(tx, &s)?;
                    Ok::<_, SyncError>(())
                })?;
                continue;
            }
            let own = db.device_id().to_string();
            let appliers = &self.appliers;
            let counts = db.sync_transaction(|tx, clock| {
                let mut counts = SyncReport::default();
                for c in page.changes.iter().filter(|c| c.device_id != own) {
                    match apply::receive(tx, clock, appliers, c)? {
                        None => {}
                        Some(st) => {
                            counts.received += 1;
                            match st {
                                InboxState::Applied => counts.applied += 1,
                                InboxState::Refused => counts.refused += 1,
                                InboxState::Stored | InboxState::Failed => {}
                            }
                        }
                    }
                }
                let mut s: SyncState = state::load(tx)?;
                s.pull_cursor = page.next_cursor;
                state::save(tx, &s)?;
                Ok::<_, SyncError>(counts)
            })?;
            report.received += counts.received;
            report.applied += counts.applied;
            report.refused += counts.refused;
            if !page.has_more {
                return Ok(());
            }
        }
    }
}

/// The push answer's receipt, verified against the server key stored at enrollment
/// (none when enrolled with a server that does not sign receipts: nothing to check it
/// with, so it is not kept). A receipt that does not verify is a protocol error.
fn checked_receipt(
    db: &Database,
    result: &PushResult,
) -> Result<Option<(ChainReceipt, [u8; 32])>, SyncError> {
    let Some(r) = &result.receipt else {
        return Ok(None);
    };
    let Some(key) = state::load(db.conn())?.server_public_key else {
        return Ok(None);
    };
    let key: [u8; 32] = hex::decode(&key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| SyncError::Protocol("stored server key is malformed".into()))?;
    if r.device_id != db.device_id() || !r.verify(&key) {
        return Err(SyncError::Protocol("chain receipt does not verify".into()));
    }
    Ok(Some((r.clone(), key)))
}

fn body_code(body: &Option<ErrorBody>) -> &str {
    body.as_ref().map(|b| b.error.as_str()).unwrap_or("")
}

fn to_wire(e: &OutboxEntry) -> PushEntry {
    if e.quarantined {
        // A locally quarantined entry: only a marker goes, never its content.
        PushEntry {
            seq: e.seq,
            op_id: e.op_id.clone(),
            hlc: e.hlc.clone(),
            kind: SKIP_KIND.to_string(),
            entity_id: String::new(),
            payload: serde_json::json!({}),
        }
    } else {
        PushEntry {
            seq: e.seq,
            op_id: e.op_id.clone(),
            hlc: e.hlc.clone(),
            kind: e.kind.clone(),
            entity_id: e.entity_id.clone(),
            payload: e.payload.clone(),
        }
    }
}

/// The sync status for the UI: pending and quarantined counts, last success, last error,
/// next scheduled attempt, revocation.
pub fn status(db: &Database) -> Result<SyncStatus, SyncError> {
    Ok(state::status(db.conn())?)
}
