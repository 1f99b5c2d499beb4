//! Connections: how long a client may take and how many may be open, so slow or hostile
//! clients are shed instead of holding the server (200 connections trickling headers and a
//! body sent a byte at a time stayed open for ever under `axum::serve`).
//!
//! - header-read timeout: the request line and headers must arrive within
//!   [`Limits::header_read`] (hyper's own timer);
//! - body-read timeout: the whole body within [`Limits::body_read`] of the headers, else
//!   408 and the connection is closed;
//! - idle timeout: a connection that moves no byte either way for [`Limits::idle`] is
//!   closed (keep-alive included);
//! - at most [`Limits::max_connections`] open; further clients wait in the listen backlog;
//! - a `Content-Length` above the body limit is answered 413 at once, unread, and the
//!   connection closed.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::error::ServerError;
use crate::service::Ctx;

/// The limits of [`serve`]. `Default` is what `vigil-server` runs with.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest request body, bytes.
    pub body_limit: usize,
    pub header_read: Duration,
    pub body_read: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_limit: crate::api::DEFAULT_BODY_LIMIT,
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

impl Limits {
    pub fn with_body_limit(body_limit: usize) -> Self {
        Limits {
            body_limit,
            ..Limits::default()
        }
    }
}

/// The client's address, in every request's extensions (for per-address limits).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub SocketAddr);

/// Serves `router` on `listener` (plain TCP or TLS) within `limits` until `shutdown`
/// resolves; then open connections finish their current request.
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    ctx: Arc<Ctx>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        guard_body(ctx.clone(), limits, req, next)
    }));
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (io, peer) = tokio::select! {
            c = listener.accept() => c,
            _ = &mut shutdown => break,
        };
        let svc = TowerToHyperService::new(router.clone().layer(axum::Extension(ClientAddr(peer))));
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let io = TokioIo::new(IdleIo::new(io, limits.idle));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(io, svc);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(stop_tx);
    Ok(())
}

/// Refuses an announced body above the limit at once, and gives the body a deadline.
async fn guard_body(ctx: Arc<Ctx>, limits: Limits, req: Request, next: Next) -> Response {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limits.body_limit as u64) {
        return closing(ServerError::TooLarge.into_response_at(ctx.now_ms()));
    }
    let expired = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = Body::new(Deadline {
        inner: body,
        sleep: Box::pin(tokio::time::sleep(limits.body_read)),
        expired: expired.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    if expired.load(Ordering::SeqCst) {
        let mut r = ServerError::Malformed("the body did not arrive in time".into())
            .into_response_at(ctx.now_ms());
        *r.status_mut() = StatusCode::REQUEST_TIMEOUT;
        return closing(r);
    }
    response
}

fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A request body that fails once its deadline passes.
struct Deadline {
    inner: Body,
    sleep: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err(axum::Error::new(io::Error::from(
                io::ErrorKind::TimedOut,
            )))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How long, and how many bytes, a closing connection keeps reading what the client still
/// sends (a body answered 413 unread): closing with unread bytes resets the connection,
/// and the client would lose the answer.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 4 * 1024 * 1024;

/// A connection that fails a read or write once no byte has moved for `idle`, and that
/// lingers briefly when closed.
struct IdleIo<T> {
    inner: T,
    idle: Duration,
    sleep: Pin<Box<Sleep>>,
    /// Once the write side is shut: the bytes drained and the deadline of draining.
    lingering: Option<(usize, Pin<Box<Sleep>>)>,
}

impl<T> IdleIo<T> {
    fn new(inner: T, idle: Duration) -> Self {
        IdleIo {
            inner,
            idle,
            sleep: Box::pin(tokio::time::sleep(idle)),
            lingering: None,
        }
    }

    fn moved(&mut self) {
        let at = tokio::time::Instant::now() + self.idle;
        self.sleep.as_mut().reset(at);
    }

    fn check<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
        progress: bool,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(r) => {
                if progress {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if self.sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(io::Error::from(io::ErrorKind::TimedOut)));
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let progress = buf.filled().len() > before;
        this.check(cx, polled, progress)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, data);
        let progress = matches!(polled, Poll::Ready(Ok(n)) if n > 0);
        this.check(cx, polled, progress)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.check(cx, polled, false)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.lingering.is_none() {
            match Pin::new(&mut this.inner).poll_shutdown(cx) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
            this.lingering = Some((0, Box::pin(tokio::time::sleep(LINGER))));
        }
        let Some((drained, deadline)) = this.lingering.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        loop {
            if *drained > LINGER_BYTES || deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => *drained += buf.filled().len(),
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
