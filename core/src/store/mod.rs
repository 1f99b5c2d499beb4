//! The encrypted database: rusqlite on SQLCipher, opened with a raw 256-bit key from our
//! key hierarchy (SQLCipher's own KDF is skipped), migrations, the device identity and
//! the one write path (`Database::write`) that records every change in the outbox.

pub(crate) mod lock;
pub mod outbox;
pub(crate) mod schema;
pub(crate) mod space;
pub(crate) mod stamps;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use crate::clock::{Hlc, HlcClock};
use crate::clock::{TeamTime, WallClock};
use crate::crypto::keys::SubKey;
use crate::crypto::signing::DeviceKey;
use crate::error::{StoreError, StoreResult};

pub use outbox::{OutboxEntry, OutboxStatus};
pub use schema::SCHEMA_VERSION;
pub use space::StorageStatus;

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Meta key of the offset (ms, signed decimal text) from this device's wall clock to the
/// team server's, learned by the sync engine.
pub(crate) const OFFSET_KEY: &str = "server_offset_ms";

/// Meta key of the key file format the store's key file was upgraded to.
const KEY_FILE_FORMAT_KEY: &str = "key_file_format";

pub struct Database {
    conn: Connection,
    device_id: String,
    /// Its time source is the store's team time (wall clock + learned server offset).
    clock: HlcClock,
    device_key: DeviceKey,
    attachments_dir: Option<PathBuf>,
}

impl Database {
    /// Creates a new encrypted database file (refuses to touch an existing one).
    pub fn create(path: &Path, key: &SubKey) -> StoreResult<Database> {
        // Created here, empty and 0600 whatever the umask, so SQLite (which gives the -wal
        // and -shm files the database's mode) never makes a world-readable file.
        {
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(StoreError::AlreadyExists)
                }
                Err(e) => return Err(e.into()),
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = open_keyed(path, flags, key, PageHmac::Sha256, false)?;
        schema::migrate(&mut conn)?;
        let device_id = uuid::Uuid::new_v4().to_string();
        let (_, pkcs8) = DeviceKey::generate()?;
        let tx = conn.transaction()?;
        put_meta(&tx, "device_id", device_id.as_bytes())?;
        put_meta(&tx, "device_key_pkcs8", &pkcs8)?;
        put_meta(&tx, "hlc_last", b"")?;
        tx.commit()?;
        Self::load(conn)
    }

    /// Opens an existing database; never creates, repairs or rewrites a damaged file.
    pub fn open(path: &Path, key: &SubKey) -> StoreResult<Database> {
        let mut head = [0u8; 16];
        match std::fs::File::open(path) {
            Ok(mut f) => {
                use std::io::Read;
                let n = f.read(&mut head)?;
                if n == 16 && &head == SQLITE_HEADER {
                    return Err(StoreError::NotAStore {
                        what: "the database is a plain, unencrypted SQLite file".into(),
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotAStore {
                    what: "the key file has no database beside it".into(),
                })
            }
            Err(e) => return Err(e.into()),
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let first_read = |hmac, exclusive| -> StoreResult<Connection> {
            let conn = open_keyed(path, flags, key, hmac, exclusive)?;
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(conn)
        };
        // The key was authenticated by its slot, so a page that fails its HMAC under both
        // algorithms is damage. Stores created before schema 8 use HMAC-SHA512 (a failed
        // read writes nothing, so trying the current algorithm first is harmless).
        let open_with = |exclusive| {
            first_read(PageHmac::Sha256, exclusive)
                .or_else(|_| first_read(PageHmac::Sha512, exclusive))
        };
        let mut conn = match open_with(false) {
            Ok(conn) => conn,
            // No room for SQLite's shared-memory index (-shm) on a full disk: exclusive
            // locking mode keeps that index in memory, so reading still works (other
            // processes wait for this one until it closes).
            // (The error seen is the HMAC-SHA512 retry's, `DatabaseCorrupt`, so any but
            // `Busy` qualifies; a database really damaged fails the same way again.)
            Err(e) if !matches!(e, StoreError::Busy) && disk_is_full(path) => open_with(true)?,
            Err(e) => return Err(e),
        };
        schema::migrate(&mut conn)?;
        Self::load(conn)
    }

    /// Checks that `key` opens the database at `path` (reads its schema; writes nothing,
    /// migrates nothing).
    pub fn probe(path: &Path, key: &SubKey) -> StoreResult<()> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let read = |hmac| -> StoreResult<()> {
            let conn = open_keyed(path, flags, key, hmac, false)?;
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })?;
            Ok(())
        };
        read(PageHmac::Sha256).or_else(|_| read(PageHmac::Sha512))
    }

