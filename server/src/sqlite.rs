//! The default storage: one SQLite file under the data directory (the workspace's
//! SQLCipher build, opened without a key, behaves as plain SQLite). One connection behind
//! a mutex: writes are serialised anyway, and each request is one short transaction.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use vigil_core::sync::protocol::{BlobRef, EntryOutcome, Pending, PushEntry};
use vigil_core::sync::stored::change_row;

use crate::error::ServerError;
use crate::ingest::{self, Prior};
use crate::now_ms;
use crate::storage::{
    clamp_i64, BlobHasher, BlobState, ChainHead, ChangePage, DeviceRecord, Storage, Validator,
    TIME_HIGH_WATER_SQL,
};

const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("sql/0001_init.sql")),
    (2, include_str!("sql/0002_chain_heads.sql")),
    (3, include_str!("sql/0003_blobs.sql")),
    (4, include_str!("sql/0004_blob_pending.sql")),
    (5, include_str!("sql/0005_console.sql")),
    (6, include_str!("sql/0006_device_pending.sql")),
    (7, include_str!("sql/0007_passkeys.sql")),
];

pub const DB_FILE: &str = "vigil-server.db";

/// The database key's file in the data directory, unless `--db-key-file` names another
/// place (a secrets mount: a copy of the data directory alone then reveals nothing).
pub const KEY_FILE: &str = "vigil-server.key";

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

impl SqliteStorage {
    /// Opens (creating if needed) `DIR/vigil-server.db`, encrypted under the key in
    /// `DIR/vigil-server.key` (created on first start), and brings its schema up to date.
    pub fn open_dir(dir: &Path) -> Result<SqliteStorage, ServerError> {
        Self::open_dir_with_key_file(dir, &dir.join(KEY_FILE))
    }

    /// Like [`Self::open_dir`] with the database key kept at `key_file`.
    pub fn open_dir_with_key_file(
        dir: &Path,
        key_file: &Path,
    ) -> Result<SqliteStorage, ServerError> {
        create_private_dir(dir)?;
        let key = load_or_create_key(key_file)?;
        let db = dir.join(DB_FILE);
        let storage = Self::open(&db, &key)?;
        // The database and its WAL/SHM sidecars hold the team's data (encrypted, but
        // no one else on the host needs to copy it for an offline guess): owner only,
        // whatever the umask.
        for f in [db.clone(), sidecar(&db, "-wal"), sidecar(&db, "-shm")] {
            restrict(&f, 0o600)?;
        }
        Ok(storage)
    }

