//! Team sync as the apps and the CLI run it: the engine wired to this crate's domains
//! ([`domain`]), built from the server URL and pins recorded at enrollment, and the one
//! sync loop ([`SyncClient::wake`]). The bindings' `SyncClient` and `vigil sync` are thin
//! wrappers over [`SyncClient`].
//!
//! What waits for what: a sync blocks its caller on the network, but holds the vault only
//! for short sections between requests ([`crate::sync::StoreAccess`]); the officer's calls
//! on the same [`SharedVault`] never wait for the network.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

use crate::error::StoreResult;
use crate::shared::SharedVault;
use crate::store::{outbox, Database, OutboxEntry};
use crate::sync::protocol::ChainReceipt;
use crate::sync::transport::SpkiPin;
use crate::sync::{
    state, Appliers, Enrollment, ProgressSink, ReceiptStore, SyncDomain, SyncEngine, SyncError,
    SyncReport, SyncStatus, Transport,
};

/// The appliers of every domain, the attachments as blob host and the incident log's
/// receipt store:
///
/// - `incident.entry`: verified against the author's key and chain, then stored
///   (`incident::IncidentEntryApplier`).
/// - `incident.attachment`: the teammate's attachment recorded, its file downloaded after
///   the pull (`incident::transfer::AttachmentApplier`, `sync::blobs`).
/// - `checklist.answer`: last writer wins per item (`advance::remote::AnswerApplier`).
/// - `checklist.walk.start`, `checklist.walk.complete`: `advance::remote::WalkApplier`.
/// - `checklist.walk.signoff`: verified under the signer's key, closes the walk
///   (`advance::remote::SignOffApplier`).
/// - `venue.upsert`, `haven.upsert`, `route.upsert`: last writer wins per field
///   (`advance::remote::RecordApplier`).
pub fn domain() -> SyncDomain {
    use crate::advance::remote::{AnswerApplier, RecordApplier, SignOffApplier, WalkApplier};
    let mut a = Appliers::new();
    a.register(
        crate::incident::chain::OUTBOX_KIND_ENTRY,
        Arc::new(crate::incident::IncidentEntryApplier),
    );
    a.register(
        crate::incident::OUTBOX_KIND_ATTACHMENT,
        Arc::new(crate::incident::transfer::AttachmentApplier),
    );
    a.register("checklist.answer", Arc::new(AnswerApplier));
    let walks = Arc::new(WalkApplier);
    a.register("checklist.walk.start", walks.clone());
    a.register("checklist.walk.complete", walks);
    a.register("checklist.walk.signoff", Arc::new(SignOffApplier));
    let records = Arc::new(RecordApplier);
    for k in ["venue.upsert", "haven.upsert", "route.upsert"] {
        a.register(k, records.clone());
    }
    SyncDomain {
        appliers: a,
        blobs: Arc::new(crate::incident::transfer::Attachments),
        receipts: Arc::new(Receipts),
    }
}

/// An engine on `transport` for this crate's domains.
pub fn engine(transport: Box<dyn Transport>) -> SyncEngine {
    SyncEngine::new(transport, domain())
}

/// The sync status for the UI: pending and quarantined counts, attachments to move, last
/// success, last error, next scheduled attempt, revocation. Reads the store only.
pub fn status(db: &Database) -> Result<SyncStatus, SyncError> {
    Ok(state::status(db.conn(), domain().blobs.as_ref())?)
}

/// The incident log's anchoring keeps the server's receipts.
struct Receipts;

impl ReceiptStore for Receipts {
    fn keep(
        &self,
        tx: &Transaction<'_>,
        r: &ChainReceipt,
        server_public_key: &[u8; 32],
    ) -> StoreResult<()> {
        crate::incident::anchor::store_receipt(tx, r, server_public_key)
    }
}

/// Default bound on a request of the built-in transport.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// Most rounds one `wake` runs back to back for wakes that arrived while it ran.
const MAX_WAKE_ROUNDS: u32 = 4;

/// How a [`SyncClient`] reaches the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncOptions {
    /// Overrides the server URL recorded at enrollment (e.g. the server moved).
    pub server_url: Option<String>,
    /// Longest stall of the built-in transport (default 30 s): connecting, or any read or
    /// write during which no byte moves. A slow transfer that keeps moving is not cut.
    /// Ignored with a platform transport (its own timeouts apply: make them stall bounds
    /// too, e.g. OkHttp `readTimeout`/`writeTimeout`, not `callTimeout`).
    pub timeout_ms: Option<u64>,
    /// SPKI pins of the team server's certificate, `sha256/<base64>` each (what
    /// `vigil-server` prints). Built-in transport only: the server is accepted only if a
    /// certificate of the chain it presents has one of these keys (a pinned self-signed
    /// certificate needs no CA). Given at `enroll`, they are recorded in the store and
    /// used by later syncs whose options leave this empty; empty and none recorded: the
    /// usual web PKI check. A platform transport ignores them: the platform pins in its
    /// own HTTP stack (OkHttp `CertificatePinner`, URLSession delegate). An entry that
    /// does not parse fails the call with `InvalidPin`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub pinned_keys: Vec<String>,
}