    fn load(conn: Connection) -> StoreResult<Database> {
        let device_id = String::from_utf8(get_meta(&conn, "device_id")?)
            .map_err(|_| StoreError::DatabaseCorrupt)?;
        let pkcs8 = zeroize::Zeroizing::new(get_meta(&conn, "device_key_pkcs8")?);
        let device_key = DeviceKey::from_pkcs8(&pkcs8).map_err(|_| StoreError::DatabaseCorrupt)?;
        let last = get_meta(&conn, "hlc_last")?;
        let clock = if last.is_empty() {
            HlcClock::new(device_id.clone(), 0, 0)
        } else {
            let h: Hlc = std::str::from_utf8(&last)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(StoreError::DatabaseCorrupt)?;
            HlcClock::new(device_id.clone(), h.physical_ms, h.counter)
        };
        let offset_ms = match find_meta(&conn, OFFSET_KEY)? {
            None => 0,
            Some(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or(StoreError::DatabaseCorrupt)?,
        };
        let clock = clock.with_time(TeamTime::new(
            std::sync::Arc::new(crate::clock::SystemClock),
            offset_ms,
        ));
        Ok(Database {
            conn,
            device_id,
            clock,
            device_key,
            attachments_dir: None,
        })
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn device_key(&self) -> &DeviceKey {
        &self.device_key
    }

    /// Where this store's sealed attachment files live (set by the vault that opened it);
    /// sync reads and writes attachment blobs there.
    pub fn attachments_dir(&self) -> Option<&Path> {
        self.attachments_dir.as_deref()
    }

    pub fn set_attachments_dir(&mut self, dir: PathBuf) {
        self.attachments_dir = Some(dir);
    }

    /// Replaces this open store's wall clock (the system clock by default): tests and
    /// drills put a device's clock off. Not persisted (a store opened again is on the
    /// system clock); the learned server offset is kept.
    pub fn set_wall_clock(&mut self, wall: std::sync::Arc<dyn WallClock>) {
        let offset = self.clock.time().offset_ms();
        self.clock = self.clock.clone().with_time(TeamTime::new(wall, offset));
    }

    /// The team's time: this device's wall clock plus the offset learned from the team
    /// server. Every clock stamp uses it.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// This device's own wall clock (for what only this device compares: backoff, the
    /// last success shown to the user, round trips).
    pub fn wall_ms(&self) -> u64 {
        self.clock.time().wall_ms()
    }

    /// The offset from this device's wall clock to the team server's (0 until learned).
    pub fn server_offset_ms(&self) -> i64 {
        self.clock.time().offset_ms()
    }

    /// The team time and the last stamp, as the clock holds them.
    pub fn clock(&self) -> &HlcClock {
        &self.clock
    }

    /// Read access for queries.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Re-encrypts every page under a new key (`PRAGMA rekey`).
    pub fn rekey(&self, key: &SubKey) -> StoreResult<()> {
        let lit = key.sqlcipher_literal();
        self.conn.pragma_update(None, "rekey", &*lit)?;
        Ok(())
    }

    /// A write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so
    /// it waits its turn under the busy timeout. A deferred transaction that read first
    /// would fail at its first write, without waiting, whenever another process had
    /// written meanwhile (`SQLITE_BUSY` on a stale snapshot).
    fn begin_write(conn: &mut Connection) -> StoreResult<Transaction<'_>> {
        Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// The one write path: runs `f` in a transaction; every change it records with
    /// [`Writer::emit`] lands in the outbox in that same transaction.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut clock = self.clock.clone();
        let tx = Self::begin_write(&mut self.conn)?;
        let mut w = Writer {
            tx,
            clock: &mut clock,
            device_id: &self.device_id,
            device_key: &self.device_key,
        };
        let out = f(&mut w)?;
        let advanced = w.clock.clone();
        let Writer { tx, .. } = w;
        put_meta(&tx, "hlc_last", advanced.last().to_string().as_bytes())?;
        tx.commit()?;
        self.clock = advanced;
        Ok(out)
    }

    /// A transaction for the sync engine: `f` gets the transaction and a copy of the clock
    /// (to fold in remote stamps, or learn the server's offset); both are kept only if `f`
    /// succeeds and the commit does.
    pub(crate) fn sync_transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>, &mut HlcClock) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut clock = self.clock.clone();
        let tx = Self::begin_write(&mut self.conn)?;
        let out = f(&tx, &mut clock)?;
        put_meta(&tx, "hlc_last", clock.last().to_string().as_bytes())?;
        if clock.time().offset_ms() != self.clock.time().offset_ms() {
            put_meta(
                &tx,
                OFFSET_KEY,
                clock.time().offset_ms().to_string().as_bytes(),
            )?;
        }
        tx.commit().map_err(StoreError::from)?;
        self.clock = clock;
        Ok(out)
    }

    /// How long a write waits for another connection's before [`StoreError::Busy`].
    pub fn set_wait(&self, wait: std::time::Duration) -> StoreResult<()> {
        Ok(self.conn.busy_timeout(wait)?)
    }

    /// A WAL checkpoint that truncates the `-wal` file.
    pub fn checkpoint(&self) -> StoreResult<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// A full integrity check: every page's HMAC (SQLCipher's `cipher_integrity_check`,
    /// which also reads pages no query touches) and SQLite's `integrity_check` (b-trees,
    /// indexes, free list). Returns the problems found, empty when all is well; changes
    /// nothing but folding the WAL into the database first when it can.
    pub fn integrity_problems(&self) -> StoreResult<Vec<String>> {
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        let rows = |sql: &str| -> Result<Vec<String>, rusqlite::Error> {
            let mut stmt = self.conn.prepare(sql)?;
            let out = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(out)
        };
        let mut problems = vec![];
        match rows("PRAGMA cipher_integrity_check") {
            Ok(found) => problems.extend(found),
            Err(e) => problems.push(format!(
                "cipher_integrity_check stopped: {}",
                StoreError::from(e)
            )),
        }
        match rows("PRAGMA integrity_check") {
            Ok(found) => problems.extend(found.into_iter().filter(|r| r != "ok")),
            Err(e) => problems.push(format!("integrity_check stopped: {}", StoreError::from(e))),
        }
        Ok(problems)
    }

    /// The key file format this store's key file was last upgraded to (1 for stores that
    /// never recorded it): a key file older than this was put back by someone else.
    pub fn key_file_format(&self) -> StoreResult<u32> {
        match find_meta(&self.conn, KEY_FILE_FORMAT_KEY)? {
            None => Ok(1),
            Some(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(StoreError::DatabaseCorrupt),
        }
    }

    pub fn set_key_file_format(&self, version: u32) -> StoreResult<()> {
        put_meta(
            &self.conn,
            KEY_FILE_FORMAT_KEY,
            version.to_string().as_bytes(),
        )
    }

    /// Queued changes, oldest first, after `after_seq` (exclusive), at most `limit`.
    pub fn outbox(&self, after_seq: u64, limit: u32) -> StoreResult<Vec<OutboxEntry>> {
        outbox::list(&self.conn, after_seq, limit)
    }

    /// Ids of the key slots that are duress slots (kept here, encrypted, not in the key file).
    pub fn duress_slots(&self) -> StoreResult<Vec<u32>> {
        let raw: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'duress_slots'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match raw {
            None => Ok(vec![]),
            Some(b) => serde_json::from_slice(&b).map_err(|_| StoreError::DatabaseCorrupt),
        }
    }

    pub fn set_duress_slots(&self, ids: &[u32]) -> StoreResult<()> {
        put_meta(&self.conn, "duress_slots", &serde_json::to_vec(ids)?)
    }

    /// Checkpoints (if nobody else is using the store at that moment: a checkpoint that
    /// would wait is skipped, the WAL keeps everything and the next close folds it in)
    /// and closes.
    pub fn close(self) -> StoreResult<()> {
        if self.conn.busy_timeout(std::time::Duration::ZERO).is_ok() {
            match self.checkpoint() {
                Err(StoreError::Busy) | Err(StoreError::DiskFull) => {}
                other => other?,
            }
        }
        self.conn.close().map_err(|(_, e)| StoreError::from(e))
    }
}

