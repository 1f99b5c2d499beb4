//! The sync server's request handling, in process through the real router over a real
//! SQLite store: any method, path and body gives an answer, never a panic (a panic on the
//! blocking pool would be a 500 "worker panicked"; the fuzzer's panic hook aborts first),
//! never a 500, and every error answer carries `server_time_ms` (docs/SYNC.md).
//!
//! Input: byte 0 picks the route (and an unknown path or a GET), byte 1 whether a body
//! that parses as a push batch, pull or blob request is made to come from the enrolled
//! fuzz device and signed again by it (so the checks after the signature are reached);
//! the rest is the body.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use vigil_core::sync::protocol::{
    decode_blob_put, encode_blob_put, paths, BlobRequest, EnrollRequest, PullRequest, PushBatch,
    SCHEMA_VERSION,
};
use vigil_fuzz::fuzz_key;
use vigil_server::api::{router, DEFAULT_BODY_LIMIT};
use vigil_server::{service, Ctx, SqliteStorage, Storage};

struct Server {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    ctx: Arc<Ctx>,
    device_id: String,
    _dir: tempfile::TempDir,
}

const DEVICE_ID: &str = "fuzz-device-0001";

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage: Arc<dyn Storage> =
            Arc::new(SqliteStorage::open_dir(dir.path()).expect("open storage"));
        let team = storage.create_team("Fuzz").expect("team");
        let code = service::issue_code(storage.as_ref(), &team).expect("code");
        let ctx = Arc::new(Ctx::new(storage));
        service::enroll(
            &ctx,
            &EnrollRequest {
                schema_version: SCHEMA_VERSION,
                code,
                device_id: DEVICE_ID.into(),
                public_key: hex::encode(fuzz_key().public_key()),
                officer: "Fuzz".into(),
            },
        )
        .expect("enroll the fuzz device");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        Server {
            rt,
            router: router(ctx.clone(), DEFAULT_BODY_LIMIT),
            ctx,
            device_id: DEVICE_ID.into(),
            _dir: dir,
        }
    })
}

const ROUTES: [&str; 8] = [
    paths::ENROLL,
    paths::PUSH,
    paths::PULL,
    paths::BLOB_STATUS,
    paths::BLOB_PUT,
    paths::BLOB_GET,
    paths::HEALTH,
    "/v1/nothing-here",
];

/// The body as the enrolled fuzz device would have signed it, when it parses as one of
/// the signed requests of `path`.
fn resign(s: &Server, path: &str, body: &[u8]) -> Option<Vec<u8>> {
    let key = fuzz_key();
    let now = s.ctx.now_ms();
    match path {
        paths::PUSH => {
            let b: PushBatch = serde_json::from_slice(body).ok()?;
            let b = PushBatch::signed_as(b.schema_version, &s.device_id, b.entries, key);
            serde_json::to_vec(&b).ok()
        }
        paths::PULL => {
            let r: PullRequest = serde_json::from_slice(body).ok()?;
            let r = PullRequest::signed(&s.device_id, r.cursor, r.limit, now, key);
            serde_json::to_vec(&r).ok()
        }
        paths::BLOB_STATUS | paths::BLOB_GET => {
            let r: BlobRequest = serde_json::from_slice(body).ok()?;
            serde_json::to_vec(&resign_blob(s, r, now)).ok()
        }
        paths::BLOB_PUT => {
            let (r, chunk) = decode_blob_put(body)?;
            Some(encode_blob_put(&resign_blob(s, r, now), chunk))
        }
        _ => None,
    }
}

fn resign_blob(s: &Server, r: BlobRequest, now: u64) -> BlobRequest {
    BlobRequest::signed(
        &s.device_id,
        r.op,
        &r.blob,
        r.offset,
        r.length,
        r.chunk_sha256,
        now,
        fuzz_key(),
    )
}

fuzz_target!(|data: &[u8]| {
    let [route, mode, body @ ..] = data else {
        return;
    };
    let s = server();
    let path = ROUTES[usize::from(*route) % ROUTES.len()];
    let method = if route & 0x80 != 0 {
        Method::GET
    } else {
        Method::POST
    };
    let body = match (mode & 1, resign(s, path, body)) {
        (1, Some(signed)) => signed,
        _ => body.to_vec(),
    };
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let response =
        s.rt.block_on(s.router.clone().oneshot(request))
            .expect("the router is infallible");
    let status = response.status();
    assert!(
        !status.is_server_error(),
        "{path}: answered {status} to a client's bytes"
    );
    if status.is_client_error() {
        let bytes =
            s.rt.block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("an error answer is JSON");
        assert!(
            v.get("server_time_ms").and_then(|t| t.as_u64()).is_some(),
            "{path}: {status} without server_time_ms"
        );
    }
});