    /// Opens the SQLCipher database at `path` under `key` (a plain SQLite file written by
    /// an earlier release is encrypted in place first).
    pub fn open(path: &Path, key: &[u8; 32]) -> Result<SqliteStorage, ServerError> {
        let literal = zeroize::Zeroizing::new(format!("\"x'{}'\"", hex::encode(key)));
        if is_plain_sqlite(path)? {
            encrypt_in_place(path, &literal)?;
        }
        let mut conn = {
            let _keying = vigil_core::store::sqlcipher_provider_guard()
                .map_err(|_| ServerError::Storage("cannot initialise SQLCipher".into()))?;
            let conn = Connection::open(path)?;
            conn.execute_batch(&format!("PRAGMA key = {}", literal.as_str()))?;
            // Memory security stays off, as on the phones (docs/SECURITY.md): it costs a
            // system call pair per allocation, and whoever can read this process's
            // memory reads the live page cache anyway. Use encrypted swap on the host.
            conn
        };
        // The first read tells a wrong key or a damaged file.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|_| ServerError::Storage("the database does not open with this key".into()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        // An acknowledged push must survive a power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Room for every statement of the request paths (pushes use about a dozen).
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn)?;
        settle_whole_blobs(&mut conn)?;
        Ok(SqliteStorage {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half-applied (it is
        // rolled back on drop), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The 32-byte database key at `path`, created (random, mode 0600) when absent.
fn load_or_create_key(path: &Path) -> Result<zeroize::Zeroizing<[u8; 32]>, ServerError> {
    let io = |what: &str, e: std::io::Error| {
        ServerError::Storage(format!("database key file: {what} ({:?})", e.kind()))
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = zeroize::Zeroizing::new(bytes);
            let key: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| ServerError::Storage("database key file: not a 32-byte key".into()))?;
            Ok(zeroize::Zeroizing::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = zeroize::Zeroizing::new(
                vigil_core::crypto::random::bytes::<32>()
                    .map_err(|_| ServerError::Storage("random".into()))?,
            );
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(path).map_err(|e| io("create", e))?;
            use std::io::Write;
            f.write_all(&key[..])
                .and_then(|()| f.sync_all())
                .map_err(|e| io("write", e))?;
            Ok(key)
        }
        Err(e) => Err(io("read", e)),
    }
}

fn is_plain_sqlite(path: &Path) -> Result<bool, ServerError> {
    use std::io::Read;
    let mut head = [0u8; 16];
    match std::fs::File::open(path) {
        Ok(mut f) => Ok(f.read(&mut head).unwrap_or(0) == 16 && &head == SQLITE_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(ServerError::Storage(format!("database: {:?}", e.kind()))),
    }
}

/// Encrypts a plain SQLite database (an earlier release's) into a SQLCipher copy with
/// `sqlcipher_export`, then swaps it in; the plain file is overwritten before removal.
fn encrypt_in_place(path: &Path, key_literal: &str) -> Result<(), ServerError> {
    let tmp = path.with_extension("db.encrypting");
    let _ = std::fs::remove_file(&tmp);
    {
        let _keying = vigil_core::store::sqlcipher_provider_guard()
            .map_err(|_| ServerError::Storage("cannot initialise SQLCipher".into()))?;
        let plain = Connection::open(path)?;
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let target = tmp.to_string_lossy().replace('\'', "''");
        plain.execute_batch(&format!(
            "ATTACH DATABASE '{target}' AS encrypted KEY {key_literal};
             SELECT sqlcipher_export('encrypted');
             DETACH DATABASE encrypted;"
        ))?;
        let version: u32 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        drop(plain);
        let enc = Connection::open(&tmp)?;
        enc.execute_batch(&format!("PRAGMA key = {key_literal}"))?;
        enc.pragma_update(None, "user_version", version)?;
    }
    let io = |e: std::io::Error| ServerError::Storage(format!("encrypting: {:?}", e.kind()));
    // Overwrite the plaintext before it goes (secure_delete is no help for a whole file).
    if let Ok(meta) = std::fs::metadata(path) {
        let zeros = vec![0u8; 64 * 1024];
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io)?;
        use std::io::Write;
        let mut left = meta.len();
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            f.write_all(&zeros[..n]).map_err(io)?;
            left -= n as u64;
        }
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
    tracing::info!("encrypted the server database written by an earlier release");
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), ServerError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if found > latest {
        return Err(ServerError::Storage(format!(
            "database schema {found} is newer than this server ({latest})"
        )));
    }
    let tx = conn.transaction()?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(())
}

/// Hashes a whole blob's chunks in order and marks it complete when the digest is its
/// name, or discards it (chunks and row) when not. Returns whether it matched. Runs inside
/// the caller's transaction.
fn settle(conn: &Connection, team_id: &str, sha256: &str) -> Result<bool, ServerError> {
    let mut hasher = BlobHasher::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT pos, data FROM blob_chunks WHERE team_id = ?1 AND sha256 = ?2 ORDER BY pos",
        )?;
        let mut rows = stmt.query(params![team_id, sha256])?;
        while let Some(r) = rows.next()? {
            hasher.add(r.get::<_, i64>(0)? as u64, &r.get::<_, Vec<u8>>(1)?);
        }
    }
    let ok = hasher.matches(sha256);
    if ok {
        conn.execute(
            "UPDATE blobs SET complete = 1 WHERE team_id = ?1 AND sha256 = ?2",
            params![team_id, sha256],
        )?;
        conn.execute(
            "DELETE FROM blob_pending WHERE team_id = ?1 AND sha256 = ?2",
            params![team_id, sha256],
        )?;
    } else {
        conn.execute(
            "DELETE FROM blob_chunks WHERE team_id = ?1 AND sha256 = ?2",
            params![team_id, sha256],
        )?;
        conn.execute(
            "DELETE FROM blobs WHERE team_id = ?1 AND sha256 = ?2",
            params![team_id, sha256],
        )?;
    }
    Ok(ok)
}

