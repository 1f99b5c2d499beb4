//! The device side of sync: enroll once, then `sync_now` pushes the outbox and pulls the
//! team's changes. Calls block (network and SQLite): run them off the UI thread.
//!
//! Guarantees: an outbox entry leaves only in the transaction that records the server's
//! acknowledgement; the pull cursor moves only in the transaction that stores the changes
//! it brought; a transient failure loses nothing and schedules the next attempt.

use std::sync::Arc;

use rusqlite::Transaction;
use serde::de::DeserializeOwned;

use crate::clock::offset_from_answer;
use crate::error::StoreResult;
use crate::store::{outbox, stamps, Database, OutboxEntry};
use crate::sync::apply::{self, Appliers, InboxState};
use crate::sync::backoff::{parse_retry_after, RetryPolicy};
use crate::sync::blobs::{self, BlobHost, LocalBlob, OutgoingProblem, Transfer};
use crate::sync::error::SyncError;
use crate::sync::hlc::{HlcClock, MAX_FORWARD_DRIFT_MS};
use crate::sync::protocol::{
    codes, paths, ChainReceipt, EnrollRequest, EnrollResponse, EntryOutcome, ErrorBody, PullPage,
    PullRequest, PushBatch, PushEntry, PushResult, MAX_PULL_LIMIT, SCHEMA_VERSION, SKIP_KIND,
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
    /// Blobs (attachment files) uploaded whole before the entries that reference them.
    pub blobs_uploaded: u64,
    /// Teammates' blobs downloaded and verified.
    pub blobs_downloaded: u64,
    /// Downloads that could not complete (reason kept with the attachment; retried).
    pub blobs_failed: u64,
}

/// How far a running `sync_now` has got, for a progress line or bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncProgress {
    /// A batch was acknowledged: entries acknowledged so far, entries still queued.
    Pushed { acked: u64, pending: u64 },
    /// An attachment file is whole on the server (count so far in this sync).
    Uploaded { blobs: u64 },
    /// A page of team changes was stored (new changes so far in this sync).
    Pulled { received: u64 },
    /// A teammate's attachment file arrived: so far, and still to fetch.
    Downloaded { blobs: u64, remaining: u64 },
}

/// Receives [`SyncProgress`] on the thread running the sync; must return quickly.
pub type ProgressSink = Arc<dyn Fn(SyncProgress) + Send + Sync>;

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
    blobs: Arc<dyn BlobHost>,
    progress: Option<ProgressSink>,
}

/// Default most entries per push batch. The byte ceiling ([`DEFAULT_MAX_BATCH_BYTES`])
/// usually binds first (about 200 signed incident entries); each batch costs a round trip,
/// a signature each way and a durable commit on the server, so fewer, fuller batches.
pub const DEFAULT_BATCH_SIZE: u32 = 500;

/// Default changes per pull page: the most the server gives ([`MAX_PULL_LIMIT`]); each
/// page is stored in one transaction.
pub const DEFAULT_PULL_LIMIT: u32 = MAX_PULL_LIMIT;

/// Default ceiling of an encoded push batch; must stay below the server's body limit
/// (1 MiB by default), so an entry too large is caught here rather than by a 413.
pub const DEFAULT_MAX_BATCH_BYTES: usize = 256 * 1024;

/// Room left in a batch for its envelope (device id, signature, field names).
const ENVELOPE_BYTES: usize = 512;

pub(crate) enum Answer {
    Ok(Vec<u8>),
    Failed(Failure),
}

