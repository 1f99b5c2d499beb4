//! Issue 19: the server process killed (SIGKILL) and restarted on the same data while
//! devices move attachments. The real `vigil-server` binary (on SQLite, or on PostgreSQL
//! with the `postgres` feature), real device stores and engine, and the test kit's proxy
//! between them, which kills the server at chosen points of chosen requests: the last
//! chunk of each blob (where an append and its completion used to be two commits) and
//! earlier chunks, each after a delay from a sweep (0 to 40 ms after the request reached
//! the server), so the kill lands before, during and after the server's commit. After
//! every kill the server is started again; the device must drain to zero pending, every
//! blob must be on the server byte for byte and on a teammate after its sync. The same
//! for downloads: kills and cut answers while a teammate downloads.
//!
//! Cost: three photos of 0.3 to 1.1 MB (about ten chunks), some twenty kills and restarts
//! of the server process per test; a few seconds on SQLite, a little more on PostgreSQL.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Device;
use ring::digest;
use vigil_core::sync::transport::HttpTransport;
use vigil_server::Storage;
use vigil_testkit::proxy::{self, Fault, FaultProxy};

const BIN: &str = env!("CARGO_BIN_EXE_vigil-server");

/// The `vigil-server` binary on this run's storage (a data directory, and on PostgreSQL a
/// throwaway cluster), on a fixed loopback port so a restart is found at the same place.
struct ServerProcess {
    port: u16,
    child: Option<Child>,
    site: common::StorageSite,
}

