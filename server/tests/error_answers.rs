//! Every answer tells the server's time (docs/SYNC.md), those of the router itself too:
//! an unknown path (404 `not_found`), a route asked with the wrong method (405
//! `method_not_allowed`, with `Allow`), a body found too large while reading it (413
//! `too_large`, chunked so no `Content-Length` announces it). A real server on loopback
//! over a real SQLite file, spoken to in raw HTTP/1.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use vigil_core::sync::protocol::ErrorBody;
use vigil_server::{now_ms, BackgroundServer, SqliteStorage};

const LIMIT: usize = 64 * 1024;

fn server() -> (tempfile::TempDir, BackgroundServer) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_dir(dir.path()).unwrap());
    let s = BackgroundServer::start(storage, "127.0.0.1:0".parse().unwrap(), LIMIT).unwrap();
    (dir, s)
}

/// Sends `request` (with `Connection: close`) and returns the status line's code, the
/// headers (lower-case names) and the body.
fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut raw = Vec::new();
    // The server may close while we still send (a body refused unread): read what came.
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete answer head");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    (status, headers, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// The answer is an error body with `code` and the server's time, read between `before`
/// and now.
fn assert_error_with_time(body: &[u8], code: &str, before: u64) -> ErrorBody {
    let e: ErrorBody = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not an error body: {}", String::from_utf8_lossy(body)));
    assert_eq!(e.error, code);
    let t = e.server_time_ms.expect("server_time_ms in the error body");
    assert!(
        before <= t && t <= now_ms(),
        "{t} not between {before} and now"
    );
    e
}

#[test]
fn an_unknown_path_is_404_not_found_with_the_servers_time() {
    let (_d, s) = server();
    for request in [
        &b"GET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"[..],
        b"POST /v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        b"POST /v1/push/extra?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    ] {
        let before = now_ms();
        let (status, headers, body) = exchange(s.addr, request);
        assert_eq!(status, 404, "{}", String::from_utf8_lossy(request));
        assert!(headers
            .iter()
            .any(|(n, v)| n == "content-type" && v == "application/json"));
        let e = assert_error_with_time(&body, "not_found", before);
        assert_eq!(e.message, "no such route");
    }
}

#[test]
fn a_route_asked_with_the_wrong_method_is_405_with_allow_and_the_servers_time() {
    let (_d, s) = server();
    for (request, allow) in [
        (
            &b"GET /v1/push HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"[..],
            "POST",
        ),
        (
            b"DELETE /v1/blobs/get HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            "POST",
        ),
        (
            b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "GET,HEAD",
        ),
        // The web console's routes too (before any session check).
        (
            b"DELETE /console/audit HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            "GET,HEAD",
        ),
    ] {
        let before = now_ms();
        let (status, headers, body) = exchange(s.addr, request);
        assert_eq!(status, 405, "{}", String::from_utf8_lossy(request));
        assert!(
            headers.iter().any(|(n, v)| n == "allow" && v == allow),
            "{headers:?}"
        );
        assert_error_with_time(&body, "method_not_allowed", before);
    }
}

#[test]
fn a_body_found_too_large_while_read_is_413_with_the_servers_time() {
    let (_d, s) = server();
    // Chunked: nothing announces the size, the limit is found while reading.
    let chunk = vec![b'x'; LIMIT + 1];
    for path in ["/v1/push", "/v1/enroll", "/v1/blobs/put"] {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
            chunk.len()
        )
        .into_bytes();
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n0\r\n\r\n");
        let before = now_ms();
        let (status, _, body) = exchange(s.addr, &request);
        assert_eq!(status, 413, "{path}");
        assert_error_with_time(&body, "too_large", before);
    }
}

#[test]
fn answers_to_known_routes_are_unchanged() {
    let (_d, s) = server();
    let (status, _, body) = exchange(
        s.addr,
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]));
    let before = now_ms();
    let (status, _, body) = exchange(
        s.addr,
        b"POST /v1/pull HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nConnection: close\r\n\r\n{",
    );
    assert_eq!(status, 400);
    assert_error_with_time(&body, "malformed", before);
}