/// A write transaction in progress.
pub struct Writer<'a> {
    tx: Transaction<'a>,
    clock: &'a mut HlcClock,
    device_id: &'a str,
    device_key: &'a DeviceKey,
}

impl Writer<'_> {
    pub(crate) fn tx(&self) -> &Transaction<'_> {
        &self.tx
    }

    pub fn device_id(&self) -> &str {
        self.device_id
    }

    pub fn device_key(&self) -> &DeviceKey {
        self.device_key
    }

    /// The team's time (see [`Database::now_ms`]).
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// A fresh hybrid-logical-clock stamp, at the team's time.
    pub fn stamp(&mut self) -> StoreResult<Hlc> {
        self.clock
            .tick_now()
            .map_err(|e| StoreError::invalid("clock", e.to_string()))
    }

    /// Records a change in the outbox (same transaction), stamped now.
    pub fn emit(
        &mut self,
        kind: &str,
        entity_id: &str,
        payload: &serde_json::Value,
    ) -> StoreResult<OutboxEntry> {
        let hlc = self.stamp()?;
        outbox::append(&self.tx, &hlc, kind, entity_id, payload)
    }

    /// Folds a stamp that came from another device into this device's clock, so every
    /// later local stamp sorts after it. Refuses a stamp too far in the future.
    pub fn observe(&mut self, remote: &Hlc) -> StoreResult<()> {
        self.clock
            .observe_now(remote)
            .map_err(|e| StoreError::invalid("clock", e.to_string()))
    }
}