/// Why the app wakes the sync loop ([`SyncClient::wake`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncTrigger {
    /// The platform reports a usable network again (Android `NetworkCallback.onAvailable`,
    /// iOS `NWPathMonitor`): the likely cause of the last failure is gone, so any
    /// scheduled backoff is skipped.
    NetworkAvailable,
    /// The app came to the foreground.
    Foreground,
    /// The officer saved something (an incident, an answer).
    LocalChange,
    /// A periodic background job (WorkManager, BGTaskScheduler).
    Periodic,
}

/// Builds the transport to a server (its base URL, without a trailing `/`): how a
/// platform carries the requests itself.
pub type TransportFactory = Arc<dyn Fn(&str) -> Box<dyn Transport> + Send + Sync>;

/// Syncs one shared vault with its team server. One sync at a time per vault, whatever
/// the number of clients: a `sync_now` or `enroll` started while another runs fails at
/// once with [`SyncError::AlreadyRunning`]; a `wake` then returns `None` and the running
/// one does one more round.
pub struct SyncClient {
    vault: SharedVault,
    options: SyncOptions,
    platform: Option<TransportFactory>,
    progress: Mutex<Option<ProgressSink>>,
    text_only: AtomicBool,
}

impl SyncClient {
    /// A client using the built-in HTTP(S) transport.
    pub fn new(vault: SharedVault, options: SyncOptions) -> SyncClient {
        SyncClient {
            vault,
            options,
            platform: None,
            progress: Mutex::new(None),
            text_only: AtomicBool::new(false),
        }
    }

    /// A client whose requests go through the platform's own transport.
    pub fn with_transport(
        vault: SharedVault,
        options: SyncOptions,
        platform: TransportFactory,
    ) -> SyncClient {
        SyncClient {
            vault,
            options,
            platform: Some(platform),
            progress: Mutex::new(None),
            text_only: AtomicBool::new(false),
        }
    }

    /// Text only for the syncs that start from now on (until set again): changes go and
    /// come, attachment files (photos) wait. For a metered or poor network (Android
    /// `NET_CAPABILITY_NOT_METERED` absent, iOS `isExpensive`/`isConstrained`): set it
    /// before each `wake` from what the platform says of the link. Never holds back text.
    pub fn set_text_only(&self, yes: bool) {
        self.text_only.store(yes, SeqCst);
    }