/// Settles every blob whose bytes all arrived but that was never marked complete (an
/// earlier release appended the last chunk and checked the digest in two transactions;
/// a crash between them left the blob stuck). Runs once at open.
fn settle_whole_blobs(conn: &mut Connection) -> Result<(), ServerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stuck: Vec<(String, String)> = {
        let mut stmt =
            tx.prepare("SELECT team_id, sha256 FROM blobs WHERE complete = 0 AND received = size")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (team, sha) in &stuck {
        let ok = settle(&tx, team, sha)?;
        tracing::info!(ok, "settled a whole blob left incomplete by a crash");
    }
    tx.commit()?;
    Ok(())
}

fn head_of(conn: &Connection, device_id: &str) -> Result<Option<ChainHead>, ServerError> {
    let row: Option<(i64, Vec<u8>, Vec<u8>, i64)> = conn
        .prepare_cached(
            "SELECT seq, hash, signature, anchored_ms FROM chain_heads WHERE device_id = ?1",
        )?
        .query_row([device_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    row.map(|(seq, hash, signature, at)| {
        Ok(ChainHead {
            seq: seq as u64,
            hash: hash
                .try_into()
                .map_err(|_| ServerError::Storage("stored chain head".into()))?,
            signature,
            anchored_ms: at as u64,
        })
    })
    .transpose()
}

impl Storage for SqliteStorage {
    fn create_team(&self, name: &str) -> Result<String, ServerError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.lock().execute(
            "INSERT INTO teams(id, name, created_ms) VALUES (?1, ?2, ?3)",
            params![id, name, now_ms() as i64],
        )?;
        Ok(id)
    }

    fn add_code(&self, team_id: &str, code_hash: &str, expires_ms: u64) -> Result<(), ServerError> {
        let conn = self.lock();
        let exists: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM teams WHERE id = ?1)",
            [team_id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(ServerError::NotFound("team"));
        }
        conn.execute(
            "INSERT INTO enrollment_codes(code_hash, team_id, created_ms, expires_ms)
             VALUES (?1, ?2, ?3, ?4)",
            params![code_hash, team_id, now_ms() as i64, expires_ms as i64],
        )?;
        Ok(())
    }

    fn revoke_device(&self, device_id: &str) -> Result<(), ServerError> {
        let n = self.lock().execute(
            "UPDATE devices SET revoked = 1, revoked_ms = ?2 WHERE id = ?1",
            params![device_id, now_ms() as i64],
        )?;
        if n == 0 {
            return Err(ServerError::NotFound("device"));
        }
        Ok(())
    }

    fn device(&self, device_id: &str) -> Result<Option<DeviceRecord>, ServerError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT id, team_id, public_key, revoked FROM devices WHERE id = ?1")?;
        Ok(stmt
            .query_row([device_id], |r| {
                Ok(DeviceRecord {
                    id: r.get(0)?,
                    team_id: r.get(1)?,
                    public_key: r.get(2)?,
                    revoked: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        public_key: &[u8],
        officer: &str,
        now_ms: u64,
    ) -> Result<String, ServerError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_ms as i64;
        let team_id: Option<String> = tx
            .query_row(
                "SELECT team_id FROM enrollment_codes
                 WHERE code_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2",
                params![code_hash, now],
                |r| r.get(0),
            )
            .optional()?;
        let team_id = match team_id {
            Some(t) => t,
            None => {
                // A retry of an enrollment whose answer was lost: same code, same device,
                // same key gets the same answer.
                let repeat: Option<String> = tx
                    .query_row(
                        "SELECT c.team_id FROM enrollment_codes c JOIN devices d ON d.id = c.used_by
                         WHERE c.code_hash = ?1 AND c.used_by = ?2 AND d.public_key = ?3
                           AND d.revoked = 0",
                        params![code_hash, device_id, public_key],
                        |r| r.get(0),
                    )
                    .optional()?;
                return repeat.ok_or(ServerError::InvalidCode);
            }
        };
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM devices WHERE id = ?1)",
            [device_id],
            |r| r.get(0),
        )?;
        if exists {
            return Err(ServerError::DeviceExists);
        }
        tx.execute(
            "UPDATE enrollment_codes SET used_ms = ?2, used_by = ?3 WHERE code_hash = ?1",
            params![code_hash, now, device_id],
        )?;
        tx.execute(
            "INSERT INTO officers(id, team_id, name, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(team_id, name) DO NOTHING",
            params![uuid::Uuid::new_v4().to_string(), team_id, officer, now],
        )?;
        let officer_id: String = tx.query_row(
            "SELECT id FROM officers WHERE team_id = ?1 AND name = ?2",
            params![team_id, officer],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO devices(id, team_id, officer_id, public_key, enrolled_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![device_id, team_id, officer_id, public_key, now],
        )?;
        tx.execute(
            "INSERT INTO device_cursor(device_id, last_seq) VALUES (?1, 0)",
            [device_id],
        )?;
        tx.commit()?;
        Ok(team_id)
    }

    fn push(
        &self,
        device: &DeviceRecord,
        entries: &[PushEntry],
        now_ms: u64,
        validate: Validator<'_>,
    ) -> Result<Vec<EntryOutcome>, ServerError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let revoked: bool = tx
            .prepare_cached("SELECT revoked FROM devices WHERE id = ?1")?
            .query_row([&device.id], |r| r.get(0))?;
        if revoked {
            return Err(ServerError::Revoked);
        }
        let last_seq: u64 = tx
            .prepare_cached("SELECT last_seq FROM device_cursor WHERE device_id = ?1")?
            .query_row([&device.id], |r| r.get::<_, i64>(0))
            .optional()?
            .unwrap_or(0) as u64;
        let head = head_of(&tx, &device.id)?;
        // What the batch may refer to, read once; then decided in memory (`ingest`).
        let mut prior = Prior::default();
        {
            let mut by_seq = tx.prepare_cached(
                "SELECT op_id, outcome, reason FROM op_results WHERE device_id = ?1 AND seq = ?2",
            )?;
            for seq in ingest::repeat_seqs(entries, last_seq) {
                let row: Option<(String, String, Option<String>)> = by_seq
                    .query_row(params![device.id, seq as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                if let Some((op, outcome, reason)) = row {
                    prior
                        .by_seq
                        .insert(seq, (op, ingest::outcome_from_row(&outcome, reason)));
                }
            }
            let mut seen =
                tx.prepare_cached("SELECT EXISTS(SELECT 1 FROM op_results WHERE op_id = ?1)")?;
            for op in ingest::new_op_ids(entries, last_seq) {
                if seen.query_row([op], |r| r.get::<_, bool>(0))? {
                    prior.seen_ops.insert(op.to_string());
                }
            }
        }
        let plan = ingest::plan(entries, last_seq, head, &prior, validate)?;
        let now = now_ms as i64;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO changes(team_id, device_id, seq, op_id, hlc, kind, entity_id,
                                     payload, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for c in &plan.changes {
                let e = c.entry;
                insert.execute(params![
                    device.team_id,
                    device.id,
                    e.seq as i64,
                    e.op_id,
                    c.hlc,
                    e.kind,
                    e.entity_id,
                    c.payload,
                    now
                ])?;
            }
            let mut record = tx.prepare_cached(
                "INSERT INTO op_results(device_id, seq, op_id, outcome, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in &plan.results {
                record.execute(params![
                    device.id,
                    r.entry.seq as i64,
                    r.entry.op_id,
                    r.outcome,
                    r.reason
                ])?;
            }
        }
        tx.prepare_cached(
            "INSERT INTO device_cursor(device_id, last_seq) VALUES (?1, ?2)
             ON CONFLICT(device_id) DO UPDATE SET last_seq = excluded.last_seq",
        )?
        .execute(params![device.id, plan.last_seq as i64])?;
        if let Some(h) = &plan.moved_head {
            tx.prepare_cached(
                "INSERT INTO chain_heads(device_id, seq, hash, signature, anchored_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                   signature = excluded.signature, anchored_ms = excluded.anchored_ms",
            )?
            .execute(params![
                device.id,
                h.seq as i64,
                &h.hash[..],
                h.signature,
                h.anchored_ms as i64
            ])?;
        }
        tx.commit()?;
        Ok(plan.outcomes)
    }

    fn time_high_water(&self) -> Result<u64, ServerError> {
        let conn = self.lock();
        let t: i64 = conn.query_row(TIME_HIGH_WATER_SQL, [], |r| r.get(0))?;
        Ok(u64::try_from(t).unwrap_or(0))
    }

    fn pull(&self, team_id: &str, cursor: u64, limit: u32) -> Result<ChangePage, ServerError> {
        let conn = self.lock();
        let high_water: i64 = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'changes'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let mut stmt = conn.prepare_cached(
            "SELECT c.server_seq, c.device_id, c.seq, c.op_id, c.hlc, c.kind, c.entity_id,
                    c.payload, d.public_key
             FROM changes c JOIN devices d ON d.id = c.device_id
             WHERE c.team_id = ?1 AND c.server_seq > ?2
             ORDER BY c.server_seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![team_id, cursor as i64, i64::from(limit) + 1],
            change_row,
        )?;
        let mut changes = Vec::new();
        for row in rows {
            changes.push(row.map_err(|e| match e {
                rusqlite::Error::FromSqlConversionFailure(..) => {
                    ServerError::Storage("stored change".into())
                }
                e => e.into(),
            })?);
        }
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        Ok(ChangePage {
            changes,
            has_more,
            high_water: high_water as u64,
        })
    }

    fn blob(&self, team_id: &str, sha256: &str) -> Result<Option<BlobState>, ServerError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT size, received, complete FROM blobs WHERE team_id = ?1 AND sha256 = ?2",
                params![team_id, sha256],
                |r| {
                    Ok(BlobState {
                        size: r.get::<_, i64>(0)? as u64,
                        received: r.get::<_, i64>(1)? as u64,
                        complete: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn blob_append(
        &self,
        team_id: &str,
        uploader: &str,
        blob: &BlobRef,
        offset: u64,
        data: &[u8],
        now_ms: u64,
    ) -> Result<BlobState, ServerError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO blobs(team_id, sha256, size, uploader, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(team_id, sha256) DO NOTHING",
            params![
                team_id,
                blob.sha256,
                blob.size as i64,
                uploader,
                now_ms as i64
            ],
        )?;
        let (size, received, complete): (i64, i64, bool) = tx.query_row(
            "SELECT size, received, complete FROM blobs WHERE team_id = ?1 AND sha256 = ?2",
            params![team_id, blob.sha256],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if size as u64 != blob.size {
            return Err(ServerError::Malformed(
                "blob size differs from its first upload".into(),
            ));
        }
        if !complete && offset == 0 && received > 0 {
            // A device that restarts a blob from zero drops what is held of it.
            tx.execute(
                "DELETE FROM blob_chunks WHERE team_id = ?1 AND sha256 = ?2",
                params![team_id, blob.sha256],
            )?;
        } else if complete || received as u64 != offset {
            return Err(ServerError::BlobOffset {
                held: received as u64,
            });
        }
        let received = offset + data.len() as u64;
        tx.execute(
            "INSERT INTO blob_chunks(team_id, sha256, pos, len, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![team_id, blob.sha256, offset as i64, data.len() as i64, data],
        )?;
        tx.execute(
            "UPDATE blobs SET received = ?3 WHERE team_id = ?1 AND sha256 = ?2",
            params![team_id, blob.sha256, received as i64],
        )?;
        // The last byte and the verdict commit together: a crash never leaves a whole
        // blob neither complete nor discarded.
        let complete = received == blob.size && settle(&tx, team_id, &blob.sha256)?;
        tx.commit()?;
        if received == blob.size && !complete {
            return Err(ServerError::BlobMismatch);
        }
        Ok(BlobState {
            size: blob.size,
            received,
            complete,
        })
    }

    fn blob_read(
        &self,
        team_id: &str,
        sha256: &str,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, ServerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT pos, data FROM blob_chunks
             WHERE team_id = ?1 AND sha256 = ?2 AND pos + len > ?3 AND pos < ?4 ORDER BY pos",
        )?;
        let end = offset.saturating_add(len);
        let rows = stmt.query_map(params![team_id, sha256, offset as i64, end as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (pos, data) = row?;
            crate::storage::copy_range(&mut out, pos, &data, offset, end);
        }
        Ok(out)
    }

    fn blobs_expect(
        &self,
        team_id: &str,
        device_id: &str,
        blobs: &[BlobRef],
        now_ms: u64,
    ) -> Result<(), ServerError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for b in blobs {
            tx.execute(
                "INSERT INTO blob_pending(team_id, sha256, size, device_id, announced_ms)
                 SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (
                     SELECT 1 FROM blobs WHERE team_id = ?1 AND sha256 = ?2 AND complete = 1)
                 ON CONFLICT(team_id, sha256, device_id) DO NOTHING",
                params![team_id, b.sha256, b.size as i64, device_id, now_ms as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn report_pending(
        &self,
        device_id: &str,
        pending: &Pending,
        now_ms: u64,
    ) -> Result<(), ServerError> {
        self.lock().execute(
            "INSERT INTO device_pending(device_id, changes, attachments, reported_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(device_id) DO UPDATE SET changes = excluded.changes,
                 attachments = excluded.attachments, reported_ms = excluded.reported_ms",
            params![
                device_id,
                clamp_i64(pending.changes),
                clamp_i64(pending.attachments),
                now_ms as i64
            ],
        )?;
        Ok(())
    }

    fn blobs_expected_from(&self, device_id: &str) -> Result<Vec<BlobRef>, ServerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT p.sha256, p.size FROM blob_pending p
             LEFT JOIN blobs b ON b.team_id = p.team_id AND b.sha256 = p.sha256
             WHERE p.device_id = ?1 AND COALESCE(b.complete, 0) = 0
             ORDER BY p.announced_ms, p.sha256",
        )?;
        let rows = stmt.query_map(params![device_id], |r| {
            Ok(BlobRef {
                sha256: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn blob_expected(&self, team_id: &str, sha256: &str) -> Result<bool, ServerError> {
        Ok(self.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM blob_pending p
                 LEFT JOIN blobs b ON b.team_id = p.team_id AND b.sha256 = p.sha256
                 WHERE p.team_id = ?1 AND p.sha256 = ?2 AND COALESCE(b.complete, 0) = 0)",
            params![team_id, sha256],
            |r| r.get(0),
        )?)
    }

    fn chain_head(&self, device_id: &str) -> Result<Option<ChainHead>, ServerError> {
        head_of(&self.lock(), device_id)
    }

    fn server_key(&self, candidate_pkcs8: &[u8], now_ms: u64) -> Result<Vec<u8>, ServerError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO server_key(id, pkcs8, created_ms) VALUES (1, ?1, ?2)
             ON CONFLICT(id) DO NOTHING",
            params![candidate_pkcs8, now_ms as i64],
        )?;
        Ok(
            conn.query_row("SELECT pkcs8 FROM server_key WHERE id = 1", [], |r| {
                r.get(0)
            })?,
        )
    }
}

/// Creates the data directory owner-only (0700), and tightens an existing one.
fn create_private_dir(dir: &Path) -> Result<(), ServerError> {
    let io = |e: std::io::Error| ServerError::Storage(format!("data dir: {}", e.kind()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(io)?;
    restrict(dir, 0o700)
}

/// `path` with `suffix` appended to its file name (`vigil-server.db-wal`).
fn sidecar(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

/// Sets `path`'s permission bits to `mode` if it exists (a missing sidecar is fine).
fn restrict(path: &Path, mode: u32) -> Result<(), ServerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ServerError::Storage(format!("permissions: {}", e.kind()))),
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
