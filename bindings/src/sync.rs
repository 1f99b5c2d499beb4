//! Team sync for the apps: the `SyncClient` object, its records and its error, and the
//! `PlatformTransport` foreign trait through which a platform may carry the requests
//! itself (its own HTTP stack, proxy settings, certificate pinning).
//!
//! Every call blocks (network and SQLite) and, while it runs, holds the vault's lock, so
//! other calls on the same `Vault` wait for it: call from a background thread
//! (`Dispatchers.IO`, WorkManager, a background actor), never the main thread.
//!
//! One sync at a time per client: a `sync_now` (or `enroll`) started while another runs
//! on the same `SyncClient` does not wait; it fails at once with
//! `SyncError::AlreadyRunning`, and the running one carries on. Apps share one client per
//! vault.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use vigil_core::sync::transport::{SpkiPin, TlsFailure, TlsOptions};
use vigil_core::sync::{self as core_sync, SyncEngine, Transport, TransportError};

use crate::error::StoreError;
use crate::records::OutboxEntry;
use crate::vault::Vault;

/// Default bound on each whole HTTP request of the built-in transport.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// What can go wrong with sync. Kotlin: `SyncException`. Messages and fields never carry
/// record content, names, places or keys.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SyncError {
    #[error("this device is not enrolled with a team server")]
    NotEnrolled,
    #[error("this device is already enrolled")]
    AlreadyEnrolled,
    /// The server refused the one-time code (`invalid_code`, `device_exists`, ...).
    #[error("the team server refused the enrollment ({code})")]
    EnrollmentRefused { code: String },
    /// The device was revoked: sync stops for good on this store.
    #[error("this device has been revoked by the team server")]
    Revoked,
    #[error("the team server does not recognise this device ({code})")]
    Unauthorized { code: String },
    /// The device clock differs from the server's by more than five minutes.
    #[error("this device's clock differs from the team server's by more than five minutes")]
    ClockSkew,
    #[error("the team server expects sequence number {expected}; local history is inconsistent")]
    SequenceGap { expected: u64 },
    /// No network, timeout, 5xx, 429: nothing was lost. The next automatic attempt is due
    /// at `next_attempt_ms` (Unix ms).
    #[error("sync failed temporarily ({reason}); next attempt scheduled")]
    Transient {
        reason: String,
        next_attempt_ms: u64,
    },
    #[error("unexpected answer from the team server ({reason})")]
    Protocol { reason: String },
    /// Another `sync_now` or `enroll` of this client is running.
    #[error("a sync is already running")]
    AlreadyRunning,
    #[error("invalid server address")]
    InvalidUrl,
    /// A `SyncOptions.pinned_keys` entry is not `sha256/<base64 of 32 bytes>`.
    #[error("invalid pinned key ({reason})")]
    InvalidPin { reason: String },
    #[error("the store is locked")]
    Locked,
    #[error("store error: {reason}")]
    Store { reason: String },
}

impl From<core_sync::SyncError> for SyncError {
    fn from(e: core_sync::SyncError) -> Self {
        use core_sync::SyncError as E;
        match e {
            E::NotEnrolled => SyncError::NotEnrolled,
            E::AlreadyEnrolled => SyncError::AlreadyEnrolled,
            E::EnrollmentRefused { code } => SyncError::EnrollmentRefused { code },
            E::Revoked => SyncError::Revoked,
            E::Unauthorized { code } => SyncError::Unauthorized { code },
            E::ClockSkew => SyncError::ClockSkew,
            E::SequenceGap { expected } => SyncError::SequenceGap { expected },
            E::Transient {
                reason,
                next_attempt_ms,
            } => SyncError::Transient {
                reason,
                next_attempt_ms,
            },
            E::Protocol(reason) => SyncError::Protocol { reason },
            E::Store(s) => s.into(),
        }
    }
}

impl From<vigil_core::StoreError> for SyncError {
    fn from(e: vigil_core::StoreError) -> Self {
        match StoreError::from(e) {
            StoreError::Locked => SyncError::Locked,
            other => SyncError::Store {
                reason: other.to_string(),
            },
        }
    }
}