/// Hold this while opening and keying any SQLCipher connection in this process (the
/// team server's database too). SQLCipher shares its crypto provider across connections: it is activated when a
/// connection opens and torn down when the last one closes, and a thread keying a
/// connection at that moment fails with "An error occurred with PRAGMA key". Phones hold
/// one connection, but tests and a multi-store process open and close many concurrently.
/// So the process keeps one small keyed connection for its whole life (the provider's
/// count never reaches zero), created before any other, and opening plus keying is
/// serialized (microseconds: the key is raw, there is no KDF here).
pub fn sqlcipher_provider_guard() -> StoreResult<std::sync::MutexGuard<'static, ()>> {
    use std::sync::{Mutex, OnceLock};
    static ANCHOR: OnceLock<Option<Mutex<Connection>>> = OnceLock::new();
    static KEYING: Mutex<()> = Mutex::new(());
    let guard = KEYING.lock().unwrap_or_else(|p| p.into_inner());
    let anchor = ANCHOR.get_or_init(|| {
        let conn = Connection::open("").ok()?;
        let key = crate::crypto::random::bytes::<32>().ok()?;
        conn.pragma_update(None, "key", format!("x'{}'", hex::encode(key)))
            .ok()?;
        conn.execute_batch("CREATE TABLE anchor(x)").ok()?;
        Some(Mutex::new(conn))
    });
    if anchor.is_none() {
        return Err(StoreError::Sqlite("cannot initialise SQLCipher".into()));
    }
    Ok(guard)
}