    /// Reports the progress of every later sync of this client to `sink` (replacing any
    /// earlier one); `None` stops reporting.
    pub fn set_progress(&self, sink: Option<ProgressSink>) {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner()) = sink;
    }

    /// Registers this device with the team server at `server_url` using the
    /// administrator's one-time `code`, under the `officer`'s name; records the options'
    /// pins for later syncs (built-in transport). Blocks on the network without holding
    /// the vault.
    pub fn enroll(
        &self,
        server_url: &str,
        code: &str,
        officer: &str,
    ) -> Result<Enrollment, SyncError> {
        let _running = self.start()?;
        let pins = self.option_pins()?;
        let engine = self.engine(server_url, pins.clone())?;
        let e = engine.enroll(&mut self.vault.clone(), server_url, code, officer)?;
        if self.platform.is_none() && !pins.is_empty() {
            self.vault.with_db(|db| state::set_tls_pins(db, &pins))??;
        }
        Ok(e)
    }

    /// Pushes every pending local change, then pulls the team's changes until the server
    /// has no more, then fetches teammates' attachment files. Ignores any scheduled
    /// backoff (a user's "sync now"). Blocks on the network without holding the vault.
    pub fn sync_now(&self) -> Result<SyncReport, SyncError> {
        let report = {
            let _running = self.start()?;
            self.round(true)?
        };
        Ok(self.then_serve_wakes(report.unwrap_or_default()))
    }

    /// Like [`Self::sync_now`] but does nothing (`None`) while a retry is scheduled in
    /// the future: for a periodic job.
    pub fn sync_if_due(&self) -> Result<Option<SyncReport>, SyncError> {
        let report = {
            let _running = self.start()?;
            self.round(false)?
        };
        Ok(report.map(|r| self.then_serve_wakes(r)))
    }

    /// The one sync loop: the platform calls this on its network, foreground, local-change
    /// and periodic events, from any thread, as often as it likes. Never two syncs at
    /// once: a wake while a sync runs returns `None` at once, and the running one does one
    /// more round before it returns, so no wake is lost. `NetworkAvailable` skips a
    /// scheduled backoff; the other triggers sync only when no retry is scheduled in the
    /// future. Returns what the rounds did together (`None`: nothing ran here). Not
    /// enrolled or revoked: the typed error, as `sync_now`.
    pub fn wake(&self, trigger: SyncTrigger) -> Result<Option<SyncReport>, SyncError> {
        let gate = self.vault.sync_gate();
        gate.wanted.store(true, SeqCst);
        let mut total: Option<SyncReport> = None;
        let mut skip_backoff = trigger == SyncTrigger::NetworkAvailable;
        let mut rounds = 0;
        loop {
            let guard = match gate.running.try_lock() {
                Ok(g) => g,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                // The running loop will see `wanted` and serve this wake.
                Err(TryLockError::WouldBlock) => return Ok(total),
            };
            while rounds < MAX_WAKE_ROUNDS && gate.wanted.swap(false, SeqCst) {
                rounds += 1;
                let report = self.round(skip_backoff)?;
                skip_backoff = false;
                if let Some(r) = report {
                    total = Some(match total {
                        None => r,
                        Some(t) => t.plus(r),
                    });
                }
            }
            drop(guard);
            // A wake that arrived between our last check and the unlock found the lock
            // taken and left it to us: look once more.
            if rounds >= MAX_WAKE_ROUNDS || !gate.wanted.load(SeqCst) {
                return Ok(total);
            }
        }
    }

    /// Pending and quarantined counts, last success, last error, next attempt,
    /// revocation. Reads the store only.
    pub fn status(&self) -> Result<SyncStatus, SyncError> {
        self.vault.with_db(|db| status(db))?
    }

    /// Local changes refused (with their reasons), oldest first. Kept, never resent.
    pub fn quarantined(&self) -> Result<Vec<OutboxEntry>, SyncError> {
        Ok(self.vault.with_db(|db| outbox::quarantined(db.conn()))??)
    }

    /// One sync (`None`: not due, when `skip_backoff` is false), with the engine built
    /// from the options and the stored URL and pins.
    fn round(&self, skip_backoff: bool) -> Result<Option<SyncReport>, SyncError> {
        let (url, stored_pins) = self.vault.with_db(|db| {
            let st = state::load(db.conn())?;
            let pins = state::tls_pins(db.conn())?;
            Ok::<_, SyncError>((st.server_url, pins))
        })??;
        let url = match (&self.options.server_url, url) {
            (Some(u), _) => u.clone(),
            (None, Some(u)) => u,
            (None, None) => return Err(SyncError::NotEnrolled),
        };
        let mut pins = self.option_pins()?;
        if pins.is_empty() && self.platform.is_none() {
            pins = stored_pins;
        }
        let engine = self.engine(&url, pins)?;
        let mut store = self.vault.clone();
        if skip_backoff {
            engine.sync_now(&mut store).map(Some)
        } else {
            engine.sync_if_due(&mut store)
        }
    }

    /// Wakes that came in while a `sync_now`/`sync_if_due` ran found the vault busy and
    /// returned at once: serve them now, so none is lost. Their failure is recorded in the
    /// status (last error, next attempt); the call that ran keeps its own result.
    fn then_serve_wakes(&self, report: SyncReport) -> SyncReport {
        if !self.vault.sync_gate().wanted.load(SeqCst) {
            return report;
        }
        match self.wake(SyncTrigger::LocalChange) {
            Ok(Some(more)) => report.plus(more),
            _ => report,
        }
    }

    fn start(&self) -> Result<MutexGuard<'_, ()>, SyncError> {
        match self.vault.sync_gate().running.try_lock() {
            Ok(g) => Ok(g),
            // A panic in an earlier sync left nothing half-done (every step commits or
            // rolls back its own transaction).
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(SyncError::AlreadyRunning),
        }
    }

    fn option_pins(&self) -> Result<Vec<SpkiPin>, SyncError> {
        self.options
            .pinned_keys
            .iter()
            .map(|p| {
                SpkiPin::parse(p).map_err(|e| SyncError::InvalidPin {
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    fn engine(&self, server_url: &str, pins: Vec<SpkiPin>) -> Result<SyncEngine, SyncError> {
        let base = server_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SyncError::InvalidUrl);
        }
        let transport: Box<dyn Transport> = match &self.platform {
            Some(make) => make(base),
            None => built_in(base, &self.options, pins)?,
        };
        let engine = engine(transport).text_only(self.text_only.load(SeqCst));
        let sink = self
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Ok(match sink {
            Some(s) => engine.with_progress(s),
            None => engine,
        })
    }
}

#[cfg(feature = "tls")]
fn built_in(
    base: &str,
    options: &SyncOptions,
    pins: Vec<SpkiPin>,
) -> Result<Box<dyn Transport>, SyncError> {
    use crate::sync::transport::{HttpTransport, TlsOptions};
    let timeout = Duration::from_millis(options.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let tls = TlsOptions {
        pins,
        extra_roots_pem: None,
    };
    Ok(Box::new(
        HttpTransport::with_tls(base, timeout, &tls).map_err(|_| SyncError::InvalidUrl)?,
    ))
}

#[cfg(not(feature = "tls"))]
fn built_in(
    _base: &str,
    _options: &SyncOptions,
    _pins: Vec<SpkiPin>,
) -> Result<Box<dyn Transport>, SyncError> {
    let _ = Duration::ZERO;
    Err(SyncError::InvalidUrl)
}