/// What one `sync_now` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Local changes acknowledged by the server and removed from the outbox.
    pub pushed: u64,
    /// Local changes refused (by the server, or too large to send), kept in quarantine.
    pub quarantined: u64,
    /// Team changes received and stored.
    pub pulled: u64,
    /// Of those, applied to local records.
    pub applied: u64,
    /// Of those, refused for a clock stamp too far in the future.
    pub refused: u64,
    /// Attachment files uploaded (each before the change that announces it).
    pub attachments_uploaded: u64,
    /// Teammates' attachment files downloaded and verified.
    pub attachments_downloaded: u64,
    /// Downloads that could not complete (retried at the next sync).
    pub attachments_failed: u64,
}

impl SyncReport {
    fn plus(self, o: SyncReport) -> SyncReport {
        SyncReport {
            pushed: self.pushed + o.pushed,
            quarantined: self.quarantined + o.quarantined,
            pulled: self.pulled + o.pulled,
            applied: self.applied + o.applied,
            refused: self.refused + o.refused,
            attachments_uploaded: self.attachments_uploaded + o.attachments_uploaded,
            attachments_downloaded: self.attachments_downloaded + o.attachments_downloaded,
            attachments_failed: self.attachments_failed + o.attachments_failed,
        }
    }
}

impl From<core_sync::SyncReport> for SyncReport {
    fn from(r: core_sync::SyncReport) -> Self {
        SyncReport {
            pushed: r.acked,
            quarantined: r.quarantined,
            pulled: r.received,
            applied: r.applied,
            refused: r.refused,
            attachments_uploaded: r.blobs_uploaded,
            attachments_downloaded: r.blobs_downloaded,
            attachments_failed: r.blobs_failed,
        }
    }
}

/// What the UI shows about sync. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub team_id: Option<String>,
    pub server_url: Option<String>,
    /// Local changes waiting to be sent.
    pub pending: u64,
    /// Local changes refused and kept with their reasons (see `quarantined()`).
    pub quarantined: u64,
    pub last_success_ms: Option<u64>,
    pub last_error: Option<String>,
    /// When the next automatic attempt is due, after a transient failure.
    pub next_attempt_ms: Option<u64>,
    pub revoked: bool,
    /// Attachment files of queued changes not yet whole on the server.
    pub attachments_to_upload: u64,
    /// Teammates' attachment files announced but not downloaded yet.
    pub attachments_to_download: u64,
    /// How far (ms) this device's clock is from the team server's, as last learned
    /// (server minus device; 0 until learned). Stamps use the server's time, so a clock
    /// that is off still syncs; the app may show it as a hint.
    pub clock_offset_ms: i64,
}

impl From<core_sync::SyncStatus> for SyncStatus {
    fn from(s: core_sync::SyncStatus) -> Self {
        SyncStatus {
            enrolled: s.enrolled,
            team_id: s.team_id,
            server_url: s.server_url,
            pending: s.pending,
            quarantined: s.quarantined,
            last_success_ms: s.last_success_ms,
            last_error: s.last_error,
            next_attempt_ms: s.next_attempt_ms,
            revoked: s.revoked,
            attachments_to_upload: s.blobs_to_upload,
            attachments_to_download: s.blobs_to_download,
            clock_offset_ms: s.clock_offset_ms,
        }
    }
}

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// Whatever HTTP answer came, whatever its status (the engine classifies it).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// A request that got no HTTP answer. Kotlin: `PlatformTransportException`. All are
/// treated as transient (retried with backoff), except `InvalidUrl`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PlatformTransportError {
    #[error("could not connect to the server")]
    Connect,
    #[error("the server did not answer in time")]
    Timeout,
    /// Any TLS failure, a refusal by the platform's own certificate pinning included.
    #[error("TLS failure")]
    Tls,
    #[error("invalid server address")]
    InvalidUrl,
    #[error("the connection failed ({reason})")]
    Io { reason: String },
    /// The implementation threw something it did not declare.
    #[error("unexpected platform error: {reason}")]
    Unexpected { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PlatformTransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        PlatformTransportError::Unexpected { reason: e.reason }
    }
}

/// A platform's own HTTP client. `post` sends `body` to the absolute `url` with the given
/// headers, blocking, and returns the answer whatever its status; it must not follow
/// redirects. Called on the thread that called `sync_now`/`enroll`.
#[uniffi::export(foreign)]
pub trait PlatformTransport: Send + Sync {
    fn post(
        &self,
        url: String,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
    ) -> Result<HttpResponse, PlatformTransportError>;
}

/// Adapts a platform transport to the core's `Transport` for one server.
struct Platform {
    base: String,
    inner: Arc<dyn PlatformTransport>,
}

