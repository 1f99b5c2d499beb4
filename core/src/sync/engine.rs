//! The device side of sync: enroll once, then `sync_now` pushes the outbox and pulls the
//! team's changes. Calls block on the network: run them off the UI thread.
//!
//! The engine holds the store only for short sections ([`StoreAccess`]): it reads what it
//! will send, posts it holding nothing, and records the answer in a short write
//! transaction. A store shared with the officer's calls is therefore never held across a
//! request.
//!
//! Guarantees: an outbox entry leaves only in the transaction that records the server's
//! acknowledgement; entries written while a push is in flight go in the next batch; the
//! pull cursor moves only in the transaction that stores the changes it brought (and only
//! from where the page was asked); a transient failure loses nothing and schedules the
//! next attempt.

use std::sync::Arc;

use rusqlite::Transaction;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::hlc::{HlcClock, MAX_FORWARD_DRIFT_MS};
use crate::clock::offset_from_answer;
use crate::error::StoreResult;
use crate::store::{outbox, stamps, Database, OutboxEntry};
use crate::sync::access::{Session, StoreAccess};
use crate::sync::answer::{classify, Answer, Failure};
use crate::sync::apply::{self, Appliers, InboxState};
use crate::sync::backoff::RetryPolicy;
use crate::sync::blobs::{self, BlobHost, LocalBlob, Meter, OutgoingProblem, Transfer};
use crate::sync::error::SyncError;
use crate::sync::protocol::{
    codes, paths, ChainReceipt, EnrollRequest, EnrollResponse, EntryOutcome, ErrorBody, Pending,
    PullPage, PullRequest, PushBatch, PushEntry, PushResult, MAX_PULL_LIMIT, SCHEMA_VERSION,
    SKIP_KIND,
};
use crate::sync::report::{ProgressSink, SyncProgress, SyncReport};
use crate::sync::state::{self, SyncState};
use crate::sync::transport::Transport;

/// The enrollment as the server answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub team_id: String,
    pub device_id: String,
}

/// Keeps the server's countersigned receipts of this device's chain (the incident log's
/// anchoring, `incident::anchor`).
pub trait ReceiptStore: Send + Sync {
    /// Keeps `r`, verified by the engine under `server_public_key`, in `tx`.
    fn keep(
        &self,
        tx: &Transaction<'_>,
        r: &ChainReceipt,
        server_public_key: &[u8; 32],
    ) -> StoreResult<()>;
}

/// What the domains give the engine: the appliers of pulled changes by kind, the host of
/// blobs (attachment files), the keeper of receipts. The engine names no domain module;
/// `crate::team::domain()` wires this crate's own.
#[derive(Clone)]
pub struct SyncDomain {
    pub appliers: Appliers,
    pub blobs: Arc<dyn BlobHost>,
    pub receipts: Arc<dyn ReceiptStore>,
}

pub struct SyncEngine {
    transport: Box<dyn Transport>,
    domain: SyncDomain,
    policy: RetryPolicy,
    batch_size: u32,
    pull_limit: u32,
    max_batch_bytes: usize,
    progress: Option<ProgressSink>,
    text_only: bool,
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

impl SyncEngine {
    /// An engine on `transport` for the domains in `domain`.
    pub fn new(transport: Box<dyn Transport>, domain: SyncDomain) -> SyncEngine {
        SyncEngine {
            transport,
            domain,
            policy: RetryPolicy::default(),
            batch_size: DEFAULT_BATCH_SIZE,
            pull_limit: DEFAULT_PULL_LIMIT,
            max_batch_bytes: DEFAULT_MAX_BATCH_BYTES,
            progress: None,
            text_only: false,
        }
    }

