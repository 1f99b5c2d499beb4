//! Sync through a real `vigil-server` on loopback: push then pull of many changes
//! between two devices, and the server's ingest rate with several devices at once.

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use vigil_core::sync::transport::HttpTransport;
use vigil_core::sync::{ProgressSink, SyncEngine, SyncProgress};
use vigil_core::Vault;
use vigil_server::api::DEFAULT_BODY_LIMIT;
use vigil_server::{service, BackgroundServer, SqliteStorage, Storage};

use crate::result::Figure;
use crate::store::{fast_kdf, fill, PASSPHRASE};

/// A server on loopback over `storage`; dropped = stopped.
pub struct Server {
    pub storage: Arc<dyn Storage>,
    server: Option<BackgroundServer>,
    pub url: String,
}

impl Server {
    pub fn start(storage: Arc<dyn Storage>) -> Server {
        let addr = "127.0.0.1:0".parse().expect("an address");
        let server = BackgroundServer::start(storage.clone(), addr, DEFAULT_BODY_LIMIT)
            .expect("start vigil-server");
        let url = format!("http://{}", server.addr);
        Server {
            storage,
            server: Some(server),
            url,
        }
    }

    /// Started over `storage`, with one team, "Bench" (its id).
    pub fn with_team(storage: Arc<dyn Storage>) -> (Server, String) {
        let server = Server::start(storage);
        let team = server.storage.create_team("Bench").expect("create a team");
        (server, team)
    }
}

/// A server on loopback in a new temporary directory (SQLite), with one team, "Bench":
/// the directory (removed on drop, after the server), the server, the team's id.
pub(crate) fn sqlite_team() -> (tempfile::TempDir, Server, String) {
    let dir = sqlite_dir();
    let (server, team) = Server::with_team(sqlite_storage(&dir));
    (dir, server, team)
}

fn sqlite_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn sqlite_storage(dir: &tempfile::TempDir) -> Arc<dyn Storage> {
    Arc::new(SqliteStorage::open_dir(dir.path()).expect("open server storage"))
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

/// A device: a real encrypted store on disk and an engine pointed at the server.
pub(crate) struct Device {
    _dir: tempfile::TempDir,
    pub(crate) vault: Vault,
    engine: SyncEngine,
}

impl Device {
    pub(crate) fn enrolled(server: &Server, team: &str, officer: &str) -> Device {
        Self::enrolled_with(server, team, officer, None)
    }

    /// Enrolled, with `progress` told while it syncs.
    fn enrolled_with(
        server: &Server,
        team: &str,
        officer: &str,
        progress: Option<ProgressSink>,
    ) -> Device {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut vault = Vault::create(&dir.path().join("store"), PASSPHRASE, fast_kdf(), None)
            .expect("create a store");
        let transport =
            HttpTransport::new(&server.url, Duration::from_secs(60)).expect("a transport");
        let mut engine = vigil_core::team::engine(Box::new(transport));
        if let Some(sink) = progress {
            engine = engine.with_progress(sink);
        }
        let code = service::issue_code(server.storage.as_ref(), team).expect("issue a code");
        engine
            .enroll(
                vault.db_mut().expect("unlocked"),
                &server.url,
                &code,
                officer,
            )
            .expect("enroll");
        Device {
            _dir: dir,
            vault,
            engine,
        }
    }

    pub(crate) fn sync(&mut self) -> vigil_core::sync::SyncReport {
        self.try_sync().expect("sync")
    }

    pub(crate) fn try_sync(
        &mut self,
    ) -> Result<vigil_core::sync::SyncReport, vigil_core::sync::SyncError> {
        self.engine.sync_now(self.vault.db_mut().expect("unlocked"))
    }
}

/// Device A logs `changes` incidents, pushes them; device B pulls them.
pub fn push_pull(changes: u64, out: &mut Vec<Figure>) {
    let (_dir, server, team) = sqlite_team();
    let mut a = Device::enrolled(&server, &team, "PS Hale");
    let mut b = Device::enrolled(&server, &team, "PC Okafor");
    fill(&mut a.vault, 0, changes);

    let t = Instant::now();
    let pushed = a.sync();
    let push = t.elapsed();
    assert_eq!(pushed.pushed, changes, "every change acknowledged");
    out.push(
        rate_figure("sync_push", changes, push)
            .with_note("one device pushes its outbox of signed incident entries (SQLite server)"),
    );

    let t = Instant::now();
    let pulled = b.sync();
    let pull = t.elapsed();
    assert!(pulled.pulled >= changes, "every change received");
    out.push(rate_figure("sync_pull", changes, pull).with_note(format!(
        "a second device pulls them ({} received, {} applied)",
        pulled.pulled, pulled.applied
    )));
    out.push(rate_figure("sync_push_pull", changes, push + pull));
}

/// Latency of an officer's quick log on a vault shared with the sync: with no sync
/// running, and while a sync waits on a request the network does not answer (a transport
/// held until the logs are done: a dead link, the worst case). Two figures with the same
/// number of logs: `log_no_sync` and `log_during_sync`; they should agree, since the sync
/// holds the vault only between requests.
pub fn log_during_sync(logs: u64, out: &mut Vec<Figure>) {
    use std::sync::mpsc::{channel, Receiver, Sender};
    use vigil_core::incident::{Category, IncidentLog};
    use vigil_core::sync::{Response, Transport, TransportError};
    use vigil_core::SharedVault;

    /// Holds the first push until released; the rest go straight through.
    struct HeldPush {
        inner: HttpTransport,
        entered: Mutex<Option<Sender<()>>>,
        release: Mutex<Option<Receiver<()>>>,
    }
    impl Transport for HeldPush {
        fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
            if path == vigil_core::sync::protocol::paths::PUSH {
                let entered = self.entered.lock().expect("lock").take();
                if let Some(entered) = entered {
                    let release = self.release.lock().expect("lock").take();
                    entered.send(()).expect("the bench waits");
                    if let Some(r) = release {
                        let _ = r.recv();
                    }
                }
            }
            self.inner.post(path, body)
        }
    }

    let (_dir, server, team) = sqlite_team();
    let mut a = Device::enrolled(&server, &team, "PS Hale");
    fill(&mut a.vault, 0, 50);
    let Device { _dir, vault, .. } = a;
    let shared = SharedVault::new(vault);
    let time_logs = |shared: &SharedVault| -> Vec<Duration> {
        (0..logs)
            .map(|_| {
                let t = Instant::now();
                let mut v = shared.lock();
                IncidentLog::new(&mut v)
                    .quick_log(Category::Medical, None)
                    .expect("log");
                drop(v);
                t.elapsed()
            })
            .collect()
    };
    let idle = time_logs(&shared);

    let (entered_tx, entered_rx) = channel();
    let (release_tx, release_rx) = channel();
    let held = HeldPush {
        inner: HttpTransport::new(&server.url, Duration::from_secs(60)).expect("a transport"),
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(Some(release_rx)),
    };
    let engine = vigil_core::team::engine(Box::new(held));
    let mut store = shared.clone();
    let sync = std::thread::spawn(move || engine.sync_now(&mut store));
    entered_rx.recv().expect("the sync reaches the network");
    let during = time_logs(&shared);
    release_tx.send(()).expect("release");
    sync.join()
        .expect("the sync thread")
        .expect("the sync completes");

    out.push(
        Figure::from_samples("log_no_sync", logs, &idle)
            .with_note("a quick log on a vault shared with the sync, no sync running"),
    );
    out.push(
        Figure::from_samples("log_during_sync", logs, &during)
            .with_note("the same while a sync waits on a push the network does not answer (held)"),
    );
}