impl Transport for Platform {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<core_sync::Response, TransportError> {
        self.send(path, "application/json", body)
    }

    fn post_octets(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<core_sync::Response, TransportError> {
        self.send(path, "application/octet-stream", body)
    }
}

impl Platform {
    fn send(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<core_sync::Response, TransportError> {
        let headers = vec![HttpHeader {
            name: "content-type".into(),
            value: content_type.into(),
        }];
        let url = format!("{}{}", self.base, path);
        match self.inner.post(url, headers, body) {
            Ok(r) => Ok(core_sync::Response {
                status: r.status,
                headers: r
                    .headers
                    .into_iter()
                    .map(|h| (h.name.to_ascii_lowercase(), h.value))
                    .collect(),
                body: r.body,
            }),
            Err(e) => Err(match e {
                PlatformTransportError::Connect => TransportError::Connect,
                PlatformTransportError::Timeout => TransportError::Timeout,
                PlatformTransportError::Tls => TransportError::Tls(TlsFailure::Handshake),
                PlatformTransportError::InvalidUrl => TransportError::InvalidUrl,
                PlatformTransportError::Io { reason }
                | PlatformTransportError::Unexpected { reason } => TransportError::Io(reason),
            }),
        }
    }
}

/// How a `SyncClient` reaches the server.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct SyncOptions {
    /// Overrides the server URL recorded at enrollment (e.g. the server moved).
    pub server_url: Option<String>,
    /// Bound on each whole request of the built-in transport (default 30 s). Ignored with
    /// a platform transport.
    pub timeout_ms: Option<u64>,
    /// SPKI pins of the team server's certificate, `sha256/<base64>` each (what
    /// `vigil-server` prints). Built-in transport only: the server is accepted only if a
    /// certificate of the chain it presents has one of these keys (a pinned self-signed
    /// certificate needs no CA). Given at `enroll`, they are recorded in the store and
    /// used by later syncs whose options leave this empty; empty and none recorded: the
    /// usual web PKI check. A platform transport ignores them: the platform pins in its
    /// own HTTP stack (OkHttp `CertificatePinner`, URLSession delegate). An entry that
    /// does not parse fails the call with `InvalidPin`.
    #[uniffi(default)]
    pub pinned_keys: Vec<String>,
}

/// Why the app wakes the sync loop (`SyncClient.wake`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
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

/// How far a running sync has got (`SyncObserver.on_progress`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncProgress {
    /// A batch was acknowledged: changes acknowledged so far in this sync, still queued.
    Pushed { acked: u64, pending: u64 },
    /// An attachment file is whole on the server (count so far in this sync).
    AttachmentUploaded { count: u64 },
    /// A page of team changes was stored (new changes so far in this sync).
    Pulled { received: u64 },
    /// A teammate's attachment file arrived: so far, and still to fetch.
    AttachmentDownloaded { count: u64, remaining: u64 },
}

impl From<core_sync::SyncProgress> for SyncProgress {
    fn from(p: core_sync::SyncProgress) -> Self {
        use core_sync::SyncProgress as P;
        match p {
            P::Pushed { acked, pending } => SyncProgress::Pushed { acked, pending },
            P::Uploaded { blobs } => SyncProgress::AttachmentUploaded { count: blobs },
            P::Pulled { received } => SyncProgress::Pulled { received },
            P::Downloaded { blobs, remaining } => SyncProgress::AttachmentDownloaded {
                count: blobs,
                remaining,
            },
        }
    }
}

/// What a `SyncObserver` may throw. Kotlin: `SyncObserverException`. Ignored by the sync.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SyncObserverError {
    #[error("the observer failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SyncObserverError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SyncObserverError::Failed { reason: e.reason }
    }
}

/// Receives progress while a sync runs, on the syncing thread: return quickly (post to
/// the UI thread). Whatever it throws is ignored: a broken progress bar never stops a
/// sync.
#[uniffi::export(foreign)]
pub trait SyncObserver: Send + Sync {
    fn on_progress(&self, progress: SyncProgress) -> Result<(), SyncObserverError>;
}

/// Most rounds one `wake` runs back to back for wakes that arrived while it ran.
const MAX_WAKE_ROUNDS: u32 = 4;

