//! Shared helpers for the server's tests: a real server on loopback (port 0) over a real
//! SQLite file or a throwaway PostgreSQL cluster ([`backend`]), real encrypted device
//! stores. The fault-injecting proxy between them is the test kit's (`vigil_testkit::proxy`).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use vigil_core::store::Database;
use vigil_core::sync::protocol::{ErrorBody, PullPage, PullRequest};
use vigil_core::sync::transport::HttpTransport;
use vigil_core::sync::{SyncEngine, Transport};
use vigil_core::testing::RawConnection;
use vigil_core::Vault;
use vigil_server::api::DEFAULT_BODY_LIMIT;
use vigil_server::{service, BackgroundServer, Clock, Ctx, SqliteStorage, Storage};
use vigil_testkit::pg::PgCluster;

/// The storage a run of the server's tests uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite, unless `VIGIL_TEST_STORAGE=postgres`. One build serves both: tests/run runs the
/// server's test binary once per storage.
pub fn backend() -> Backend {
    match std::env::var("VIGIL_TEST_STORAGE").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("VIGIL_TEST_STORAGE={other:?}: expected `sqlite` or `postgres`"),
    }
}

/// For a test that only means something on SQLite (it opens the server's SQLCipher file
/// itself); such tests are named `..._on_sqlite` and tests/run's PostgreSQL run skips them
/// by that name. Run on PostgreSQL anyway, the test fails rather than pass unchecked.
pub fn sqlite_only() {
    assert_eq!(
        backend(),
        Backend::Sqlite,
        "an `_on_sqlite` test: run it with VIGIL_TEST_STORAGE unset or `sqlite`"
    );
}

/// Where a test server keeps its data: a temporary directory, and on PostgreSQL a
/// throwaway cluster (stopped when this drops).
pub struct StorageSite {
    pub dir: TempDir,
    pub pg: Option<PgCluster>,
}

impl StorageSite {
    /// A new, empty site for this run's [`backend`].
    pub fn new() -> StorageSite {
        StorageSite {
            dir: tempfile::tempdir().expect("tempdir"),
            pg: match backend() {
                Backend::Sqlite => None,
                Backend::Postgres => Some(PgCluster::for_test()),
            },
        }
    }

    /// The server's storage; on SQLite in `data_dir` (inside [`StorageSite::dir`]).
    pub fn open(&self, data_dir: &Path) -> Arc<dyn Storage> {
        match &self.pg {
            None => Arc::new(SqliteStorage::open_dir(data_dir).expect("open storage")),
            Some(pg) => open_postgres(&pg.url),
        }
    }

    /// The `vigil-server` arguments that name this storage (`--database-url` on
    /// PostgreSQL; `--data-dir` is always given: the server keeps its key files there).
    pub fn server_args(&self, data_dir: &Path) -> Vec<std::ffi::OsString> {
        let mut args = vec!["--data-dir".into(), data_dir.as_os_str().to_owned()];
        if let Some(pg) = &self.pg {
            args.extend(["--database-url".into(), pg.url.clone().into()]);
        }
        args
    }

    /// One statement behind the server's back (a test that damages what it stores),
    /// written with PostgreSQL's `$1` placeholders (SQLite gets `?1`); string parameters.
    /// The number of rows it changed.
    pub fn execute(&self, data_dir: &Path, sql: &str, params: &[&str]) -> u64 {
        match &self.pg {
            None => {
                let db = raw_sqlite(data_dir);
                let n = db
                    .execute(
                        &sql.replace('$', "?"),
                        rusqlite::params_from_iter(params.iter()),
                    )
                    .expect("execute on SQLite");
                n as u64
            }
            Some(pg) => execute_postgres(&pg.url, sql, params),
        }
    }
}

fn open_postgres(url: &str) -> Arc<dyn Storage> {
    Arc::new(vigil_server::PgStorage::connect(url).expect("connect postgres"))
}

fn execute_postgres(url: &str, sql: &str, params: &[&str]) -> u64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect();
    c.execute(sql, &params).expect("execute on PostgreSQL")
}

/// A connection of our own to a SQLite server's SQLCipher file in `data_dir`, keyed from
/// its key file.
pub fn raw_sqlite(data_dir: &Path) -> rusqlite::Connection {
    let key = std::fs::read(data_dir.join(vigil_server::sqlite::KEY_FILE)).expect("key");
    let _keying = vigil_core::store::sqlcipher_provider_guard().expect("sqlcipher");
    let db =
        rusqlite::Connection::open(data_dir.join(vigil_server::sqlite::DB_FILE)).expect("open");
    db.execute_batch(&format!("PRAGMA key = \"x'{}'\"", hex::encode(key)))
        .expect("key");
    db
}

