//! `vigil-server`: the team sync server. Enrollment with one-time codes, signed push
//! batches applied exactly once per (device, seq), and paged pull by server sequence.
//! The protocol types and signature checks come from `vigil_core::sync::protocol`;
//! the core's store is never used here.

pub mod api;
pub mod blobs;
pub mod clock;
pub mod conn;
pub mod console;
pub mod error;
mod ingest;
pub mod postgres;
pub mod service;
pub mod sqlite;
pub mod storage;
pub mod throttle;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

pub use clock::{Clock, MonotonicClock, ShiftedClock, SystemClock};
pub use conn::Limits;
pub use error::ServerError;
pub use postgres::PgStorage;
pub use service::Ctx;
pub use sqlite::SqliteStorage;
pub use storage::Storage;

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Serves on `listener` until `shutdown` resolves, with the default [`Limits`] and
/// `body_limit`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: Arc<Ctx>,
    body_limit: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_limited(listener, ctx, Limits::with_body_limit(body_limit), shutdown).await
}

/// Serves on `listener` within `limits` (timeouts, connections, body size).
pub async fn serve_limited(
    listener: tokio::net::TcpListener,
    ctx: Arc<Ctx>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = api::router(ctx.clone(), limits.body_limit);
    conn::serve(listener, router, ctx, limits, shutdown).await
}

/// Serves HTTPS on `listener` with `tls` (see [`tls::TlsIdentity::load`]) until
/// `shutdown` resolves.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    ctx: Arc<Ctx>,
    body_limit: usize,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = Limits::with_body_limit(body_limit);
    let router = api::router(ctx.clone(), body_limit);
    tls::serve(listener, router, ctx, limits, tls, shutdown).await
}

type Stop = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// A server running on its own thread and runtime (tests, embedding). Stops when dropped.
pub struct BackgroundServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// Binds `addr` (port 0 picks a free port) and serves `storage` in the background,
    /// on the system clock.
    pub fn start(
        storage: Arc<dyn Storage>,
        addr: SocketAddr,
        body_limit: usize,
    ) -> std::io::Result<BackgroundServer> {
        Self::start_ctx(Arc::new(Ctx::new(storage)), addr, body_limit)
    }

    /// Like [`Self::start`] with a given context (storage and clock).
    pub fn start_ctx(
        ctx: Arc<Ctx>,
        addr: SocketAddr,
        body_limit: usize,
    ) -> std::io::Result<BackgroundServer> {
        Self::start_limited(ctx, addr, Limits::with_body_limit(body_limit))
    }

    /// Like [`Self::start_ctx`] within `limits` (tests of the timeouts use short ones).
    pub fn start_limited(
        ctx: Arc<Ctx>,
        addr: SocketAddr,
        limits: Limits,
    ) -> std::io::Result<BackgroundServer> {
        Self::spawn(addr, move |listener, stop| {
            serve_limited(listener, ctx, limits, stop)
        })
    }

    /// Like [`Self::start`], serving HTTPS with `tls`.
    pub fn start_tls(
        storage: Arc<dyn Storage>,
        addr: SocketAddr,
        body_limit: usize,
        tls: Arc<tokio_rustls::rustls::ServerConfig>,
    ) -> std::io::Result<BackgroundServer> {
        let ctx = Arc::new(Ctx::new(storage));
        Self::spawn(addr, move |listener, stop| {
            serve_tls(listener, ctx, body_limit, tls, stop)
        })
    }

    /// Binds `addr` and runs `run(listener, stop)` on a runtime of its own thread.
    fn spawn<F, Fut>(addr: SocketAddr, run: F) -> std::io::Result<BackgroundServer>
    where
        F: FnOnce(tokio::net::TcpListener, Stop) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = std::io::Result<()>> + Send,
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "listener");
                        return;
                    }
                };
                let stop: Stop = Box::pin(async {
                    let _ = rx.await;
                });
                if let Err(e) = run(listener, stop).await {
                    tracing::error!(error = %e, "server stopped");
                }
            });
        });
        Ok(BackgroundServer {
            addr,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
