//! The tests' one fault-injecting TCP proxy between a device (or the CLI) and a server on
//! loopback. Each accepted connection (the transports open one per request) takes, in
//! this order: the fault of an armed [`Trap`] when the request is the one it names, else
//! the next fault of the queue ([`FaultProxy::push`]), else none: it is forwarded
//! faithfully. A proxy made with [`FaultProxy::throttled`] carries every connection at a
//! fixed rate instead (a slow link). It parses just enough HTTP/1.1 (headers and
//! Content-Length) to know where a request and an answer end.

use std::collections::VecDeque;
use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the proxy does to one request.
#[derive(Clone)]
pub enum Fault {
    /// Forward only the first `n` bytes of the request, then cut both sides.
    CutRequest(usize),
    /// Forward the whole request, return only the first `n` bytes of the answer, then cut.
    CutResponse(usize),
    /// Forward the request, stall the answer this long (past the client's timeout), then
    /// send it.
    Delay(Duration),
    /// Answer with these raw bytes without contacting the server.
    Respond(String),
    /// Forward faithfully (to let earlier connections through before a later fault).
    Forward,
    /// Forward the whole request, wait `after`, run `then` (where a test kills the
    /// server), then cut both sides: the client never gets an answer.
    Hang {
        after: Duration,
        then: Arc<dyn Fn() + Send + Sync>,
    },
}

impl fmt::Debug for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::CutRequest(n) => write!(f, "CutRequest({n})"),
            Fault::CutResponse(n) => write!(f, "CutResponse({n})"),
            Fault::Delay(d) => write!(f, "Delay({d:?})"),
            Fault::Respond(_) => write!(f, "Respond(..)"),
            Fault::Forward => write!(f, "Forward"),
            Fault::Hang { after, .. } => write!(f, "Hang({after:?})"),
        }
    }
}

/// A request the proxy watches for: the `nth` (from 1) `POST` on `path` from the time it
/// is armed whose body `body` accepts gets `fault`; the others pass.
#[derive(Clone, Debug)]
pub struct Trap {
    pub path: &'static str,
    pub body: fn(&[u8]) -> bool,
    pub nth: usize,
    pub fault: Fault,
}

/// A [`Trap::body`] that takes every request.
pub fn any_body(_: &[u8]) -> bool {
    true
}

#[derive(Default)]
struct State {
    queue: VecDeque<Fault>,
    trap: Option<Trap>,
    /// Requests the armed trap matched so far.
    seen: usize,
    /// Whether the armed trap has struck.
    struck: bool,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// A proxy to `upstream`, forwarding faithfully until told otherwise.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        FaultProxy::listen(upstream, None)
    }

    /// A proxy to `upstream` that carries each direction of every connection at
    /// `bytes_per_s` (a slow link); faults and traps do not apply.
    pub fn throttled(upstream: SocketAddr, bytes_per_s: u64) -> FaultProxy {
        FaultProxy::listen(upstream, Some(bytes_per_s.max(1)))
    }

    fn listen(upstream: SocketAddr, rate: Option<u64>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let state: Arc<Mutex<State>> = Arc::default();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, c, s) = (state.clone(), connections.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let st = st.clone();
                thread::spawn(move || {
                    let _ = match rate {
                        Some(rate) => throttle(client, upstream, rate),
                        None => handle(client, upstream, &st),
                    };
                });
            }
        });
        FaultProxy {
            addr,
            state,
            connections,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues `fault` for the next connection no trap takes.
    pub fn push(&self, fault: Fault) {
        self.state().queue.push_back(fault);
    }

    /// Faults queued and not yet taken.
    pub fn queued(&self) -> usize {
        self.state().queue.len()
    }

    /// Watches for `trap`'s request from now on (replacing any trap armed before).
    pub fn arm(&self, trap: Trap) {
        let mut s = self.state();
        s.trap = Some(trap);
        s.seen = 0;
        s.struck = false;
    }

    /// Stops watching; whether the trap struck.
    pub fn disarm(&self) -> bool {
        let mut s = self.state();
        s.trap = None;
        std::mem::take(&mut s.struck)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("proxy state")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one HTTP/1.1 message (headers, then Content-Length bytes of body): the bytes and
/// where the body starts.
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

/// The fault for a request that has fully arrived: the trap's when it is the one, else
/// the queue's.
fn fault_for(state: &Mutex<State>, request: &[u8], body_at: usize) -> Option<Fault> {
    let mut s = state.lock().expect("proxy state");
    let trapped = match &s.trap {
        Some(t) => {
            request.starts_with(format!("POST {} ", t.path).as_bytes())
                && (t.body)(&request[body_at..])
        }
        None => false,
    };
    if trapped {
        s.seen += 1;
        if Some(s.seen) == s.trap.as_ref().map(|t| t.nth) {
            s.struck = true;
            return s.trap.take().map(|t| t.fault);
        }
        return None;
    }
    s.queue.pop_front()
}

fn exchange(upstream: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(request)?;
    let answer = read_message(&mut up)?.0;
    let _ = up.shutdown(Shutdown::Both);
    Ok(answer)
}

fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    // A cut request is cut before it has fully arrived: the queue decides it first.
    let queued_cut = {
        let mut s = state.lock().expect("proxy state");
        match s.queue.front() {
            Some(Fault::CutRequest(n)) if s.trap.is_none() => {
                let n = *n;
                s.queue.pop_front();
                Some(n)
            }
            _ => None,
        }
    };
    if let Some(n) = queued_cut {
        let mut part = vec![0u8; n];
        client.read_exact(&mut part)?;
        let mut up = TcpStream::connect(upstream)?;
        up.write_all(&part)?;
        let _ = up.shutdown(Shutdown::Both);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    let (request, body_at) = read_message(&mut client)?;
    match fault_for(state, &request, body_at) {
        Some(Fault::CutRequest(n)) => {
            let mut up = TcpStream::connect(upstream)?;
            up.write_all(&request[..n.min(request.len())])?;
            let _ = up.shutdown(Shutdown::Both);
        }
        Some(Fault::CutResponse(n)) => {
            let answer = exchange(upstream, &request)?;
            client.write_all(&answer[..n.min(answer.len())])?;
        }
        Some(Fault::Delay(d)) => {
            let answer = exchange(upstream, &request)?;
            thread::sleep(d);
            let _ = client.write_all(&answer);
        }
        Some(Fault::Respond(raw)) => client.write_all(raw.as_bytes())?,
        Some(Fault::Hang { after, then }) => {
            let mut up = TcpStream::connect(upstream)?;
            up.write_all(&request)?;
            thread::sleep(after);
            then();
        }
        Some(Fault::Forward) | None => {
            let answer = exchange(upstream, &request)?;
            client.write_all(&answer)?;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}

/// Carries both directions of one connection at `bytes_per_s` each.
fn throttle(client: TcpStream, upstream: SocketAddr, bytes_per_s: u64) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream)?;
    let pipe = move |mut from: TcpStream, mut to: TcpStream| {
        thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 || to.write_all(&buf[..n]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_micros(n as u64 * 1_000_000 / bytes_per_s));
            }
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    let (c2, s2) = (client.try_clone()?, server.try_clone()?);
    pipe(client, server);
    pipe(s2, c2);
    Ok(())
}
