//! HTTP routes. Bodies are read as bytes (so an oversized body is a JSON 413 and a
//! malformed one a JSON 400), parsed, and handed to `service` on the blocking pool.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use vigil_core::sync::protocol::{decode_blob_put, paths, BlobRequest, SERVER_TIME_HEADER};

use crate::blobs;
use crate::conn::ClientAddr;
use crate::error::{Refusal, ServerError};
use crate::service::{self, Ctx};
use crate::throttle::{EnrollLimits, EnrollThrottle};

/// Largest request body accepted (a push batch of a few hundred entries fits easily).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Arc<Ctx>,
    /// Largest request body accepted (bodies read as a stream check it themselves).
    pub body_limit: usize,
    /// Enrollment attempts per client address and failed ones across teams.
    pub enroll: Arc<EnrollThrottle>,
}

pub fn router(ctx: Arc<Ctx>, body_limit: usize) -> Router {
    let console = crate::console::router(ctx.clone());
    let clock = ctx.clone();
    Router::new()
        .route(paths::HEALTH, get(|| async { "ok" }))
        .route(paths::ENROLL, post(enroll))
        .route(paths::PUSH, post(push))
        .route(paths::PULL, post(pull))
        .route(paths::BLOB_STATUS, post(blob_status))
        .route(paths::BLOB_PUT, post(blob_put))
        .route(paths::BLOB_GET, post(blob_get))
        .route_layer(axum::middleware::from_fn(log_refusal))
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(AppState {
            ctx,
            body_limit,
            enroll: Arc::new(EnrollThrottle::new(EnrollLimits::default())),
        })
        .merge(console)
        // After the merge, so the console's routes answer a wrong method the same way.
        .method_not_allowed_fallback(move || wrong_method(clock.clone()))
}

/// Logs every refused request (4xx) with its route, status, error code and reason, so an
/// operator sees why a device is turned away; never a request's content.
async fn log_refusal(req: Request, next: Next) -> Response {
    // A route layer runs for matched routes only, and ours have no parameters: the path
    // is the route, never client-chosen text.
    let route = req.uri().path().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() {
        let refusal = response.extensions().get::<Refusal>();
        tracing::warn!(
            route = %route,
            status = status.as_u16(),
            code = refusal.map(|r| r.code).unwrap_or("-"),
            reason = refusal.map(|r| r.reason.as_str()).unwrap_or("-"),
            "request refused"
        );
    }
    response
}

/// A path the server does not serve: 404 `not_found`, with the server's time like every
/// other answer (docs/SYNC.md).
async fn unknown_route(State(s): State<AppState>) -> Response {
    ServerError::NotFound("route").into_response_at(s.ctx.now_ms())
}

/// A route asked with a method it does not take (a GET of `/v1/push`): 405
/// `method_not_allowed`, with the `Allow` header axum adds and the server's time.
async fn wrong_method(ctx: Arc<Ctx>) -> Response {
    ServerError::MethodNotAllowed.into_response_at(ctx.now_ms())
}

fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ServerError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServerError::TooLarge
        } else {
            ServerError::Malformed("unreadable body".into())
        }
    })?;
    // Only the error's class and position: serde's own message may quote the value.
    serde_json::from_slice(&bytes).map_err(|e| {
        ServerError::Malformed(format!(
            "json {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

async fn run<Req, Resp>(
    state: AppState,
    body: Result<Bytes, BytesRejection>,
    f: fn(&Ctx, &Req) -> Result<Resp, ServerError>,
) -> Response
where
    Req: DeserializeOwned + Send + 'static,
    Resp: Serialize + Send + 'static,
{
    // Every error body tells the server's time too.
    let ctx = state.ctx.clone();
    let req: Req = match parse(body) {
        Ok(r) => r,
        Err(e) => return e.into_response_at(ctx.now_ms()),
    };
    let joined = tokio::task::spawn_blocking(move || f(&state.ctx, &req)).await;
    match joined {
        Ok(Ok(resp)) => (StatusCode::OK, Json(resp)).into_response(),
        Ok(Err(e)) => e.into_response_at(ctx.now_ms()),
        Err(_) => ServerError::Storage("worker panicked".into()).into_response_at(ctx.now_ms()),
    }
}

/// Rate-limited ([`crate::throttle`]): 429 with `Retry-After` beyond the limits.
async fn enroll(
    State(s): State<AppState>,
    client: Option<axum::Extension<ClientAddr>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let now = s.ctx.now_ms();
    let addr = client.map(|axum::Extension(ClientAddr(a))| a.ip());
    if let Some(addr) = addr {
        if let Err(retry_after_s) = s.enroll.admit(addr, now) {
            return ServerError::RateLimited { retry_after_s }.into_response_at(now);
        }
    }
    let throttle = s.enroll.clone();
    let ctx = s.ctx.clone();
    let response = run(s, body, service::enroll).await;
    if let (Some(addr), StatusCode::UNAUTHORIZED) = (addr, response.status()) {
        throttle.failed(addr, ctx.now_ms());
    }
    response
}

async fn push(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let ctx = s.ctx.clone();
    let response = run(s, body, service::push).await;
    if response.status() == StatusCode::OK {
        // The console's live views look for new changes.
        ctx.pushed.send_modify(|n| *n = n.wrapping_add(1));
    }
    response
}

async fn pull(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    run(s, body, service::pull).await
}

async fn blob_status(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    run(s, body, blobs::status).await
}

/// `u32be(header length) ‖ header JSON ‖ chunk`, read frame by frame: when the connection
/// is cut after part of the chunk arrived, that part is kept (`blobs::put_prefix`).
async fn blob_put(State(s): State<AppState>, body: Body) -> Response {
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut cut = false;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len().saturating_add(data.len()) > s.body_limit {
                        return ServerError::TooLarge.into_response_at(s.ctx.now_ms());
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Err(_) => {
                cut = true;
                break;
            }
        }
    }
    let ctx = s.ctx.clone();
    let joined = tokio::task::spawn_blocking(move || match decode_blob_put(&buf) {
        Some((req, part)) if cut => blobs::put_prefix(&s.ctx, &req, part),
        Some((req, chunk)) => blobs::put(&s.ctx, &req, chunk),
        None => Err(ServerError::Malformed("blob chunk frame".into())),
    })
    .await;
    match joined {
        Ok(Ok(resp)) => (StatusCode::OK, Json(resp)).into_response(),
        Ok(Err(e)) => e.into_response_at(ctx.now_ms()),
        Err(_) => ServerError::Storage("worker panicked".into()).into_response_at(ctx.now_ms()),
    }
}

/// Answers the bytes themselves (`application/octet-stream`).
async fn blob_get(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let ctx = s.ctx.clone();
    let req: BlobRequest = match parse(body) {
        Ok(r) => r,
        Err(e) => return e.into_response_at(ctx.now_ms()),
    };
    let joined = tokio::task::spawn_blocking(move || blobs::get(&s.ctx, &req)).await;
    match joined {
        Ok(Ok(bytes)) => (
            StatusCode::OK,
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/octet-stream".to_string(),
                ),
                (
                    axum::http::HeaderName::from_static(SERVER_TIME_HEADER),
                    ctx.now_ms().to_string(),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(e)) => e.into_response_at(ctx.now_ms()),
        Err(_) => ServerError::Storage("worker panicked".into()).into_response_at(ctx.now_ms()),
    }
}