/// Syncs one vault with its team server. See the module notes: blocking, one sync at a
/// time (a second concurrent call fails with `AlreadyRunning`). Close it when done.
#[derive(uniffi::Object)]
pub struct SyncClient {
    vault: Arc<Vault>,
    options: SyncOptions,
    platform: Option<Arc<dyn PlatformTransport>>,
    running: Mutex<()>,
    /// A wake arrived that no round has served yet.
    wanted: std::sync::atomic::AtomicBool,
    observer: Mutex<Option<Arc<dyn SyncObserver>>>,
}

#[uniffi::export]
impl SyncClient {
    /// A client using the built-in HTTP(S) transport.
    #[uniffi::constructor]
    pub fn new(vault: Arc<Vault>, options: SyncOptions) -> Arc<Self> {
        Arc::new(SyncClient {
            vault,
            options,
            platform: None,
            running: Mutex::new(()),
            wanted: std::sync::atomic::AtomicBool::new(false),
            observer: Mutex::new(None),
        })
    }

    /// A client whose requests go through the platform's own transport.
    #[uniffi::constructor]
    pub fn with_transport(
        vault: Arc<Vault>,
        options: SyncOptions,
        transport: Arc<dyn PlatformTransport>,
    ) -> Arc<Self> {
        Arc::new(SyncClient {
            vault,
            options,
            platform: Some(transport),
            running: Mutex::new(()),
            wanted: std::sync::atomic::AtomicBool::new(false),
            observer: Mutex::new(None),
        })
    }

    /// Registers this device with the team server at `server_url` using the
    /// administrator's one-time `code`, under the `officer`'s name. Blocking.
    pub fn enroll(
        &self,
        server_url: String,
        code: String,
        officer: String,
    ) -> Result<(), SyncError> {
        let _running = self.start()?;
        let pins = self.option_pins()?;
        let engine = self.engine(&server_url, pins.clone())?;
        let mut v = self.vault.guard();
        let db = v.db_mut()?;
        engine.enroll(db, &server_url, &code, &officer)?;
        if self.platform.is_none() && !pins.is_empty() {
            core_sync::state::set_tls_pins(db, &pins)?;
        }
        Ok(())
    }

    /// Pushes every pending local change, then pulls the team's changes until the server
    /// has no more. Ignores any scheduled backoff (a user's "sync now"). Blocking.
    pub fn sync_now(&self) -> Result<SyncReport, SyncError> {
        let report: SyncReport = {
            let _running = self.start()?;
            let mut v = self.vault.guard();
            let db = v.db_mut()?;
            let url = self.server_url(db)?;
            let engine = self.engine(&url, self.pins(db)?)?;
            engine.sync_now(db)?.into()
        };
        Ok(self.then_serve_wakes(report))
    }

    /// Like `sync_now` but does nothing (returns `null`) while a retry is scheduled in
    /// the future: for a periodic job. Blocking.
    pub fn sync_if_due(&self) -> Result<Option<SyncReport>, SyncError> {
        let report: Option<SyncReport> = {
            let _running = self.start()?;
            let mut v = self.vault.guard();
            let db = v.db_mut()?;
            let url = self.server_url(db)?;
            let engine = self.engine(&url, self.pins(db)?)?;
            engine.sync_if_due(db)?.map(Into::into)
        };
        Ok(report.map(|r| self.then_serve_wakes(r)))
    }

    /// The one sync loop: the platform calls this on its network, foreground, local-change
    /// and periodic events, from any thread, as often as it likes. Never two syncs at
    /// once: a wake while a sync runs returns `null` at once, and the running one does one
    /// more round before it returns, so no wake is lost. `NetworkAvailable` skips a
    /// scheduled backoff; the other triggers sync only when no retry is scheduled in the
    /// future. Returns what the rounds did together (`null`: nothing ran here). Blocking
    /// for the caller that runs the rounds. Not enrolled or revoked: the typed error, as
    /// `sync_now`.
    pub fn wake(&self, trigger: SyncTrigger) -> Result<Option<SyncReport>, SyncError> {
        use std::sync::atomic::Ordering::SeqCst;
        self.wanted.store(true, SeqCst);
        let mut total: Option<SyncReport> = None;
        let mut skip_backoff = trigger == SyncTrigger::NetworkAvailable;
        let mut rounds = 0;
        loop {
            let guard = match self.running.try_lock() {
                Ok(g) => g,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                // The running loop will see `wanted` and serve this wake.
                Err(std::sync::TryLockError::WouldBlock) => return Ok(total),
            };
            while rounds < MAX_WAKE_ROUNDS && self.wanted.swap(false, SeqCst) {
                rounds += 1;
                let mut v = self.vault.guard();
                let db = v.db_mut()?;
                let url = self.server_url(db)?;
                let engine = self.engine(&url, self.pins(db)?)?;
                let report = if skip_backoff {
                    Some(engine.sync_now(db)?)
                } else {
                    engine.sync_if_due(db)?
                };
                skip_backoff = false;
                if let Some(r) = report {
                    total = Some(match total {
                        None => r.into(),
                        Some(t) => t.plus(r.into()),
                    });
                }
            }
            drop(guard);
            // A wake that arrived between our last check and the unlock found the lock
            // taken and left it to us: look once more.
            if rounds >= MAX_WAKE_ROUNDS || !self.wanted.load(SeqCst) {
                return Ok(total);
            }
        }
    }

