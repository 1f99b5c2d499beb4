//! The tests' own fault-injecting TCP proxy between a device and the server. Each accepted
//! connection (the transport opens one per request) takes the next fault from a queue;
//! with none queued it forwards faithfully. It parses just enough HTTP/1.1 (headers and
//! Content-Length) to know where a request and a response end.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward only the first `n` bytes of the request, then cut both sides.
    CutRequest(usize),
    /// Forward the whole request, return only the first `n` bytes of the answer, then cut.
    CutResponse(usize),
    /// Forward the request, hold the answer this long (past the client's timeout), then send it.
    Delay(Duration),
    /// Answer with these raw bytes without contacting the server.
    Respond(String),
    /// Forward faithfully (to let earlier connections through before a later fault).
    Forward,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let faults: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, c, s) = (faults.clone(), connections.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let fault = f.lock().expect("faults").pop_front();
                thread::spawn(move || {
                    let _ = handle(client, upstream, fault);
                });
            }
        });
        FaultProxy {
            addr,
            faults,
            connections,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push(&self, fault: Fault) {
        self.faults.lock().expect("faults").push_back(fault);
    }

    pub fn queued(&self) -> usize {
        self.faults.lock().expect("faults").len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one HTTP/1.1 message (headers, then Content-Length bytes of body): the bytes and
/// where the body starts. Shared with the relay of crash_recovery.rs.
pub fn read_message(s: &mut TcpStream) -> std::io::Result<(Vec<u8>, usize)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let header_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok((buf, header_end))
}

fn exchange(upstream: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(request)?;
    let resp = read_message(&mut up)?.0;
    let _ = up.shutdown(Shutdown::Both);
    Ok(resp)
}

fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Option<Fault>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    match fault {
        Some(Fault::CutRequest(n)) => {
            let mut part = vec![0u8; n];
            client.read_exact(&mut part)?;
            let mut up = TcpStream::connect(upstream)?;
            up.write_all(&part)?;
            let _ = up.shutdown(Shutdown::Both);
            let _ = client.shutdown(Shutdown::Both);
        }
        Some(Fault::CutResponse(n)) => {
            let req = read_message(&mut client)?.0;
            let resp = exchange(upstream, &req)?;
            client.write_all(&resp[..n.min(resp.len())])?;
            let _ = client.shutdown(Shutdown::Both);
        }
        Some(Fault::Delay(d)) => {
            let req = read_message(&mut client)?.0;
            let resp = exchange(upstream, &req)?;
            thread::sleep(d);
            let _ = client.write_all(&resp);
            let _ = client.shutdown(Shutdown::Both);
        }
        Some(Fault::Respond(raw)) => {
            let _ = read_message(&mut client)?.0;
            client.write_all(raw.as_bytes())?;
            let _ = client.shutdown(Shutdown::Both);
        }
        Some(Fault::Forward) | None => {
            let req = read_message(&mut client)?.0;
            let resp = exchange(upstream, &req)?;
            client.write_all(&resp)?;
            let _ = client.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}