/// How long a writer waits for another process's or thread's write (SQLite's busy
/// timeout, the store lock) before giving up with [`StoreError::Busy`], unless the caller
/// sets another wait ([`Database::set_wait`], `Vault::set_wait`).
pub const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Page cache per connection, KiB.
const CACHE_KIB: i64 = 16 * 1024;

/// The HMAC that authenticates each page. New stores use HMAC-SHA256, which CPUs with
/// SHA extensions (every current phone SoC, x86 since ~2017) compute several times
/// faster than HMAC-SHA512: a third less time per logged incident (BENCHMARKS.md). Both
/// are 256-bit-key HMACs with tags far beyond forgery reach; SHA512 is SQLCipher 4's
/// default and what stores created before schema 8 use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PageHmac {
    Sha256,
    Sha512,
}

fn open_keyed(
    path: &Path,
    flags: OpenFlags,
    key: &SubKey,
    hmac: PageHmac,
    exclusive: bool,
) -> StoreResult<Connection> {
    let _serialized = sqlcipher_provider_guard()?;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn, key, hmac, exclusive)?;
    Ok(conn)
}

/// Less room on `path`'s volume than SQLite needs to open a database in WAL mode.
fn disk_is_full(path: &Path) -> bool {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    space::available(dir).is_ok_and(|free| free < 256 * 1024)
}

fn configure(conn: &Connection, key: &SubKey, hmac: PageHmac, exclusive: bool) -> StoreResult<()> {
    // SQLCipher's own log would only say which page failed; our errors say it better.
    conn.query_row("PRAGMA cipher_log_level = NONE", [], |_| Ok(()))
        .optional()?;
    let lit = key.sqlcipher_literal();
    conn.pragma_update(None, "key", &*lit)?;
    let algorithm = match hmac {
        PageHmac::Sha256 => "HMAC_SHA256",
        PageHmac::Sha512 => "HMAC_SHA512",
    };
    conn.pragma_update(None, "cipher_hmac_algorithm", algorithm)?;
    // Another process's write: wait for it rather than fail (the CLI runs in parallel).
    conn.busy_timeout(DEFAULT_WAIT)?;
    if exclusive {
        // Before the first access in WAL mode: SQLite then never creates the -shm file.
        conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |_| Ok(()))?;
    }
    // The first statement that reads a page tells a wrong key or a damaged header.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Decrypted pages kept in memory: every cache miss is an AES-256-CBC decryption and
    // an HMAC-SHA512 check, so the cache holds a search's index pages (SQLite's default
    // is 2 MiB). An upper bound, filled only as pages are read; freed on lock.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    // Memory security (SQLCipher's `cipher_memory_security`, off by default since 4.5)
    // stays off on purpose: it mlocks and wipes every SQLite allocation, a system call
    // pair per malloc/free: logging took twice as long and a search three times
    // (BENCHMARKS.md, `memsec`).
    // SQLCipher keeps its keys and cipher contexts in its own locked heap and wipes them
    // either way; what it would add is wiping freed page buffers. SECURITY.md says so.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

pub(crate) fn put_meta(conn: &Connection, key: &str, value: &[u8]) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(rusqlite::params![key, value])?;
    Ok(())
}

/// A meta value, if set.
pub(crate) fn find_meta(conn: &Connection, key: &str) -> StoreResult<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

fn get_meta(conn: &Connection, key: &str) -> StoreResult<Vec<u8>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::DatabaseCorrupt)
}