pub struct TestServer {
    pub storage: Arc<dyn Storage>,
    pub server: Option<BackgroundServer>,
    pub addr: SocketAddr,
    /// Last, so the data (and a PostgreSQL cluster) go after the server is gone.
    pub site: StorageSite,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with_limit(DEFAULT_BODY_LIMIT)
    }

    pub fn start_with_limit(limit: usize) -> TestServer {
        Self::start_with(limit, None)
    }

    /// A server on `clock` (e.g. a `vigil_server::ShiftedClock` a test steps). Only the
    /// first start uses it: `restart` goes back to the system clock.
    pub fn start_with_clock(clock: Arc<dyn Clock>) -> TestServer {
        Self::start_with(DEFAULT_BODY_LIMIT, Some(clock))
    }

    /// A server whose web console is configured by `config(port)`, on a loopback port
    /// chosen first (the console's origin names it: passkeys).
    pub fn start_with_console(
        config: impl FnOnce(u16) -> vigil_server::console::ConsoleConfig,
    ) -> TestServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::start_on(
            DEFAULT_BODY_LIMIT,
            None,
            Some(config(port)),
            SocketAddr::from(([127, 0, 0, 1], port)),
        )
    }

    fn start_with(limit: usize, clock: Option<Arc<dyn Clock>>) -> TestServer {
        let addr = "127.0.0.1:0".parse().expect("addr");
        Self::start_on(limit, clock, None, addr)
    }

    fn start_on(
        limit: usize,
        clock: Option<Arc<dyn Clock>>,
        console: Option<vigil_server::console::ConsoleConfig>,
        addr: SocketAddr,
    ) -> TestServer {
        let site = StorageSite::new();
        let storage = site.open(site.dir.path());
        let mut ctx = match clock {
            None => Ctx::new(storage.clone()),
            Some(c) => Ctx::with_clock(storage.clone(), c),
        };
        if let Some(console) = console {
            ctx = ctx.with_console(console);
        }
        let server = BackgroundServer::start_ctx(Arc::new(ctx), addr, limit).expect("start server");
        let addr = server.addr;
        TestServer {
            storage,
            server: Some(server),
            addr,
            site,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The directory the server keeps its data in (its SQLite file and key, attachments).
    pub fn data_dir(&self) -> &Path {
        self.site.dir.path()
    }

    /// A connection of our own to the server's SQLCipher file (a test that damages what
    /// the server stores behind its back); SQLite only.
    pub fn raw_db(&self) -> rusqlite::Connection {
        sqlite_only();
        raw_sqlite(self.data_dir())
    }

    /// One statement behind the server's back, on either storage (see
    /// [`StorageSite::execute`]).
    pub fn execute_behind(&self, sql: &str, params: &[&str]) -> u64 {
        self.site.execute(self.data_dir(), sql, params)
    }

    /// Stops the HTTP side; the data stays.
    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }

    /// Starts again on the same address and the same database.
    pub fn restart(&mut self) {
        self.stop();
        let server = BackgroundServer::start(self.storage.clone(), self.addr, DEFAULT_BODY_LIMIT)
            .expect("restart server");
        self.server = Some(server);
    }

    pub fn new_team(&self, name: &str) -> String {
        self.storage.create_team(name).expect("create team")
    }

    /// Two devices, enrolled as officers "A" and "B" in a new team "Alpha": (a, b, team).
    pub fn pair(&self) -> (Device, Device, String) {
        let team = self.new_team("Alpha");
        let mut a = Device::new(&self.url());
        let mut b = Device::new(&self.url());
        a.enroll(self, &team, "A");
        b.enroll(self, &team, "B");
        (a, b, team)
    }

    pub fn code(&self, team: &str) -> String {
        service::issue_code(self.storage.as_ref(), team).expect("issue code")
    }

    /// Every change the server holds for a team, read through its storage.
    pub fn team_changes(&self, team: &str) -> Vec<vigil_core::sync::protocol::Change> {
        self.storage
            .pull(team, 0, 10_000)
            .expect("read changes")
            .changes
    }

    pub fn transport(&self) -> HttpTransport {
        HttpTransport::without_reuse(&self.url(), Duration::from_secs(5)).expect("transport")
    }
}

use vigil_testkit::fast_kdf;

/// A device: a real encrypted store on disk and an engine pointed at `url`.
pub struct Device {
    pub dir: TempDir,
    pub vault: Vault,
    pub engine: SyncEngine,
}

