//! The sync issue's "done when" cases, each against a real server on loopback with real
//! encrypted device stores: the server process killed mid-drain, the client gone between
//! the server's apply and its local ack, a month offline draining in bounded batches.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Device, TestServer};
use serde_json::json;
use vigil_core::sync::engine::{DEFAULT_BATCH_SIZE, DEFAULT_PULL_LIMIT};
use vigil_core::sync::protocol::{paths, PushBatch};
use vigil_core::sync::transport::HttpTransport;
use vigil_core::sync::{Response, Transport, TransportError};
use vigil_testkit::proxy::{Fault, FaultProxy};

const BIN: &str = env!("CARGO_BIN_EXE_vigil-server");

fn admin(dir: &Path, args: &[&str]) -> String {
    let out = common::server_admin(dir, args);
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The real `vigil-server` binary on a SQLite data dir; SIGKILLed when dropped.
struct Process(Child, String);

impl Process {
    fn start(dir: &Path, listen: &str) -> Process {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir)
            .args(["--listen", listen])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start vigil-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("vigil-server listening on ")
            .expect("listening line")
            .to_string();
        Process(child, addr)
    }

    /// SIGKILL: no graceful shutdown, whatever is in flight is cut.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Pull every change of the team as device `d` sees it, straight from the server.
fn server_seqs(d: &mut Device, url: &str) -> Vec<u64> {
    let t = HttpTransport::without_reuse(url, Duration::from_secs(5)).unwrap();
    let id = d.id();
    let mut seqs = Vec::new();
    let mut cursor = 0;
    loop {
        let db = d.db();
        let req = vigil_core::sync::protocol::PullRequest::signed(
            &id,
            cursor,
            500,
            vigil_core::clock::now_ms(),
            db.device_key(),
        );
        let (status, body) = common::post_json(&t, paths::PULL, &req);
        assert_eq!(status, 200);
        let page: vigil_core::sync::protocol::PullPage = serde_json::from_slice(&body).unwrap();
        seqs.extend(
            page.changes
                .iter()
                .filter(|c| c.device_id == id)
                .map(|c| c.seq),
        );
        cursor = page.next_cursor;
        if !page.has_more {
            return seqs;
        }
    }
}

#[test]
fn server_killed_mid_drain_then_restarted_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let team = admin(dir.path(), &["create-team", "Alpha"]);
    let code = admin(dir.path(), &["issue-code", &team]);
    let mut server = Process::start(dir.path(), "127.0.0.1:0");
    let url = format!("http://{}", server.1);

    let mut a = Device::with_timeout(&url, Duration::from_secs(2));
    let pushed = Arc::new(AtomicUsize::new(0));
    a.engine = vigil_core::team::engine(Box::new(CountingPushes {
        inner: HttpTransport::without_reuse(&url, Duration::from_secs(2)).unwrap(),
        ok: pushed.clone(),
    }))
    .with_page_sizes(5, 200);
    let db = a.vault.db_mut().unwrap();
    a.engine.enroll(db, &url, &code, "A").unwrap();
    const N: u64 = 2_000;
    a.db()
        .write(|w| {
            for i in 0..N {
                w.emit("note", &format!("n{i}"), &json!({"i": i}))?;
            }
            Ok(())
        })
        .unwrap();

    // Drain on another thread; kill the server once ten batches were answered.
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let r = a.sync();
        tx.send(()).unwrap();
        (a, r)
    });
    let store_db = dir.path().join("vigil-server.db");
    let started = Instant::now();
    while pushed.load(Ordering::SeqCst) < 10 {
        assert!(rx.try_recv().is_err(), "drain finished before the kill");
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill();
    let (mut a, first) = handle.join().unwrap();
    let e = first.expect_err("the drain was cut");
    assert!(e.is_transient(), "{e:?}");
    let left = a.status().pending;
    assert!(
        left > 0 && left < N,
        "part drained before the kill: {left} left"
    );
    assert!(store_db.exists());

    // Same data dir, same address: the drain resumes where the server's cursor is.
    let server = Process::start(dir.path(), &server.1.clone());
    assert_eq!(format!("http://{}", server.1), url);
    // A request may still time out on a loaded machine (2 s here): that is a transient
    // failure like any other, and the next sync carries on from where it stopped.
    for attempt in 0.. {
        match a.sync() {
            Ok(_) => break,
            Err(e) if e.is_transient() && attempt < 5 => {}
            Err(e) => panic!("drain after restart: {e:?}"),
        }
    }
    assert_eq!(a.status().pending, 0, "{left} were left before the restart");
    let mut seqs = server_seqs(&mut a, &url);
    seqs.sort();
    assert_eq!(seqs, (1..=N).collect::<Vec<_>>(), "each entry exactly once");
}

