//! Team sync for the apps: the `SyncClient` object over the core's `team::SyncClient`
//! (the same code `vigil sync` runs), and the `PlatformTransport` and
//! `SyncObserver` foreign traits. The records (`SyncReport`, `SyncStatus`,
//! `SyncProgress`, `SyncOptions`, `SyncTrigger`, `BlockedChange`) and the error
//! (`SyncError`, Kotlin `SyncException`, with its `code()`) are the core's own (Kotlin
//! package `app.vigil.core.model`).
//!
//! What must differ at the boundary, and why: `PlatformTransport` (a foreign trait) with
//! its `HttpHeader`/`HttpResponse` records and `PlatformTransportError` (a foreign trait's
//! error must absorb what Kotlin/Swift throws undeclared), and `SyncObserver` with its
//! error, for the same reason.
//!
//! What each call waits for: `enroll`, `sync_now`, `sync_if_due` and `wake` block their
//! caller on the network (call them from a background thread: `Dispatchers.IO`,
//! WorkManager, a background actor), but hold the vault only for short writes between
//! requests: the officer's calls on the same `Vault` (log, amend, answer, list, search,
//! unlock) never wait for the network, at most for one short write of the sync. `status`
//! and `quarantined` read the store only.
//!
//! One sync at a time per vault: a `sync_now` (or `enroll`) started while another runs
//! does not wait; it fails at once with `SyncError::AlreadyRunning`, and the running one
//! carries on. Apps share one client per vault.

use std::sync::Arc;

use vigil_core::sync::transport::TlsFailure;
use vigil_core::sync::{
    self as core_sync, SyncError, SyncProgress, SyncReport, SyncStatus, Transport, TransportError,
};
use vigil_core::team::{self, SyncOptions, SyncTrigger};

use crate::records::OutboxEntry;
use crate::vault::Vault;

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

/// Syncs one vault with its team server. See the module notes: blocking on the network,
/// never holding the vault across a request, one sync at a time per vault (a second
/// concurrent call fails with `AlreadyRunning`). Close it when done.
#[derive(uniffi::Object)]
pub struct SyncClient {
    inner: team::SyncClient,
}

#[uniffi::export]
impl SyncClient {
    /// A client using the built-in HTTP(S) transport.
    #[uniffi::constructor]
    pub fn new(vault: Arc<Vault>, options: SyncOptions) -> Arc<Self> {
        Arc::new(SyncClient {
            inner: team::SyncClient::new(vault.shared(), options),
        })
    }

    /// A client whose requests go through the platform's own transport.
    #[uniffi::constructor]
    pub fn with_transport(
        vault: Arc<Vault>,
        options: SyncOptions,
        transport: Arc<dyn PlatformTransport>,
    ) -> Arc<Self> {
        let make: team::TransportFactory = Arc::new(move |base: &str| {
            Box::new(Platform {
                base: base.to_string(),
                inner: transport.clone(),
            }) as Box<dyn Transport>
        });
        Arc::new(SyncClient {
            inner: team::SyncClient::with_transport(vault.shared(), options, make),
        })
    }

    /// Registers this device with the team server at `server_url` using the
    /// administrator's one-time `code`, under the `officer`'s name. Blocks on the network
    /// (not holding the vault).
    pub fn enroll(
        &self,
        server_url: String,
        code: String,
        officer: String,
    ) -> Result<(), SyncError> {
        self.inner.enroll(&server_url, &code, &officer)?;
        Ok(())
    }

    /// Pushes every pending local change, then pulls the team's changes until the server
    /// has no more. Ignores any scheduled backoff (a user's "sync now"). Blocks on the
    /// network (not holding the vault).
    pub fn sync_now(&self) -> Result<SyncReport, SyncError> {
        self.inner.sync_now()
    }

    /// Like `sync_now` but does nothing (returns `null`) while a retry is scheduled in
    /// the future: for a periodic job. Blocks on the network (not holding the vault).
    pub fn sync_if_due(&self) -> Result<Option<SyncReport>, SyncError> {
        self.inner.sync_if_due()
    }

    /// The one sync loop: the platform calls this on its network, foreground, local-change
    /// and periodic events, from any thread, as often as it likes. Never two syncs at
    /// once: a wake while a sync runs returns `null` at once, and the running one does one
    /// more round before it returns, so no wake is lost. `NetworkAvailable` skips a
    /// scheduled backoff; the other triggers sync only when no retry is scheduled in the
    /// future. Returns what the rounds did together (`null`: nothing ran here). Blocking
    /// for the caller that runs the rounds (on the network, not holding the vault). Not
    /// enrolled or revoked: the typed error, as `sync_now`.
    pub fn wake(&self, trigger: SyncTrigger) -> Result<Option<SyncReport>, SyncError> {
        self.inner.wake(trigger)
    }

    /// Text only for the syncs that start from now on: changes go and come, attachment
    /// files (photos) wait for a sync without it. Set it before each `wake` from the
    /// platform's view of the link (Android: no `NET_CAPABILITY_NOT_METERED`; iOS:
    /// `isExpensive` or `isConstrained`). Never holds back text.
    pub fn set_text_only(&self, text_only: bool) {
        self.inner.set_text_only(text_only);
    }

    /// Reports the progress of every later sync of this client to `observer` (replacing
    /// any earlier one); `None` stops reporting.
    pub fn set_observer(&self, observer: Option<Arc<dyn SyncObserver>>) {
        self.inner.set_progress(observer.map(|o| {
            Arc::new(move |p: SyncProgress| {
                let _ = o.on_progress(p);
            }) as core_sync::ProgressSink
        }));
    }

    /// Pending and quarantined counts, last success, last error, next attempt,
    /// revocation. Reads the store only.
    pub fn status(&self) -> Result<SyncStatus, SyncError> {
        self.inner.status()
    }

    /// Local changes refused (with their reasons), oldest first. Kept, never resent.
    pub fn quarantined(&self) -> Result<Vec<OutboxEntry>, SyncError> {
        Ok(self
            .inner
            .quarantined()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