    /// Reports the progress of every later sync of this client to `observer` (replacing
    /// any earlier one); `None` stops reporting.
    pub fn set_observer(&self, observer: Option<Arc<dyn SyncObserver>>) {
        *self.observer.lock().unwrap_or_else(|p| p.into_inner()) = observer;
    }

    /// Pending and quarantined counts, last success, last error, next attempt,
    /// revocation. Reads the store only.
    pub fn status(&self) -> Result<SyncStatus, SyncError> {
        let v = self.vault.guard();
        Ok(core_sync::status(v.db()?)?.into())
    }

    /// Local changes refused (with their reasons), oldest first. Kept, never resent.
    pub fn quarantined(&self) -> Result<Vec<OutboxEntry>, SyncError> {
        let v = self.vault.guard();
        let entries = vigil_core::store::outbox::quarantined(v.db()?.conn())?;
        Ok(entries.into_iter().map(Into::into).collect())
    }
}

impl SyncClient {
    /// Wakes that came in while a `sync_now`/`sync_if_due` ran found the client busy and
    /// returned at once: serve them now, so none is lost. Their failure is recorded in the
    /// status (last error, next attempt); the call that ran keeps its own result.
    fn then_serve_wakes(&self, report: SyncReport) -> SyncReport {
        if !self.wanted.load(std::sync::atomic::Ordering::SeqCst) {
            return report;
        }
        match self.wake(SyncTrigger::LocalChange) {
            Ok(Some(more)) => report.plus(more),
            _ => report,
        }
    }

    fn start(&self) -> Result<std::sync::MutexGuard<'_, ()>, SyncError> {
        match self.running.try_lock() {
            Ok(g) => Ok(g),
            // A panic in an earlier sync left nothing half-done (every step commits or
            // rolls back its own transaction).
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(SyncError::AlreadyRunning),
        }
    }

    fn server_url(&self, db: &vigil_core::store::Database) -> Result<String, SyncError> {
        if let Some(url) = &self.options.server_url {
            return Ok(url.clone());
        }
        core_sync::status(db)?
            .server_url
            .ok_or(SyncError::NotEnrolled)
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

    /// The options' pins, else those recorded at enrollment.
    fn pins(&self, db: &vigil_core::store::Database) -> Result<Vec<SpkiPin>, SyncError> {
        let pins = self.option_pins()?;
        if !pins.is_empty() || self.platform.is_some() {
            return Ok(pins);
        }
        Ok(core_sync::state::tls_pins(db.conn())?)
    }

    fn engine(&self, server_url: &str, pins: Vec<SpkiPin>) -> Result<SyncEngine, SyncError> {
        let base = server_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SyncError::InvalidUrl);
        }
        let transport: Box<dyn Transport> = match &self.platform {
            Some(p) => Box::new(Platform {
                base,
                inner: p.clone(),
            }),
            None => {
                let timeout =
                    Duration::from_millis(self.options.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
                let tls = TlsOptions {
                    pins,
                    extra_roots_pem: None,
                };
                Box::new(
                    core_sync::transport::HttpTransport::with_tls(&base, timeout, &tls)
                        .map_err(|_| SyncError::InvalidUrl)?,
                )
            }
        };
        let engine = SyncEngine::new(transport);
        let observer = self
            .observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Ok(match observer {
            Some(o) => engine.with_progress(Arc::new(move |p| {
                let _ = o.on_progress(p.into());
            })),
            None => engine,
        })
    }
}