#[test]
fn client_gone_between_server_apply_and_local_ack_drains_without_duplicates() {
    let server = TestServer::start();
    let team = server.new_team("Bravo");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::new(&proxy.url());
    a.enroll(&server, &team, "A");
    for i in 0..7 {
        a.emit("note", &format!("n{i}"), json!({"i": i}));
    }
    // The push reaches the server and is applied; its answer never comes back.
    proxy.push(Fault::CutResponse(0));
    let e = a.sync().expect_err("answer cut");
    assert!(e.is_transient(), "{e:?}");
    assert_eq!(server.team_changes(&team).len(), 7, "applied on the server");
    assert_eq!(a.status().pending, 7, "not acknowledged locally");

    // The app is killed: the engine goes; a new one (new transport, same store) drains.
    a.engine = vigil_core::team::engine(Box::new(server.transport()));
    let r = a.sync().unwrap();
    assert_eq!(
        r.pushed, 7,
        "the repeat is answered as duplicates and acked"
    );
    assert_eq!(a.status().pending, 0);
    let changes = server.team_changes(&team);
    assert_eq!(changes.len(), 7, "no duplicates on the server");
    let mut seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
}

/// A real HTTP transport that counts the push requests answered 200.
struct CountingPushes {
    inner: HttpTransport,
    ok: Arc<AtomicUsize>,
}

impl Transport for CountingPushes {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        let r = self.inner.post(path, body);
        if path == paths::PUSH && matches!(&r, Ok(resp) if resp.status == 200) {
            self.ok.fetch_add(1, Ordering::SeqCst);
        }
        r
    }
}

/// A real HTTP transport that records what each push carried.
struct Recording {
    inner: HttpTransport,
    /// (entries, body bytes) per push; count of pulls.
    pushes: Arc<Mutex<Vec<(usize, usize)>>>,
    pulls: Arc<Mutex<usize>>,
}

impl Transport for Recording {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        if path == paths::PUSH {
            let b: PushBatch = serde_json::from_slice(&body).expect("a push batch");
            self.pushes
                .lock()
                .unwrap()
                .push((b.entries.len(), body.len()));
        } else if path == paths::PULL {
            *self.pulls.lock().unwrap() += 1;
        }
        self.inner.post(path, body)
    }
}

#[test]
fn thirty_days_offline_ten_thousand_entries_drain_in_bounded_batches() {
    let server = TestServer::start();
    let team = server.new_team("Charlie");
    let mut a = Device::new(&server.url());
    let mut b = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    b.enroll(&server, &team, "B");
    // A month of shifts: 10,000 entries, ~330 a day, about 200 bytes of payload each.
    // (Shift notes: the server verifies `incident.entry` payloads as chain links.)
    const N: u64 = 10_000;
    a.db()
        .write(|w| {
            for i in 0..N {
                let day = i / 334;
                w.emit(
                    "shift.note",
                    &format!("day{day}-{i}"),
                    &json!({"day": day, "text": "x".repeat(180)}),
                )?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(a.status().pending, N);

    let pushes = Arc::new(Mutex::new(Vec::new()));
    let pulls = Arc::new(Mutex::new(0));
    a.engine = vigil_core::team::engine(Box::new(Recording {
        inner: server.transport(),
        pushes: pushes.clone(),
        pulls: pulls.clone(),
    }));
    let r = a.sync().unwrap();
    assert_eq!(r.pushed, N);
    assert_eq!(a.status().pending, 0);

    let pushes = pushes.lock().unwrap().clone();
    // Bounded: at most DEFAULT_BATCH_SIZE (500) entries and 256 KiB per batch; these
    // entries are small enough that the count binds, so exactly 20 batches here.
    let most = DEFAULT_BATCH_SIZE as usize;
    assert!(
        pushes.iter().all(|&(n, _)| (1..=most).contains(&n)),
        "{pushes:?}"
    );
    assert!(pushes.iter().all(|&(_, bytes)| bytes <= 256 * 1024));
    assert_eq!(pushes.len(), (N as usize).div_ceil(most), "{pushes:?}");
    assert_eq!(pushes.iter().map(|&(n, _)| n as u64).sum::<u64>(), N);
    // Pull pages are bounded too (DEFAULT_PULL_LIMIT, 500, per page by default; own
    // changes come back).
    let page = DEFAULT_PULL_LIMIT as usize;
    assert!(*pulls.lock().unwrap() <= (N as usize).div_ceil(page) + 1);

    // The other device gets all of it, in bounded pages, exactly once.
    let r = b.sync().unwrap();
    assert_eq!(r.pulled, N);
    let mut per_day: BTreeMap<u64, usize> = BTreeMap::new();
    for e in b.inbox() {
        *per_day
            .entry(e.change.payload["day"].as_u64().unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_day.values().sum::<usize>(), N as usize);
    assert_eq!(per_day.len(), 30);
    assert_eq!(server.team_changes(&team).len(), N as usize);
}