fn rate_figure(workload: &str, changes: u64, wall: Duration) -> Figure {
    let mut f = Figure::from_samples(workload, changes, &[wall]);
    f.rate_per_s = Some(changes as f64 / wall.as_secs_f64());
    f
}

/// `devices` devices, each with `changes / devices` incidents, sync at once: each pushes
/// its own, then pulls and applies the others'. Two figures: `server_ingest_<label>`,
/// the server's ingest rate, from the first push to the last acknowledgement (a device
/// that has sent everything goes on pulling, so the later pushes share the machine with
/// those pulls); `team_sync_<label>`, until every device has also pulled and applied the
/// others' entries (on these 2 cores, mostly the devices verifying and storing entries).
pub fn ingest(storage: Arc<dyn Storage>, label: &str, devices: u64, changes: u64) -> Vec<Figure> {
    let (server, team) = Server::with_team(storage);
    let each = changes / devices;
    let barrier = Barrier::new(devices as usize);
    // (sync started, last batch acknowledged, sync done, changes applied)
    let spans: Vec<(Instant, Instant, Instant, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..devices)
            .map(|k| {
                let (server, team, barrier) = (&server, &team, &barrier);
                s.spawn(move || {
                    let pushed_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
                    let mark = pushed_at.clone();
                    let sink: ProgressSink = Arc::new(move |p| {
                        if let SyncProgress::Pushed { pending: 0, .. } = p {
                            if let Ok(mut at) = mark.lock() {
                                *at = Some(Instant::now());
                            }
                        }
                    });
                    let mut d =
                        Device::enrolled_with(server, team, &format!("Officer {k}"), Some(sink));
                    fill(&mut d.vault, k * each, (k + 1) * each);
                    barrier.wait();
                    let start = Instant::now();
                    let r = d.sync();
                    let end = Instant::now();
                    assert_eq!(r.pushed, each, "every change acknowledged");
                    let pushed = pushed_at.lock().ok().and_then(|at| *at).unwrap_or(end);
                    (start, pushed, end, r.applied)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a device thread"))
            .collect()
    });
    let first = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("one device at least");
    let pushed = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("one device at least");
    let done = spans
        .iter()
        .map(|s| s.2)
        .max()
        .expect("one device at least");
    let applied: u64 = spans.iter().map(|s| s.3).sum();
    let total = each * devices;
    vec![
        rate_figure(&format!("server_ingest_{label}"), total, pushed - first).with_note(format!(
            "{devices} devices pushing signed incident entries at once, {label} server \
                 storage (first push to last acknowledgement)"
        )),
        rate_figure(&format!("team_sync_{label}"), total, done - first).with_note(format!(
            "the same {devices} devices' whole sync: each pushes its own, then pulls and \
             applies the others' ({applied} applied in all)"
        )),
    ]
}

pub fn ingest_sqlite(devices: u64, changes: u64) -> Vec<Figure> {
    let dir = sqlite_dir();
    ingest(sqlite_storage(&dir), "sqlite", devices, changes)
}

pub fn ingest_postgres(devices: u64, changes: u64) -> Vec<Figure> {
    match vigil_testkit::pg::PgCluster::start() {
        Err(why) => vec![
            Figure::skipped("server_ingest_postgres", changes, &why),
            Figure::skipped("team_sync_postgres", changes, &why),
        ],
        Ok(pg) => {
            let storage: Arc<dyn Storage> =
                Arc::new(vigil_server::PgStorage::connect(&pg.url).expect("connect PostgreSQL"));
            let f = ingest(storage, "postgres", devices, changes);
            drop(pg);
            f
        }
    }
}