impl Device {
    /// Logs an incident with `bytes` attached (a photo); its id and the attachment.
    pub fn log_with_photo(
        &mut self,
        bytes: &[u8],
    ) -> (String, vigil_core::incident::AttachmentRef) {
        let mut log = vigil_core::IncidentLog::new(&mut self.vault);
        let mut r = vigil_core::incident::Report::quick(
            vigil_core::incident::Category::SuspiciousActivity,
            None,
        );
        r.narrative = "Man photographing the motorcade bay".into();
        let id = log.log(r).expect("log").incident_id;
        let (aref, _) = log
            .attach(&id, &mut &bytes[..], "image/jpeg", None)
            .expect("attach");
        (id, aref)
    }

    /// An attachment's bytes, read back through the store (checked against its digest).
    pub fn read_attachment(
        &mut self,
        id: &str,
    ) -> Result<Vec<u8>, vigil_core::incident::IncidentError> {
        let log = vigil_core::IncidentLog::new(&mut self.vault);
        let mut out = Vec::new();
        log.read_attachment(id, &mut out).map(|_| out)
    }

    /// The name (SHA-256 of the sealed file) and size of an attachment's blob, as the
    /// device announces it.
    pub fn sealed_name(&mut self, id: &str) -> vigil_core::sync::protocol::BlobRef {
        let (sha256, size): (String, i64) = self
            .db()
            .raw_connection()
            .query_row(
                "SELECT blob_sha256, blob_size FROM incident_attachments WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("attachment row");
        vigil_core::sync::protocol::BlobRef {
            sha256,
            size: size as u64,
        }
    }

    pub fn new(url: &str) -> Device {
        Self::with_timeout(url, Duration::from_secs(5))
    }

    pub fn with_timeout(url: &str, timeout: Duration) -> Device {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = Vault::create(
            &dir.path().join("store"),
            b"correct horse",
            fast_kdf(),
            None,
        )
        .expect("create vault");
        let transport = HttpTransport::without_reuse(url, timeout).expect("transport");
        Device {
            dir,
            vault,
            engine: vigil_core::team::engine(Box::new(transport)).with_retry_policy(
                vigil_core::sync::RetryPolicy {
                    base_ms: 50,
                    max_ms: 500,
                    max_retry_after_ms: 60_000,
                },
            ),
        }
    }

    /// Puts this device's wall clock `offset_ms` off the real time; the returned handle
    /// moves it later.
    pub fn shift_clock(&mut self, offset_ms: i64) -> Arc<vigil_core::clock::ShiftedWallClock> {
        let wall = Arc::new(vigil_core::clock::ShiftedWallClock::new(offset_ms));
        self.db().set_wall_clock(wall.clone());
        wall
    }

    pub fn db(&mut self) -> &mut Database {
        self.vault.db_mut().expect("unlocked")
    }

    pub fn id(&mut self) -> String {
        self.db().device_id().to_string()
    }

    pub fn enroll(&mut self, server: &TestServer, team: &str, officer: &str) {
        let code = server.code(team);
        let url = server.url();
        let db = self.vault.db_mut().expect("unlocked");
        self.engine
            .enroll(db, &url, &code, officer)
            .expect("enroll");
    }

    pub fn emit(&mut self, kind: &str, entity: &str, payload: serde_json::Value) -> u64 {
        self.db()
            .write(|w| Ok(w.emit(kind, entity, &payload)?.seq))
            .expect("write")
    }

    pub fn sync(&mut self) -> Result<vigil_core::sync::SyncReport, vigil_core::sync::SyncError> {
        let db = self.vault.db_mut().expect("unlocked");
        self.engine.sync_now(db)
    }

    pub fn status(&mut self) -> vigil_core::sync::SyncStatus {
        vigil_core::team::status(self.db()).expect("status")
    }

    pub fn inbox(&mut self) -> Vec<vigil_core::sync::InboxEntry> {
        vigil_core::sync::apply::inbox(self.db().raw_connection(), None).expect("inbox")
    }

    pub fn pending(&mut self) -> Vec<vigil_core::store::OutboxEntry> {
        vigil_core::store::outbox::list(self.db().raw_connection(), 0, 10_000).expect("outbox")
    }
}

pub fn post_json(t: &dyn Transport, path: &str, body: &impl serde::Serialize) -> (u16, Vec<u8>) {
    let r = t
        .post(path, serde_json::to_vec(body).expect("encode"))
        .expect("an HTTP answer");
    (r.status, r.body)
}

pub fn error_body(bytes: &[u8]) -> ErrorBody {
    serde_json::from_slice(bytes).expect("an error body")
}

/// Pulls everything a device may see, signed with `key`.
pub fn pull_all(
    t: &dyn Transport,
    device: &str,
    key: &vigil_core::crypto::signing::DeviceKey,
) -> (u16, Option<PullPage>, Vec<u8>) {
    let req = PullRequest::signed(device, 0, 500, vigil_core::clock::now_ms(), key);
    let (status, body) = post_json(t, "/v1/pull", &req);
    (status, serde_json::from_slice(&body).ok(), body)
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}

impl Device {
    /// Locks the store, hands its directory to `f` (to copy or restore it), then opens and
    /// unlocks it again.
    pub fn with_store_closed(&mut self, f: impl FnOnce(&Path)) {
        let store = self.dir.path().join("store");
        self.vault.lock().expect("lock");
        f(&store);
        let mut v = Vault::open(&store).expect("open vault");
        v.unlock_with_passphrase(b"correct horse", None)
            .expect("unlock");
        self.vault = v;
    }
}

/// Copies a directory tree (a closed store).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Syncs three devices in scrambled orders, three rounds, then checks that a last sync
/// of each moves nothing.
pub fn sync_until_quiet(devs: &mut [Device]) {
    for order in [[2, 0, 1], [1, 2, 0], [0, 1, 2]] {
        for i in order {
            devs[i].sync().expect("sync");
        }
    }
    for d in devs.iter_mut() {
        let r = d.sync().expect("sync");
        assert_eq!((r.pushed, r.pulled), (0, 0), "quiet after convergence");
    }
}

/// Asks `probe` every 20 ms until `done` holds of its answer, and returns that answer: for
/// what the server settles on its own time (a cut connection noticed when it closes).
/// After a minute, a hang guard far beyond any loaded machine's delay, the last answer.
pub fn poll<T>(mut probe: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let answer = probe();
        if done(&answer) || std::time::Instant::now() >= deadline {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `vigil-server --data-dir DIR admin ARGS...`: the real binary's administration commands.
pub fn server_admin(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigil-server"))
        .arg("--data-dir")
        .arg(dir)
        .arg("admin")
        .args(args)
        .output()
        .expect("run vigil-server admin")
}

/// Logs a hostile-surveillance report with `text` as its narrative; returns the incident id.
pub fn log(d: &mut Device, text: &str) -> String {
    use vigil_core::incident::{Category, IncidentLog, Report};
    let mut r = Report::quick(Category::HostileSurveillance, None);
    r.narrative = text.into();
    IncidentLog::new(&mut d.vault)
        .log(r)
        .expect("log")
        .incident_id
}

/// Saves a venue `name` at "1 Strand" on `d`; returns its id.
pub fn new_venue(d: &mut Device, name: &str) -> String {
    use vigil_core::advance::venue::{self, VenueInput};
    let input = VenueInput {
        id: None,
        name: name.into(),
        address: Some("1 Strand".into()),
        position: None,
        boundary: None,
        points: vec![],
        contacts: vec![],
        notes: String::new(),
    };
    venue::save_venue(d.db(), &input).expect("save venue").id
}

/// Starts a walk of the built-in vehicle check on "Car 2" on `d` as "Officer 0": the
/// template, the walk's id and the ids of the template's first three check items.
pub fn vehicle_walk(
    d: &mut Device,
) -> (
    vigil_core::advance::template::ChecklistTemplate,
    String,
    Vec<String>,
) {
    use vigil_core::advance::walk::{self, WalkSubject};
    let template = vigil_core::advance::template::builtin_templates()
        .into_iter()
        .find(|t| t.id == "vigil.vehicle-check")
        .expect("the built-in vehicle check");
    let checks: Vec<String> = template
        .items()
        .filter(|(_, i)| matches!(i.kind, vigil_core::advance::ItemKind::Check))
        .map(|(_, i)| i.id.clone())
        .take(3)
        .collect();
    assert_eq!(checks.len(), 3);
    let subject = WalkSubject::Other {
        label: "Car 2".into(),
    };
    let w = walk::start_walk_with(d.db(), &template, &subject, "Officer 0").expect("start");
    (template, w.id, checks)
}

/// The incident entries in `d`'s inbox, in order: their state and note.
pub fn entry_inbox(d: &mut Device) -> Vec<(vigil_core::sync::InboxState, Option<String>)> {
    d.inbox()
        .into_iter()
        .filter(|e| e.change.kind == "incident.entry")
        .map(|e| (e.state, e.note))
        .collect()
}

/// Edits venue `id` on `d` through `f`, as an officer's save would.
pub fn edit_venue(
    d: &mut Device,
    id: &str,
    f: impl FnOnce(&mut vigil_core::advance::venue::VenueInput),
) {
    use vigil_core::advance::venue::{self, VenueInput};
    let mut input = VenueInput::from(venue::get_venue(d.db(), id).expect("venue"));
    f(&mut input);
    venue::save_venue(d.db(), &input).expect("save venue");
}