/// A non-success, classified.
pub(crate) enum Failure {
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

/// Before pushing, the engine asks the server's time (an empty push batch) unless it
/// learned it this recently on its wall clock: a clock that jumped while offline would
/// otherwise send stamps the server refuses for good.
pub const PROBE_AFTER_MS: u64 = 60_000;

/// `wall_ms` (this device's clock) is only used to read an HTTP-date `Retry-After`.
pub(crate) fn classify(result: Result<Response, TransportError>, wall_ms: u64) -> Answer {
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
                .and_then(|v| parse_retry_after(v, wall_ms)),
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
            batch_size: DEFAULT_BATCH_SIZE,
            pull_limit: DEFAULT_PULL_LIMIT,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
            blobs: Arc::new(crate::incident::transfer::Attachments),
            progress: None,
        }
    }

    /// Reports progress to `sink` while a sync runs.
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    fn tell(&self, p: SyncProgress) {
        if let Some(sink) = &self.progress {
            sink(p);
        }
    }

    /// Replaces the domain side of blobs (by default the incident attachments).
    pub fn with_blob_host(mut self, host: Arc<dyn BlobHost>) -> Self {
        self.blobs = host;
        self
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
        let (answer, sent, received) = self.exchange(db, paths::ENROLL, body);
        let resp: EnrollResponse = match answer {
            Answer::Ok(b) => decode(&b)?,
            Answer::Failed(Failure::Transient { reason, .. }) => {
                return Err(SyncError::Transient {
                    reason,
                    next_attempt_ms: db.wall_ms(),
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
        // The server's time comes with the enrollment: a device whose clock is off stamps
        // right from its first change on, and what it wrote before is rebased now.
        let offset = learn(sent, received, resp.server_time_ms);
        let device = db.device_id().to_string();
        db.sync_transaction(|tx, clock| {
            adopt(tx, clock, &device, offset, received)?;
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
            .probe_time(db)
            .and_then(|()| self.push_all(db, &mut report))
            .and_then(|()| self.pull_all(db, &mut report))
            .and_then(|()| self.download_all(db, &mut report));
        match result {
            Ok(()) => {
                let wall = db.wall_ms();
                db.sync_transaction(|tx, _| {
                    let mut s = state::load(tx)?;
                    s.last_success_ms = Some(wall);
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
        if s.next_attempt_ms.is_some_and(|at| at > db.wall_ms()) {
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
        let wall = db.wall_ms();
        let saved = db.sync_transaction(|tx, _| {
            outbox::record_attempt(tx, in_flight, &reason)?;
            let mut s = state::load(tx)?;
            s.failures = s.failures.saturating_add(1);
            let delay = policy.delay_ms(s.failures, retry_after_ms, random_u64());
            let at = wall.saturating_add(delay);
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
        // Set after the server said a blob we had uploaded is missing (it was restored
        // from an older copy): upload every blob of the batch again, once.
        let mut recheck_blobs = false;
        'batches: loop {
            let mut entries = outbox::sendable(db.conn(), batch_size)?;
            if entries.is_empty() {
                return Ok(());
            }
            let (mut wire, mut needs, unsendable) = self.wire_entries(db, &entries)?;
            if wire.is_empty() {
                if let Some((seq, reason)) = unsendable {
                    self.quarantine_local(db, seq, reason)?;
                    report.quarantined += 1;
                    continue;
                }
            }
            let fit = self.fitting(&wire);
            if fit == 0 {
                // The first entry alone is too large to send: quarantine it here.
                self.quarantine_local(db, entries[0].seq, "too large to send")?;
                report.quarantined += 1;
                continue;
            }
            entries.truncate(fit);
            wire.truncate(fit);
            needs.retain(|(i, _)| *i < fit);
            let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
            // Every blob an entry of this batch references goes first, whole.
            for (i, local) in &needs {
                if local.uploaded && !recheck_blobs {
                    continue;
                }
                match blobs::upload(self.transport.as_ref(), db, local) {
                    Transfer::Done => {
                        db.sync_transaction(|tx, _| self.blobs.uploaded(tx, &local.blob))?;
                        report.blobs_uploaded += 1;
                        self.tell(SyncProgress::Uploaded {
                            blobs: report.blobs_uploaded,
                        });
                    }
                    Transfer::Refused(reason) => {
                        self.quarantine_local(db, entries[*i].seq, &reason)?;
                        report.quarantined += 1;
                        continue 'batches;
                    }
                    Transfer::Failed(f) => return Err(self.failed(db, &seqs, f)),
                    Transfer::Malformed => {
                        return Err(SyncError::Protocol("malformed answer".into()))
                    }
                }
            }
            let batch = PushBatch::signed(db.device_id(), wire, db.device_key());
            let body = serde_json::to_vec(&batch)
                .map_err(|_| SyncError::Protocol("cannot encode batch".into()))?;
            let (answer, sent, received) = self.exchange(db, paths::PUSH, body);
            match answer {
                Answer::Ok(b) => {
                    let result: PushResult = decode(&b)?;
                    let offset = learn(sent, received, result.server_time_ms);
                    self.record_results(db, &entries, &result, report, offset, received)?;
                    recheck_blobs = false;
                    if self.progress.is_some() {
                        let pending = outbox::status(db.conn())?.pending;
                        self.tell(SyncProgress::Pushed {
                            acked: report.acked,
                            pending,
                        });
                    }
                }
                Answer::Failed(Failure::Transient {
                    reason,
                    retry_after_ms,
                }) => return Err(self.transient(db, &seqs, reason, retry_after_ms)),
                Answer::Failed(Failure::Refused { status: 409, body })
                    if body_code(&body) == codes::BLOB_MISSING =>
                {
                    if recheck_blobs {
                        return Err(SyncError::Protocol(
                            "the server keeps refusing an uploaded blob".into(),
                        ));
                    }
                    recheck_blobs = true;
                }
                Answer::Failed(Failure::Refused { status, body })
                    if status == 413 || (status == 400 && body_code(&body) == codes::MALFORMED) =>
                {
                    learn_from_error(db, sent, received, &body)?;
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
                    self.quarantine_local(db, e.seq, reason)?;
                    report.quarantined += 1;
                }
                Answer::Failed(Failure::Refused { status, body }) => {
                    learn_from_error(db, sent, received, &body)?;
                    return Err(Self::refused(status, body));
                }
            }
        }
    }

    /// The wire form of `entries`, completed by the blob host, with the blobs they need
    /// (by index). Stops before the first entry that cannot be sent at all, and names it.
    #[allow(clippy::type_complexity)]
    fn wire_entries(
        &self,
        db: &Database,
        entries: &[OutboxEntry],
    ) -> Result<
        (
            Vec<PushEntry>,
            Vec<(usize, LocalBlob)>,
            Option<(u64, &'static str)>,
        ),
        SyncError,
    > {
        let mut wire = Vec::with_capacity(entries.len());
        let mut needs = Vec::new();
        for e in entries {
            let mut w = to_wire(e);
            if !e.quarantined {
                match self.blobs.outgoing(db, &mut w) {
                    Ok(Some(local)) => needs.push((wire.len(), local)),
                    Ok(None) => {}
                    Err(OutgoingProblem::Unsendable(reason)) => {
                        return Ok((wire, needs, Some((e.seq, reason))))
                    }
                    Err(OutgoingProblem::Store(s)) => return Err(s.into()),
                }
            }
            wire.push(w);
        }
        Ok((wire, needs, None))
    }

    fn quarantine_local(&self, db: &mut Database, seq: u64, reason: &str) -> Result<(), SyncError> {
        db.sync_transaction(|tx, _| {
            outbox::quarantine(tx, seq, reason, outbox::Q_LOCAL)?;
            Ok::<_, SyncError>(())
        })
    }

    /// A failed exchange: transient ones are recorded and scheduled, others classified.
    fn failed(&self, db: &mut Database, in_flight: &[u64], f: Failure) -> SyncError {
        match f {
            Failure::Transient {
                reason,
                retry_after_ms,
            } => self.transient(db, in_flight, reason, retry_after_ms),
            Failure::Refused { status, body } => Self::refused(status, body),
        }
    }

    /// Downloads every teammate's blob the pulled changes refer to and that is not here.
    fn download_all(&self, db: &mut Database, report: &mut SyncReport) -> Result<(), SyncError> {
        let wanted = self.blobs.wanted(db)?;
        let total = wanted.len() as u64;
        for (i, want) in wanted.into_iter().enumerate() {
            match blobs::download(self.transport.as_ref(), db, &want) {
                Transfer::Done => {
                    db.sync_transaction(|tx, _| self.blobs.installed(tx, &want))?;
                    report.blobs_downloaded += 1;
                    self.tell(SyncProgress::Downloaded {
                        blobs: report.blobs_downloaded,
                        remaining: total - i as u64 - 1,
                    });
                }
                Transfer::Refused(reason) => {
                    db.sync_transaction(|tx, _| self.blobs.failed(tx, &want, &reason))?;
                    report.blobs_failed += 1;
                }
                Transfer::Failed(f) => return Err(self.failed(db, &[], f)),
                Transfer::Malformed => return Err(SyncError::Protocol("malformed answer".into())),
            }
        }
        Ok(())
    }

    /// Posts `body` and returns the classified answer with the wall-clock times it was
    /// sent and received (to learn the server's offset from the answer).
    fn exchange(&self, db: &Database, path: &str, body: Vec<u8>) -> (Answer, u64, u64) {
        let sent = db.wall_ms();
        let result = self.transport.post(path, body);
        let received = db.wall_ms();
        (classify(result, received), sent, received)
    }

    /// When there is something to push and the server's time was not learned within
    /// [`PROBE_AFTER_MS`] (on this device's clock, either way), asks for it with an empty
    /// push batch and adopts it, rebasing this device's stamps if they are far ahead.
    fn probe_time(&self, db: &mut Database) -> Result<(), SyncError> {
        let learned = state::load(db.conn())?.clock_learned_ms;
        let wall = db.wall_ms();
        let fresh = learned.is_some_and(|at| at <= wall && wall - at <= PROBE_AFTER_MS);
        if fresh || outbox::status(db.conn())?.pending == 0 {
            return Ok(());
        }
        let batch = PushBatch::signed(db.device_id(), vec![], db.device_key());
        let body = serde_json::to_vec(&batch)
            .map_err(|_| SyncError::Protocol("cannot encode batch".into()))?;
        let (answer, sent, received) = self.exchange(db, paths::PUSH, body);
        match answer {
            Answer::Ok(b) => {
                let result: PushResult = decode(&b)?;
                let offset = learn(sent, received, result.server_time_ms);
                let device = db.device_id().to_string();
                db.sync_transaction(|tx, clock| {
                    adopt(tx, clock, &device, offset, received)?;
                    Ok::<_, SyncError>(())
                })
            }
            Answer::Failed(Failure::Transient {
                reason,
                retry_after_ms,
            }) => Err(self.transient(db, &[], reason, retry_after_ms)),
            Answer::Failed(Failure::Refused { status, body }) => {
                learn_from_error(db, sent, received, &body)?;
                Err(Self::refused(status, body))
            }
        }
    }

    /// How many leading entries fit in one batch of `max_batch_bytes`.
    fn fitting(&self, entries: &[PushEntry]) -> usize {
        let mut size = ENVELOPE_BYTES;
        for (i, e) in entries.iter().enumerate() {
            // Upper bound of the entry's JSON (the signature does not depend on it).
            let n = serde_json::to_vec(e).map(|v| v.len()).unwrap_or(usize::MAX);
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
        offset: Option<i64>,
        received_wall_ms: u64,
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
        let device = db.device_id().to_string();
        let (acked, quarantined) = db.sync_transaction(|tx, clock| {
            adopt(tx, clock, &device, offset, received_wall_ms)?;
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
        let mut relearned = false;
        loop {
            let cursor = state::load(db.conn())?.pull_cursor;
            // Signed at the team's time: the server checks it against its own clock.
            let req = PullRequest::signed(
                db.device_id(),
                cursor,
                self.pull_limit,
                db.now_ms(),
                db.device_key(),
            );
            let body = serde_json::to_vec(&req)
                .map_err(|_| SyncError::Protocol("cannot encode request".into()))?;
            let (answer, sent, received) = self.exchange(db, paths::PULL, body);
            let page: PullPage = match answer {
                Answer::Ok(b) => decode(&b)?,
                Answer::Failed(Failure::Transient {
                    reason,
                    retry_after_ms,
                }) => return Err(self.transient(db, &[], reason, retry_after_ms)),
                Answer::Failed(Failure::Refused { status, body }) => {
                    let learned = learn_from_error(db, sent, received, &body)?;
                    // Refused as stale: this device's clock moved since the offset was
                    // learned. With the server's time just learned, try once more.
                    if status == 401
                        && body_code(&body) == codes::STALE_REQUEST
                        && learned
                        && !relearned
                    {
                        relearned = true;
                        continue;
                    }
                    return Err(Self::refused(status, body));
                }
            };
            let offset = learn(sent, received, page.server_time_ms);
            if page.resync_from_scratch {
                if resynced {
                    return Err(SyncError::Protocol("repeated resync".into()));
                }
                resynced = true;
                let device = db.device_id().to_string();
                db.sync_transaction(|tx, clock| {
                    adopt(tx, clock, &device, offset, received)?;
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
                // The page's own time first: its stamps are judged on the team's time.
                adopt(tx, clock, &own, offset, received)?;
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
            self.tell(SyncProgress::Pulled {
                received: report.received,
            });
            if !page.has_more {
                return Ok(());
            }
        }
    }
}

/// The offset an answer teaches (none without a server time, or after a slow round trip).
fn learn(sent_wall_ms: u64, received_wall_ms: u64, server_time_ms: Option<u64>) -> Option<i64> {
    offset_from_answer(sent_wall_ms, received_wall_ms, server_time_ms?)
}

/// Adopts the server time an error body carries (in its own transaction). True when an
/// offset was learned.
fn learn_from_error(
    db: &mut Database,
    sent: u64,
    received: u64,
    body: &Option<ErrorBody>,
) -> Result<bool, SyncError> {
    let Some(offset) = learn(sent, received, body.as_ref().and_then(|b| b.server_time_ms)) else {
        return Ok(false);
    };
    let device = db.device_id().to_string();
    db.sync_transaction(|tx, clock| {
        adopt(tx, clock, &device, Some(offset), received)?;
        Ok::<_, SyncError>(true)
    })
}

/// Inside `tx`: adopts a learned offset (if any) into the clock and the sync state, and
/// when the clock's last stamp is then more than [`MAX_FORWARD_DRIFT_MS`] ahead of the
/// team's time, rebases this device's own stamps that are ahead
/// ([`stamps::rebase_own`]) and resets the clock to the highest stamp left.
fn adopt(
    tx: &Transaction<'_>,
    clock: &mut HlcClock,
    device: &str,
    offset: Option<i64>,
    received_wall_ms: u64,
) -> StoreResult<()> {
    let Some(offset) = offset else {
        return Ok(());
    };
    clock.set_offset_ms(offset);
    let mut s = state::load(tx)?;
    s.clock_learned_ms = Some(received_wall_ms);
    state::save(tx, &s)?;
    let now = clock.now_ms();
    let threshold = now.saturating_add(MAX_FORWARD_DRIFT_MS);
    if clock.last().physical_ms <= threshold {
        return Ok(());
    }
    let rebase = stamps::rebase_own(tx, device, threshold, now)?;
    // The clock must stay after every stamp it has seen from others, too.
    let remote: Option<String> = tx.query_row(
        "SELECT max(hlc) FROM remote_changes WHERE state <> 'refused'",
        [],
        |r| r.get(0),
    )?;
    let remote = remote.and_then(|t| t.parse::<crate::sync::Hlc>().ok());
    let highest = match (rebase.highest, remote) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let (ms, counter) = highest
        .map(|h| (h.physical_ms, h.counter))
        .unwrap_or((0, 0));
    clock.reset_last(ms, counter);
    Ok(())
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