impl ServerProcess {
    fn new() -> ServerProcess {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let mut s = ServerProcess {
            port,
            child: None,
            site: common::StorageSite::new(),
        };
        s.start();
        s
    }

    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.args(self.site.server_args(&self.data_dir()));
        c
    }

    fn admin(&self, args: &[&str]) -> String {
        let out = self
            .command()
            .arg("admin")
            .args(args)
            .output()
            .expect("run vigil-server admin");
        assert!(out.status.success(), "admin {args:?} failed");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn log_path(&self) -> PathBuf {
        self.site.dir.path().join("server.log")
    }

    fn data_dir(&self) -> PathBuf {
        self.site.dir.path().join("data")
    }

    fn start(&mut self) {
        assert!(self.child.is_none());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut child = self
            .command()
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start vigil-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        assert!(line.starts_with("vigil-server listening on "), "{line}");
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is lost.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The server's storage opened directly (the process stopped first).
    fn open_storage(&mut self) -> Arc<dyn Storage> {
        self.kill();
        self.site.open(&self.data_dir())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the proxy does to the request a trap names.
#[derive(Clone, Copy, Debug)]
enum Strike {
    /// Kill the server this long after the whole request reached it.
    Kill(Duration),
    /// Pass the request, then cut the answer after this many bytes.
    CutAnswer(usize),
}

/// A request to strike: the `nth` (from 1) request on `path` from now on whose blob put
/// completes the blob (`last_chunk`) or any (`false`).
#[derive(Clone, Copy, Debug)]
struct Trap {
    path: &'static str,
    last_chunk: bool,
    nth: usize,
    strike: Strike,
}

/// Whether a blob put's body (`u32be(header length) ‖ header JSON ‖ chunk`) carries the
/// blob's last chunk.
fn is_last_chunk(body: &[u8]) -> bool {
    let Some(len) = body.get(..4) else {
        return false;
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let Some(header) = body.get(4..4 + len) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(header) else {
        return false;
    };
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    n("offset") + n("length") == v["blob"]["size"].as_u64().unwrap_or(u64::MAX)
}

/// Delays from the request's arrival to the kill: before, around and after the server's
/// commit of a chunk (and, for a blob's last chunk, its digest check).
const DELAYS_MS: [u64; 8] = [0, 1, 2, 4, 7, 12, 20, 40];

struct Team {
    server: Arc<Mutex<ServerProcess>>,
    proxy: FaultProxy,
    /// Set when a trap killed the server: the test restarts it.
    killed: Arc<AtomicBool>,
    team: String,
    a: Device,
    b: Device,
}

fn device_via(url: &str) -> Device {
    let mut d = Device::new(url);
    d.engine = vigil_core::team::engine(Box::new(
        HttpTransport::without_reuse(url, Duration::from_secs(5)).expect("transport"),
    ))
    .with_retry_policy(vigil_core::sync::RetryPolicy {
        base_ms: 10,
        max_ms: 50,
        max_retry_after_ms: 1_000,
    });
    d
}

fn enroll(d: &mut Device, server: &ServerProcess, team: &str, officer: &str, url: &str) {
    let code = server.admin(&["issue-code", team]);
    let db = d.vault.db_mut().expect("unlocked");
    d.engine.enroll(db, url, &code, officer).expect("enroll");
}

fn team() -> Team {
    let server = ServerProcess::new();
    let team = server.admin(&["create-team", "Alpha"]);
    let upstream = server.addr();
    let server = Arc::new(Mutex::new(server));
    let proxy = FaultProxy::start(upstream);
    let mut a = device_via(&proxy.url());
    let mut b = device_via(&proxy.url());
    {
        let s = server.lock().expect("server");
        enroll(&mut a, &s, &team, "A", &proxy.url());
        enroll(&mut b, &s, &team, "B", &proxy.url());
    }
    Team {
        server,
        proxy,
        killed: Arc::default(),
        team,
        a,
        b,
    }
}

impl Team {
    /// Arms the proxy with `trap`. A kill holds the server weakly: the proxy's thread
    /// outlives the test, and the server (process, data, PostgreSQL cluster) must go when
    /// the test drops it.
    fn arm(&self, trap: Trap) {
        let fault = match trap.strike {
            Strike::Kill(after) => {
                let (server, killed) = (Arc::downgrade(&self.server), self.killed.clone());
                Fault::Hang {
                    after,
                    then: Arc::new(move || {
                        if let Some(s) = server.upgrade() {
                            s.lock().expect("server").kill();
                        }
                        killed.store(true, Ordering::SeqCst);
                    }),
                }
            }
            Strike::CutAnswer(n) => Fault::CutResponse(n),
        };
        self.proxy.arm(proxy::Trap {
            path: trap.path,
            body: if trap.last_chunk {
                is_last_chunk
            } else {
                proxy::any_body
            },
            nth: trap.nth,
            fault,
        });
    }
}

fn photos() -> Vec<Vec<u8>> {
    vec![
        vigil_testkit::photo(11, 300_000),
        vigil_testkit::photo(12, 2_500_000),
        vigil_testkit::photo(13, 1_100_000),
    ]
}

/// Runs `sync` under each trap in turn (restarting the server whenever one killed it),
/// then once more without faults; returns which traps killed the server.
fn sweep(
    t: &mut Team,
    traps: impl IntoIterator<Item = Trap>,
    mut sync: impl FnMut(&mut Team) -> bool,
) -> Vec<Trap> {
    let mut kills = Vec::new();
    for trap in traps {
        t.arm(trap);
        let _ = sync(t);
        t.proxy.disarm();
        if t.killed.swap(false, Ordering::SeqCst) {
            kills.push(trap);
            t.server.lock().expect("server").start();
        }
    }
    assert!(sync(t), "a sync without faults after the sweep succeeds");
    kills
}

#[test]
fn killing_the_server_during_uploads_never_wedges_a_device_and_loses_nothing() {
    let mut t = team();
    // Eight photos of one to three chunks: eight last chunks to kill at.
    let photos: Vec<Vec<u8>> = (0..8u64)
        .map(|i| vigil_testkit::photo(40 + i, 150_000 + 80_000 * i as usize))
        .collect();
    let mut sent = Vec::new();
    for p in &photos {
        let aref = t.a.log_with_photo(p).1;
        let name = t.a.sealed_name(&aref.id);
        sent.push((aref, name));
    }
    assert_eq!(t.a.status().attachments_to_upload, 8);

    // Rounds alternate: the next blob's last chunk, killed at each delay of the sweep in
    // turn, then the next chunk of any kind, at another delay. A round that kills before
    // the commit is simply repeated by the next one.
    let traps = (0..40).map(|i| {
        if i % 2 == 0 {
            Trap {
                path: "/v1/blobs/put",
                last_chunk: true,
                nth: 1,
                strike: Strike::Kill(Duration::from_millis(DELAYS_MS[(i / 2) % DELAYS_MS.len()])),
            }
        } else {
            Trap {
                path: "/v1/blobs/put",
                last_chunk: false,
                nth: 1,
                strike: Strike::Kill(Duration::from_millis(DELAYS_MS[(i * 3) % DELAYS_MS.len()])),
            }
        }
    });
    // And the push that follows the uploads.
    let push = Trap {
        path: "/v1/push",
        last_chunk: false,
        nth: 1,
        strike: Strike::Kill(Duration::from_millis(2)),
    };
    let kills = sweep(&mut t, traps.chain([push]), |t| t.a.sync().is_ok());
    let last_chunk_delays: std::collections::BTreeSet<_> = kills
        .iter()
        .filter(|k| k.last_chunk)
        .map(|k| format!("{:?}", k.strike))
        .collect();
    assert!(
        last_chunk_delays.len() >= 5,
        "last chunks killed at too few points: {last_chunk_delays:?}"
    );
    assert!(kills.len() >= 10, "only {} kills: {kills:?}", kills.len());

    let st = t.a.status();
    assert_eq!((st.pending, st.attachments_to_upload), (0, 0), "{st:?}");

    // Every blob is on the server whole, byte for byte (its SHA-256 is its name)...
    let storage = t.server.lock().expect("server").open_storage();
    for (_, name) in &sent {
        let held = storage.blob(&t.team, &name.sha256).unwrap().expect("held");
        assert!(held.complete && held.received == name.size, "{held:?}");
        let bytes = storage
            .blob_read(&t.team, &name.sha256, 0, name.size)
            .unwrap();
        assert_eq!(bytes.len() as u64, name.size);
        assert_eq!(
            hex::encode(digest::digest(&digest::SHA256, &bytes)),
            name.sha256
        );
    }
    drop(storage);
    // ...and on the teammate after its sync, the photos themselves.
    t.server.lock().expect("server").start();
    let r = t.b.sync().expect("teammate sync");
    assert_eq!((r.attachments_downloaded, r.attachments_failed), (8, 0));
    for ((aref, _), bytes) in sent.iter().zip(&photos) {
        assert_eq!(
            &t.b.read_attachment(&aref.id).expect("attachment here"),
            bytes
        );
    }
}

#[test]
fn killing_the_server_or_cutting_answers_during_downloads_loses_nothing() {
    let mut t = team();
    let photos = photos();
    let mut sent = Vec::new();
    for p in &photos {
        sent.push(t.a.log_with_photo(p).1);
    }
    t.a.sync().expect("upload");
    assert_eq!(t.a.status().pending, 0);

    let mut traps = Vec::new();
    for (i, d) in DELAYS_MS.iter().enumerate() {
        traps.push(Trap {
            path: "/v1/blobs/get",
            last_chunk: false,
            nth: 1 + i % 2,
            strike: Strike::Kill(Duration::from_millis(*d)),
        });
        traps.push(Trap {
            path: "/v1/blobs/get",
            last_chunk: false,
            nth: 1 + (i + 1) % 2,
            strike: Strike::CutAnswer(100 + i * 40_000),
        });
    }
    traps.push(Trap {
        path: "/v1/pull",
        last_chunk: false,
        nth: 1,
        strike: Strike::Kill(Duration::from_millis(1)),
    });
    let kills = sweep(&mut t, traps, |t| t.b.sync().is_ok());
    assert!(kills.len() >= 4, "only {} kills", kills.len());

    let st = t.b.status();
    assert_eq!(st.attachments_to_download, 0, "{st:?}");
    for (aref, bytes) in sent.iter().zip(&photos) {
        assert_eq!(
            &t.b.read_attachment(&aref.id).expect("attachment here"),
            bytes
        );
    }
    // No partial download is left behind.
    let dir = t.b.vault.paths().attachments.clone();
    let partial = std::fs::read_dir(&dir)
        .expect("attachments dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".download"))
        .count();
    assert_eq!(partial, 0);
}

#[test]
fn every_refusal_is_logged_with_its_route_and_reason_and_no_content() {
    let mut t = team();
    let bytes = vigil_testkit::photo(21, 300_000);
    let aref = t.a.log_with_photo(&bytes).1;
    let name = t.a.sealed_name(&aref.id);
    // A chunk out of place: 409 blob_offset.
    let chunk = vec![7u8; 1000];
    let device = t.a.id();
    let r = put_chunk(&mut t, &name, 5000, &chunk);
    assert_eq!(r.status, 409);
    // An unreadable pull: 400 malformed.
    let transport =
        HttpTransport::without_reuse(&t.proxy.url(), Duration::from_secs(5)).expect("transport");
    let r = vigil_core::sync::Transport::post(&transport, "/v1/pull", b"{not json".to_vec())
        .expect("an answer");
    assert_eq!(r.status, 400);

    let log_path = t.server.lock().expect("server").log_path();
    t.server.lock().expect("server").kill();
    let log = std::fs::read_to_string(&log_path).expect("server log");
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(refused.len(), 2, "{log}");
    assert!(refused[0].contains("route=/v1/blobs/put"), "{log}");
    assert!(refused[0].contains("status=409"), "{log}");
    assert!(
        refused[0].contains("code=\"blob_offset\"") || refused[0].contains("code=blob_offset"),
        "{log}"
    );
    assert!(refused[1].contains("route=/v1/pull") && refused[1].contains("status=400"));
    // Names and digests are not in it.
    assert!(!log.contains(&name.sha256));
    assert!(!log.contains(&device));
    assert!(!log.contains("motorcade"));
}

/// An older release appended a blob's last chunk and marked it complete in two commits;
/// a crash between them left a whole blob that was never complete, and its device then
/// sent an empty chunk that was refused forever. Such a blob is settled when the server
/// starts, and an empty chunk at the blob's end is answered with the server's state.
#[test]
fn a_whole_blob_left_incomplete_is_settled_at_start_and_an_empty_last_chunk_is_answered() {
    let mut t = team();
    let bytes = vigil_testkit::photo(31, 600_000);
    let aref = t.a.log_with_photo(&bytes).1;
    let name = t.a.sealed_name(&aref.id);
    t.a.sync().expect("upload");
    // The state an older release could leave: every byte held, not complete.
    {
        let storage = t.server.lock().expect("server").open_storage();
        assert!(
            storage
                .blob(&t.team, &name.sha256)
                .unwrap()
                .unwrap()
                .complete
        );
        drop(storage);
        mark_incomplete(&mut t.server.lock().expect("server"), &t.team, &name.sha256);
    }
    let storage = t.server.lock().expect("server").open_storage();
    let held = storage.blob(&t.team, &name.sha256).unwrap().unwrap();
    assert!(held.complete && held.received == name.size, "{held:?}");
    drop(storage);

    // What a device of that release sends next: an empty chunk at offset = size.
    t.server.lock().expect("server").start();
    let r = put_chunk(&mut t, &name, name.size, &[]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let reply: vigil_core::sync::protocol::BlobStatusReply =
        serde_json::from_slice(&r.body).expect("a status reply");
    assert!(reply.complete && reply.received == name.size);
    t.b.sync().expect("teammate sync");
    assert_eq!(
        t.b.read_attachment(&aref.id).expect("attachment here"),
        bytes
    );
}

/// Puts `chunk` at `offset` of blob `name` as device A, signed, through the proxy: a
/// request of the device's own making, whatever the server holds.
fn put_chunk(
    t: &mut Team,
    name: &vigil_core::sync::protocol::BlobRef,
    offset: u64,
    chunk: &[u8],
) -> vigil_core::sync::Response {
    use vigil_core::sync::protocol::{encode_blob_put, BlobOp, BlobRequest};
    let req = {
        let db = t.a.db();
        BlobRequest::signed(
            db.device_id(),
            BlobOp::Put,
            name,
            offset,
            chunk.len() as u64,
            hex::encode(digest::digest(&digest::SHA256, chunk)),
            vigil_core::clock::now_ms(),
            db.device_key(),
        )
    };
    let transport =
        HttpTransport::without_reuse(&t.proxy.url(), Duration::from_secs(5)).expect("transport");
    let body = encode_blob_put(&req, chunk);
    vigil_core::sync::Transport::post_octets(&transport, "/v1/blobs/put", body).expect("an answer")
}

/// Sets a blob back to "every byte held, not complete" behind the server's back.
fn mark_incomplete(server: &mut ServerProcess, team: &str, sha256: &str) {
    server.kill();
    let n = server.site.execute(
        &server.data_dir(),
        "UPDATE blobs SET complete = FALSE WHERE team_id = $1 AND sha256 = $2",
        &[team, sha256],
    );
    assert_eq!(n, 1);
}