    /// Text only (e.g. on a metered or poor link): changes go and come as usual, attachment
    /// files wait for a sync without this. Never holds back a change.
    pub fn text_only(mut self, yes: bool) -> Self {
        self.text_only = yes;
        self
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

    /// Replaces the domain side of blobs.
    pub fn with_blob_host(mut self, host: Arc<dyn BlobHost>) -> Self {
        self.domain.blobs = host;
        self
    }

    pub fn with_appliers(mut self, appliers: Appliers) -> Self {
        self.domain.appliers = appliers;
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
    /// officer in the store. Blocks on the network, holding the store only to read the
    /// device's identity and to record the answer.
    pub fn enroll(
        &self,
        store: &mut dyn StoreAccess,
        server_url: &str,
        code: &str,
        officer: &str,
    ) -> Result<Enrollment, SyncError> {
        let mut s = Session::open(store)?;
        let req = s.with(|db| {
            if state::load(db.conn())?.enrolled() {
                return Err(SyncError::AlreadyEnrolled);
            }
            Ok(EnrollRequest {
                schema_version: SCHEMA_VERSION,
                code: code.to_string(),
                device_id: db.device_id().to_string(),
                public_key: hex::encode(db.device_key().public_key()),
                officer: officer.to_string(),
            })
        })?;
        let (answer, sent, received) = self.exchange(&s, paths::ENROLL, &req)?;
        let resp: EnrollResponse = match answer {
            Answer::Ok(b) => decode(&b)?,
            Answer::Failed(Failure::Transient { reason, .. }) => {
                return Err(SyncError::Transient {
                    reason,
                    next_attempt_ms: s.wall_ms(),
                })
            }
            Answer::Failed(Failure::Refused { status, body }) => {
                return Err(SyncError::EnrollmentRefused {
                    code: body.map(|b| b.error).unwrap_or_else(|| status.to_string()),
                })
            }
        };
        if resp.device_id != s.device() {
            return Err(SyncError::Protocol("enrollment for another device".into()));
        }
        // The server's time comes with the enrollment: a device whose clock is off stamps
        // right from its first change on, and what it wrote before is rebased now.
        let offset = learn(sent, received, resp.server_time_ms);
        let device = s.device().to_string();
        s.with(|db| {
            db.sync_transaction(|tx, clock| {
                // Enrolled meanwhile by another call: keep that enrollment.
                let mut st = state::load(tx)?;
                if st.enrolled() {
                    return Err(SyncError::AlreadyEnrolled);
                }
                adopt(tx, clock, &device, offset, received)?;
                st = state::load(tx)?;
                st.server_url = Some(server_url.to_string());
                st.team_id = Some(resp.team_id.clone());
                st.officer = Some(officer.to_string());
                st.revoked = false;
                st.server_public_key = resp.server_public_key.clone();
                state::save(tx, &st)?;
                Ok(())
            })
        })?;
        Ok(Enrollment {
            team_id: resp.team_id,
            device_id: resp.device_id,
        })
    }

    /// Pushes the whole outbox, then pulls until the server has nothing more, then
    /// downloads the teammates' blobs. Blocks on the network, never holding the store
    /// across a request. Ignores any scheduled backoff (for a user's "sync now"); see
    /// [`Self::sync_if_due`].
    pub fn sync_now(&self, store: &mut dyn StoreAccess) -> Result<SyncReport, SyncError> {
        let mut s = Session::open(store)?;
        self.run(&mut s)
    }

    /// Runs `sync_now` only if no backoff is pending (`None` when it is not yet due).
    pub fn sync_if_due(
        &self,
        store: &mut dyn StoreAccess,
    ) -> Result<Option<SyncReport>, SyncError> {
        let mut s = Session::open(store)?;
        let due = s.with(|db| {
            let st = state::load(db.conn())?;
            Ok(st.next_attempt_ms.is_none_or(|at| at <= db.wall_ms()))
        })?;
        if !due {
            return Ok(None);
        }
        self.run(&mut s).map(Some)
    }

    fn run(&self, s: &mut Session<'_>) -> Result<SyncReport, SyncError> {
        let st = s.with(|db| Ok(state::load(db.conn())?))?;
        if st.revoked {
            return Err(SyncError::Revoked);
        }
        if !st.enrolled() {
            return Err(SyncError::NotEnrolled);
        }
        let mut report = SyncReport::default();
        let mut meter = Meter::default();
        // What this sync last told the server is left to send (`Pending`, for the console).
        let mut told = None;
        let result = self
            .probe_time(s, &mut told)
            .and_then(|()| self.push_all(s, &mut report, &mut meter, &mut told))
            .and_then(|()| self.pull_all(s, &mut report, &mut told))
            .and_then(|()| self.upload_unsent(s, &mut report, &mut meter))
            .and_then(|()| self.report_left(s, told))
            .and_then(|()| self.download_all(s, &mut report));
        let rate = meter.rate();
        if result.is_err() && rate.is_some() {
            // The rate measured before a failure still tells the officer how long the
            // rest will take; if even this cannot be recorded, the error says enough.
            let _ = s.with(|db| {
                db.sync_transaction(|tx, _| {
                    let mut st = state::load(tx)?;
                    st.upload_rate_bps = rate;
                    state::save(tx, &st)?;
                    Ok(())
                })
            });
        }
        match result {
            Ok(()) => {
                let wall = s.wall_ms();
                s.with(|db| {
                    db.sync_transaction(|tx, _| {
                        let mut st = state::load(tx)?;
                        if rate.is_some() {
                            st.upload_rate_bps = rate;
                        }
                        st.last_success_ms = Some(wall);
                        st.last_error = None;
                        st.failures = 0;
                        st.next_attempt_ms = None;
                        state::save(tx, &st)?;
                        Ok(())
                    })
                })?;
                Ok(report)
            }
            Err(e) => {
                if !e.is_transient() && !matches!(e, SyncError::Store(_)) {
                    self.record_error(s, &e)?;
                }
                Err(e)
            }
        }
    }

    fn record_error(&self, s: &mut Session<'_>, e: &SyncError) -> Result<(), SyncError> {
        let revoked = matches!(e, SyncError::Revoked);
        let msg = e.to_string();
        s.with(|db| {
            db.sync_transaction(|tx, _| {
                let mut st = state::load(tx)?;
                st.last_error = Some(msg);
                st.revoked |= revoked;
                st.next_attempt_ms = None;
                state::save(tx, &st)?;
                Ok(())
            })
        })
    }

    /// Records a transient failure: attempts on the entries in flight, the backoff, the
    /// next attempt. Returns the error to hand back.
    fn transient(
        &self,
        s: &mut Session<'_>,
        in_flight: &[u64],
        reason: String,
        retry_after_ms: Option<u64>,
    ) -> SyncError {
        let policy = self.policy;
        let wall = s.wall_ms();
        let saved = s.with(|db| {
            db.sync_transaction(|tx, _| {
                outbox::record_attempt(tx, in_flight, &reason)?;
                let mut st = state::load(tx)?;
                st.failures = st.failures.saturating_add(1);
                let delay = policy.delay_ms(st.failures, retry_after_ms, random_u64());
                let at = wall.saturating_add(delay);
                st.next_attempt_ms = Some(at);
                st.last_error = Some(reason.clone());
                state::save(tx, &st)?;
                Ok::<_, SyncError>(at)
            })
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

    /// One batch as read from the store: the outbox entries, their wire form, the blobs
    /// they need (by index) and the first entry that cannot be sent at all.
    #[allow(clippy::type_complexity)]
    fn read_batch(
        &self,
        s: &mut Session<'_>,
        batch_size: u32,
    ) -> Result<
        (
            Vec<OutboxEntry>,
            Vec<PushEntry>,
            Vec<(usize, LocalBlob)>,
            Option<(u64, &'static str)>,
        ),
        SyncError,
    > {
        s.with(|db| {
            let entries = outbox::sendable(db.conn(), batch_size)?;
            let (wire, needs, unsendable) = self.wire_entries(db, &entries)?;
            Ok((entries, wire, needs, unsendable))
        })
    }

    fn push_all(
        &self,
        s: &mut Session<'_>,
        report: &mut SyncReport,
        meter: &mut Meter,
        told: &mut Option<Pending>,
    ) -> Result<(), SyncError> {
        let mut batch_size = self.batch_size;
        // Set after the server said a blob we had uploaded is missing (it was restored
        // from an older copy): upload every blob of the batch again, once.
        let mut recheck_blobs = false;
        'batches: loop {
            let (mut entries, mut wire, mut needs, unsendable) = self.read_batch(s, batch_size)?;
            if entries.is_empty() {
                return Ok(());
            }
            if wire.is_empty() {
                if let Some((seq, reason)) = unsendable {
                    self.quarantine_local(s, seq, reason)?;
                    report.quarantined += 1;
                    continue;
                }
            }
            let fit = self.fitting(&wire);
            if fit == 0 {
                // The first entry alone is too large to send: quarantine it here.
                self.quarantine_local(s, entries[0].seq, "too large to send")?;
                report.quarantined += 1;
                continue;
            }
            entries.truncate(fit);
            wire.truncate(fit);
            needs.retain(|(i, _)| *i < fit);
            let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
            // Text first: the entries go now, their blobs after the pull
            // (`upload_unsent`). Only a server that asks for the blobs first (`409
            // blob_missing`: protocol 2, or a blob it lost) gets them before the batch.
            for (i, local) in &needs {
                if !recheck_blobs {
                    continue;
                }
                match blobs::upload(self.transport.as_ref(), s, local, meter) {
                    Transfer::Done => {
                        let host = &self.domain.blobs;
                        s.with(|db| {
                            db.sync_transaction(|tx, _| Ok(host.uploaded(tx, &local.blob)?))
                        })?;
                        report.attachments_uploaded += 1;
                        self.tell(SyncProgress::AttachmentUploaded {
                            count: report.attachments_uploaded,
                        });
                    }
                    Transfer::Refused(reason) => {
                        self.quarantine_local(s, entries[*i].seq, &reason)?;
                        report.quarantined += 1;
                        continue 'batches;
                    }
                    Transfer::Failed(f) => return Err(self.failed(s, &seqs, f)),
                    Transfer::Malformed | Transfer::Pending => {
                        return Err(SyncError::Protocol("malformed answer".into()))
                    }
                    Transfer::Store(e) => return Err(e),
                }
            }
            // What is left once this batch is applied: its skip markers were not counted.
            let going = entries.iter().filter(|e| !e.quarantined).count() as u64;
            let (batch, after) = s.with(|db| {
                let left = self.pending_now(db)?;
                let after = Pending {
                    changes: left.changes.saturating_sub(going),
                    ..left
                };
                let batch = PushBatch::signed(db.device_id(), wire, db.device_key());
                Ok((batch.reporting(after), after))
            })?;
            let (answer, sent, received) = self.exchange(s, paths::PUSH, &batch)?;
            match answer {
                Answer::Ok(b) => {
                    let result: PushResult = decode(&b)?;
                    *told = Some(after);
                    let offset = learn(sent, received, result.server_time_ms);
                    let pending =
                        self.record_results(s, &entries, &result, report, offset, received)?;
                    recheck_blobs = false;
                    self.tell(SyncProgress::Pushed {
                        acked: report.pushed,
                        pending,
                    });
                }
                Answer::Failed(Failure::Transient {
                    reason,
                    retry_after_ms,
                }) => return Err(self.transient(s, &seqs, reason, retry_after_ms)),
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
                    learn_from_error(s, sent, received, &body)?;
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
                    self.quarantine_local(s, e.seq, reason)?;
                    report.quarantined += 1;
                }
                Answer::Failed(Failure::Refused { status, body }) => {
                    learn_from_error(s, sent, received, &body)?;
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
                match self.domain.blobs.outgoing(db, &mut w) {
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

    fn quarantine_local(
        &self,
        s: &mut Session<'_>,
        seq: u64,
        reason: &str,
    ) -> Result<(), SyncError> {
        s.with(|db| {
            db.sync_transaction(|tx, _| {
                outbox::quarantine(tx, seq, reason, outbox::Q_LOCAL)?;
                Ok(())
            })
        })
    }

    /// A failed exchange: transient ones are recorded and scheduled, others classified.
    fn failed(&self, s: &mut Session<'_>, in_flight: &[u64], f: Failure) -> SyncError {
        match f {
            Failure::Transient {
                reason,
                retry_after_ms,
            } => self.transient(s, in_flight, reason, retry_after_ms),
            Failure::Refused { status, body } => Self::refused(status, body),
        }
    }

    /// What this device still has to send: the figure its push batches and pulls report.
    fn pending_now(&self, db: &Database) -> Result<Pending, SyncError> {
        Ok(Pending {
            changes: outbox::status(db.conn())?.pending,
            attachments: self.domain.blobs.counts(db.conn())?.to_upload,
        })
    }

    /// After the uploads: when what is left differs from what this sync last reported
    /// (files went after the pull), tells the server in an empty push batch. The figure
    /// is informational and everything it counts is already delivered or kept here, so a
    /// failed answer fails nothing: the server keeps the earlier report with its time.
    fn report_left(&self, s: &mut Session<'_>, told: Option<Pending>) -> Result<(), SyncError> {
        let (left, batch) = s.with(|db| {
            let left = self.pending_now(db)?;
            let batch = PushBatch::signed(db.device_id(), vec![], db.device_key());
            Ok((left, batch.reporting(left)))
        })?;
        if told == Some(left) {
            return Ok(());
        }
        let _answer = self.exchange(s, paths::PUSH, &batch)?;
        Ok(())
    }

    /// Uploads the blobs of entries that already went, oldest first (none when text only).
    fn upload_unsent(
        &self,
        s: &mut Session<'_>,
        report: &mut SyncReport,
        meter: &mut Meter,
    ) -> Result<(), SyncError> {
        if self.text_only {
            return Ok(());
        }
        let host = &self.domain.blobs;
        let unsent = s.with(|db| Ok(host.unsent(db)?))?;
        for local in unsent {
            match blobs::upload(self.transport.as_ref(), s, &local, meter) {
                Transfer::Done => {
                    s.with(|db| db.sync_transaction(|tx, _| Ok(host.uploaded(tx, &local.blob)?)))?;
                    report.attachments_uploaded += 1;
                    self.tell(SyncProgress::AttachmentUploaded {
                        count: report.attachments_uploaded,
                    });
                }
                Transfer::Refused(reason) => {
                    s.with(|db| {
                        db.sync_transaction(|tx, _| {
                            Ok(host.upload_refused(tx, &local.blob, &reason)?)
                        })
                    })?;
                }
                Transfer::Failed(f) => return Err(self.failed(s, &[], f)),
                Transfer::Malformed | Transfer::Pending => {
                    return Err(SyncError::Protocol("malformed answer".into()))
                }
                Transfer::Store(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Downloads every teammate's blob the pulled changes refer to and that is not here
    /// (none when text only).
    fn download_all(&self, s: &mut Session<'_>, report: &mut SyncReport) -> Result<(), SyncError> {
        if self.text_only {
            return Ok(());
        }
        let host = &self.domain.blobs;
        let wanted = s.with(|db| Ok(host.wanted(db)?))?;
        let total = wanted.len() as u64;
        for (i, want) in wanted.into_iter().enumerate() {
            match blobs::download(self.transport.as_ref(), s, &want) {
                Transfer::Done => {
                    s.with(|db| db.sync_transaction(|tx, _| Ok(host.installed(tx, &want)?)))?;
                    report.attachments_downloaded += 1;
                    self.tell(SyncProgress::AttachmentDownloaded {
                        count: report.attachments_downloaded,
                        remaining: total - i as u64 - 1,
                    });
                }
                Transfer::Refused(reason) => {
                    s.with(|db| db.sync_transaction(|tx, _| Ok(host.failed(tx, &want, &reason)?)))?;
                    report.attachments_failed += 1;
                }
                // Announced, not uploaded whole yet: "coming", asked again next sync.
                Transfer::Pending => {}
                Transfer::Failed(f) => return Err(self.failed(s, &[], f)),
                Transfer::Malformed => return Err(SyncError::Protocol("malformed answer".into())),
                Transfer::Store(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Posts `request` as JSON, holding nothing, and returns the classified answer with
    /// the wall-clock times it was sent and received (to learn the server's offset from
    /// the answer).
    fn exchange(
        &self,
        s: &Session<'_>,
        path: &str,
        request: &impl Serialize,
    ) -> Result<(Answer, u64, u64), SyncError> {
        let body = serde_json::to_vec(request)
            .map_err(|_| SyncError::Protocol("cannot encode request".into()))?;
        let sent = s.wall_ms();
        let result = self.transport.post(path, body);
        let received = s.wall_ms();
        Ok((classify(result, received), sent, received))
    }

    /// When there is something to push and the server's time was not learned within
    /// [`PROBE_AFTER_MS`] (on this device's clock, either way), asks for it with an empty
    /// push batch and adopts it, rebasing this device's stamps if they are far ahead.
    fn probe_time(&self, s: &mut Session<'_>, told: &mut Option<Pending>) -> Result<(), SyncError> {
        let wall = s.wall_ms();
        let batch = s.with(|db| {
            let learned = state::load(db.conn())?.clock_learned_ms;
            let fresh = learned.is_some_and(|at| at <= wall && wall - at <= PROBE_AFTER_MS);
            if fresh || outbox::status(db.conn())?.pending == 0 {
                return Ok(None);
            }
            let left = self.pending_now(db)?;
            let batch = PushBatch::signed(db.device_id(), vec![], db.device_key());
            Ok(Some((batch.reporting(left), left)))
        })?;
        let Some((batch, left)) = batch else {
            return Ok(());
        };
        let (answer, sent, received) = self.exchange(s, paths::PUSH, &batch)?;
        match answer {
            Answer::Ok(b) => {
                let result: PushResult = decode(&b)?;
                *told = Some(left);
                let offset = learn(sent, received, result.server_time_ms);
                let device = s.device().to_string();
                s.with(|db| {
                    db.sync_transaction(|tx, clock| {
                        adopt(tx, clock, &device, offset, received)?;
                        Ok(())
                    })
                })
            }
            Answer::Failed(Failure::Transient {
                reason,
                retry_after_ms,
            }) => Err(self.transient(s, &[], reason, retry_after_ms)),
            Answer::Failed(Failure::Refused { status, body }) => {
                learn_from_error(s, sent, received, &body)?;
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

    /// Records the server's answer to a batch in one transaction; returns the entries
    /// still queued.
    fn record_results(
        &self,
        s: &mut Session<'_>,
        entries: &[OutboxEntry],
        result: &PushResult,
        report: &mut SyncReport,
        offset: Option<i64>,
        received_wall_ms: u64,
    ) -> Result<u64, SyncError> {
        if result.results.len() != entries.len()
            || result
                .results
                .iter()
                .zip(entries)
                .any(|(r, e)| r.seq != e.seq || r.op_id != e.op_id)
        {
            return Err(SyncError::Protocol("results do not match the batch".into()));
        }
        let device = s.device().to_string();
        let receipts = &self.domain.receipts;
        let (acked, quarantined, pending) = s.with(|db| {
            let receipt = checked_receipt(db, result)?;
            let counts = db.sync_transaction(|tx, clock| {
                adopt(tx, clock, &device, offset, received_wall_ms)?;
                let (mut acked, mut quarantined) = (0u64, 0u64);
                if let Some((r, key)) = &receipt {
                    receipts.keep(tx, r, key)?;
                }
                for (r, e) in result.results.iter().zip(entries) {
                    if e.quarantined {
                        // Our skip marker was answered: the seq is consumed. The entry
                        // stays quarantined here with its local reason, whatever the answer.
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
            let pending = if self.progress.is_some() {
                outbox::status(db.conn())?.pending
            } else {
                0
            };
            Ok((counts.0, counts.1, pending))
        })?;
        report.pushed += acked;
        report.quarantined += quarantined;
        Ok(pending)
    }

    fn pull_all(
        &self,
        s: &mut Session<'_>,
        report: &mut SyncReport,
        told: &mut Option<Pending>,
    ) -> Result<(), SyncError> {
        let mut resynced = false;
        let mut relearned = false;
        // The first page answered carries the report (a device that only pulls reports too).
        let mut reported = false;
        loop {
            let limit = self.pull_limit;
            let (cursor, req, left) = s.with(|db| {
                let cursor = state::load(db.conn())?.pull_cursor;
                // Signed at the team's time: the server checks it against its own clock.
                let req = PullRequest::signed(
                    db.device_id(),
                    cursor,
                    limit,
                    db.now_ms(),
                    db.device_key(),
                );
                if reported {
                    return Ok((cursor, req, None));
                }
                let left = self.pending_now(db)?;
                Ok((cursor, req.reporting(left), Some(left)))
            })?;
            let (answer, sent, received) = self.exchange(s, paths::PULL, &req)?;
            let page: PullPage = match answer {
                Answer::Ok(b) => decode(&b)?,
                Answer::Failed(Failure::Transient {
                    reason,
                    retry_after_ms,
                }) => return Err(self.transient(s, &[], reason, retry_after_ms)),
                Answer::Failed(Failure::Refused { status, body }) => {
                    let learned = learn_from_error(s, sent, received, &body)?;
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
            if let Some(left) = left {
                reported = true;
                *told = Some(left);
            }
            let offset = learn(sent, received, page.server_time_ms);
            let own = s.device().to_string();
            if page.resync_from_scratch {
                if resynced {
                    return Err(SyncError::Protocol("repeated resync".into()));
                }
                resynced = true;
                s.with(|db| {
                    db.sync_transaction(|tx, clock| {
                        adopt(tx, clock, &own, offset, received)?;
                        let mut st = state::load(tx)?;
                        st.pull_cursor = 0;
                        state::save(tx, &st)?;
                        Ok(())
                    })
                })?;
                continue;
            }
            let appliers = &self.domain.appliers;
            let counts = s.with(|db| {
                db.sync_transaction(|tx, clock| {
                    let mut st: SyncState = state::load(tx)?;
                    if st.pull_cursor != cursor {
                        // Another sync of this store stored pages meanwhile: this one is
                        // not stored, the next request starts from the new cursor.
                        return Ok(None);
                    }
                    // The page's own time first: its stamps are judged on the team's time.
                    adopt(tx, clock, &own, offset, received)?;
                    let mut counts = SyncReport::default();
                    for c in page.changes.iter().filter(|c| c.device_id != own) {
                        counts.pulled += 1;
                        match apply::receive(tx, clock, appliers, c)? {
                            None => counts.already_had += 1,
                            Some(InboxState::Applied) => counts.applied += 1,
                            Some(InboxState::Stored) => counts.stored_only += 1,
                            Some(InboxState::Refused | InboxState::Failed) => counts.refused += 1,
                        }
                    }
                    st.pull_cursor = page.next_cursor;
                    state::save(tx, &st)?;
                    Ok::<_, SyncError>(Some(counts))
                })
            })?;
            let Some(counts) = counts else {
                continue;
            };
            report.pulled += counts.pulled;
            report.applied += counts.applied;
            report.stored_only += counts.stored_only;
            report.refused += counts.refused;
            report.already_had += counts.already_had;
            self.tell(SyncProgress::Pulled {
                received: report.pulled,
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
    s: &mut Session<'_>,
    sent: u64,
    received: u64,
    body: &Option<ErrorBody>,
) -> Result<bool, SyncError> {
    let Some(offset) = learn(sent, received, body.as_ref().and_then(|b| b.server_time_ms)) else {
        return Ok(false);
    };
    let device = s.device().to_string();
    s.with(|db| {
        db.sync_transaction(|tx, clock| {
            adopt(tx, clock, &device, Some(offset), received)?;
            Ok(true)
        })
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
    let remote = remote.and_then(|t| t.parse::<crate::clock::Hlc>().ok());
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
