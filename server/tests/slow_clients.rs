//! Slow and hostile clients are shed, over real sockets on loopback against the real
//! server: headers trickled, a body announced and sent a byte at a time, idle connections,
//! more connections than allowed, a `Content-Length` above the body limit. Before these
//! limits every such connection stayed open for ever. The limits here are short so the
//! test is quick; the server's defaults are in `vigil_server::Limits::default()`.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_server::{BackgroundServer, Ctx, Limits, SqliteStorage};

const LIMIT: usize = 64 * 1024;

fn server(max_connections: usize) -> (tempfile::TempDir, BackgroundServer) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_dir(dir.path()).unwrap());
    let limits = Limits {
        body_limit: LIMIT,
        header_read: Duration::from_secs(1),
        body_read: Duration::from_secs(1),
        idle: Duration::from_secs(2),
        max_connections,
    };
    let addr = "127.0.0.1:0".parse().unwrap();
    let s = BackgroundServer::start_limited(Arc::new(Ctx::new(storage)), addr, limits).unwrap();
    (dir, s)
}

/// True once the server has closed `s` (EOF or reset); false while it is open.
fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an answer before the close: read on
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

/// Everything the server sends until it closes the connection (bounded wait).
fn read_to_close(s: &mut TcpStream, within: Duration) -> String {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return String::from_utf8_lossy(&out).into_owned(),
        }
    }
    panic!(
        "the server kept the connection open: {}",
        String::from_utf8_lossy(&out)
    );
}

fn health(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    read_to_close(&mut s, Duration::from_secs(10))
}

#[test]
fn two_hundred_clients_trickling_headers_are_shed() {
    let (_d, server) = server(512);
    let mut conns: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"POST /v1/push HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                .unwrap();
            s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
            s
        })
        .collect();
    // A byte per connection every 100 ms: never idle, never done.
    let start = Instant::now();
    while !conns.is_empty() && start.elapsed() < Duration::from_secs(20) {
        conns.retain_mut(|s| s.write_all(b"a").is_ok() && !closed(s));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(conns.is_empty(), "{} connections still open", conns.len());
    // The server still answers.
    assert!(health(server.addr).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_body_sent_a_byte_at_a_time_is_cut_off_with_408() {
    let (_d, server) = server(512);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(
        b"POST /v1/push HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    let start = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut open = true;
    while open && start.elapsed() < Duration::from_secs(20) {
        let _ = s.write_all(b" ");
        match s.read(&mut buf) {
            Ok(0) => open = false,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => open = false,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!open, "the connection is still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("server_time_ms"), "{answer}");
}

#[test]
fn an_announced_body_above_the_limit_is_answered_413_at_once() {
    let (_d, server) = server(512);
    let mut s = TcpStream::connect(server.addr).unwrap();
    // 1,000,000 bytes announced; not one sent.
    s.write_all(
        b"POST /v1/push HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n",
    )
    .unwrap();
    // Well before the body timeout (1 s) and the idle timeout (2 s).
    let answer = read_to_close(&mut s, Duration::from_millis(900));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("server_time_ms"), "{answer}");
    // Blob routes too.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"POST /v1/blobs/put HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
        .unwrap();
    let answer = read_to_close(&mut s, Duration::from_millis(900));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("server_time_ms"), "{answer}");
}

#[test]
fn idle_connections_are_closed_and_the_connection_limit_holds() {
    let (_d, server) = server(4);
    // Four connections that say nothing take every slot.
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A fifth waits: no answer while the four are open...
    let mut fifth = TcpStream::connect(server.addr).unwrap();
    fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    fifth
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        matches!(fifth.read(&mut buf), Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "answered beyond the connection limit"
    );
    // ...and is served once the idle ones are closed by the server.
    for s in &mut idle {
        read_to_close(s, Duration::from_secs(10));
    }
    let answer = read_to_close(&mut fifth, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
