//! PostgreSQL storage (`--database-url`), for teams that outgrow one machine: the same
//! tables and rules as the SQLite storage. Pushes take a transaction-scoped advisory lock,
//! so `server_seq` values become visible in order even with several server processes (a
//! pull never skips a change committed late under a lower number).

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls};
use vigil_core::sync::protocol::{BlobRef, Change, EntryOutcome, Pending, PushEntry};

use crate::error::ServerError;
use crate::ingest::{self, Prior};
use crate::now_ms;
use crate::storage::{
    clamp_i64, BlobHasher, BlobState, ChainHead, ChangePage, DeviceRecord, Storage, Validator,
    TIME_HIGH_WATER_SQL,
};

const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("sql/pg/0001_init.sql")),
    (2, include_str!("sql/pg/0002_chain_heads.sql")),
    (3, include_str!("sql/pg/0003_blobs.sql")),
    (4, include_str!("sql/pg/0004_blob_pending.sql")),
    (5, include_str!("sql/pg/0005_console.sql")),
    (6, include_str!("sql/pg/0006_device_pending.sql")),
    (7, include_str!("sql/pg/0007_passkeys.sql")),
];

/// Advisory lock keys (arbitrary, fixed).
const MIGRATION_LOCK: i64 = 0x7669_6769_6c00_0001;
const CHANGES_LOCK: i64 = 0x7669_6769_6c00_0002;

pub struct PgStorage {
    client: Mutex<Client>,
}

impl From<postgres::Error> for ServerError {
    fn from(e: postgres::Error) -> Self {
        match e.code() {
            Some(code) => ServerError::Storage(format!("postgres {}", code.code())),
            None => ServerError::Storage("postgres connection".into()),
        }
    }
}

impl PgStorage {
    /// Connects (`postgres://user@host:port/db`, no TLS: keep it on loopback or a private
    /// network) and brings the schema up to date.
    pub fn connect(url: &str) -> Result<PgStorage, ServerError> {
        let mut client = Client::connect(url, NoTls)?;
        migrate(&mut client)?;
        settle_whole_blobs(&mut client)?;
        Ok(PgStorage {
            client: Mutex::new(client),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn migrate(client: &mut Client) -> Result<(), ServerError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS vigil_schema (version INTEGER NOT NULL)")?;
    let found: i32 = tx
        .query_opt("SELECT max(version) FROM vigil_schema", &[])?
        .and_then(|r| r.get::<_, Option<i32>>(0))
        .unwrap_or(0);
    let latest = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if found > latest {
        return Err(ServerError::Storage(format!(
            "database schema {found} is newer than this server ({latest})"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO vigil_schema(version) VALUES ($1)", &[version])?;
    }
    tx.commit()?;
    Ok(())
}

/// Hashes a whole blob's chunks in order and marks it complete when the digest is its
/// name, or discards it (chunks and row) when not. Returns whether it matched. Runs inside
/// the caller's transaction; reads one chunk at a time.
fn settle(
    c: &mut impl postgres::GenericClient,
    team_id: &str,
    sha256: &str,
) -> Result<bool, ServerError> {
    let positions: Vec<i64> = c
        .query(
            "SELECT pos FROM blob_chunks WHERE team_id = $1 AND sha256 = $2 ORDER BY pos",
            &[&team_id, &sha256],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut hasher = BlobHasher::new();
    for pos in positions {
        let data: Vec<u8> = c
            .query_one(
                "SELECT data FROM blob_chunks WHERE team_id = $1 AND sha256 = $2 AND pos = $3",
                &[&team_id, &sha256, &pos],
            )?
            .get(0);
        hasher.add(pos as u64, &data);
    }
    let ok = hasher.matches(sha256);
    if ok {
        c.execute(
            "UPDATE blobs SET complete = TRUE WHERE team_id = $1 AND sha256 = $2",
            &[&team_id, &sha256],
        )?;
        c.execute(
            "DELETE FROM blob_pending WHERE team_id = $1 AND sha256 = $2",
            &[&team_id, &sha256],
        )?;
    } else {
        c.execute(
            "DELETE FROM blob_chunks WHERE team_id = $1 AND sha256 = $2",
            &[&team_id, &sha256],
        )?;
        c.execute(
            "DELETE FROM blobs WHERE team_id = $1 AND sha256 = $2",
            &[&team_id, &sha256],
        )?;
    }
    Ok(ok)
}

/// Settles every blob whose bytes all arrived but that was never marked complete (an
/// earlier release appended the last chunk and checked the digest in two transactions;
/// a crash between them left the blob stuck). Runs at connect.
fn settle_whole_blobs(client: &mut Client) -> Result<(), ServerError> {
    let mut tx = client.transaction()?;
    let stuck: Vec<(String, String)> = tx
        .query(
            "SELECT team_id, sha256 FROM blobs WHERE NOT complete AND received = size FOR UPDATE",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (team, sha) in &stuck {
        let ok = settle(&mut tx, team, sha)?;
        tracing::info!(ok, "settled a whole blob left incomplete by a crash");
    }
    tx.commit()?;
    Ok(())
}

fn head_of(
    c: &mut impl postgres::GenericClient,
    device_id: &str,
) -> Result<Option<ChainHead>, ServerError> {
    let row = c.query_opt(
        "SELECT seq, hash, signature, anchored_ms FROM chain_heads WHERE device_id = $1",
        &[&device_id],
    )?;
    row.map(|r| {
        Ok(ChainHead {
            seq: r.get::<_, i64>(0) as u64,
            hash: r
                .get::<_, Vec<u8>>(1)
                .try_into()
                .map_err(|_| ServerError::Storage("stored chain head".into()))?,
            signature: r.get(2),
            anchored_ms: r.get::<_, i64>(3) as u64,
        })
    })
    .transpose()
}

impl Storage for PgStorage {
    fn create_team(&self, name: &str) -> Result<String, ServerError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.lock().execute(
            "INSERT INTO teams(id, name, created_ms) VALUES ($1, $2, $3)",
            &[&id, &name, &(now_ms() as i64)],
        )?;
        Ok(id)
    }

    fn add_code(&self, team_id: &str, code_hash: &str, expires_ms: u64) -> Result<(), ServerError> {
        let mut c = self.lock();
        if c.query_opt("SELECT 1 FROM teams WHERE id = $1", &[&team_id])?
            .is_none()
        {
            return Err(ServerError::NotFound("team"));
        }
        c.execute(
            "INSERT INTO enrollment_codes(code_hash, team_id, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4)",
            &[
                &code_hash,
                &team_id,
                &(now_ms() as i64),
                &(expires_ms as i64),
            ],
        )?;
        Ok(())
    }

    fn revoke_device(&self, device_id: &str) -> Result<(), ServerError> {
        let n = self.lock().execute(
            "UPDATE devices SET revoked = TRUE, revoked_ms = $2 WHERE id = $1",
            &[&device_id, &(now_ms() as i64)],
        )?;
        if n == 0 {
            return Err(ServerError::NotFound("device"));
        }
        Ok(())
    }

    fn device(&self, device_id: &str) -> Result<Option<DeviceRecord>, ServerError> {
        Ok(self
            .lock()
            .query_opt(
                "SELECT id, team_id, public_key, revoked FROM devices WHERE id = $1",
                &[&device_id],
            )?
            .map(|r| DeviceRecord {
                id: r.get(0),
                team_id: r.get(1),
                public_key: r.get(2),
                revoked: r.get(3),
            }))
    }

    fn enroll(
        &self,
        code_hash: &str,
        device_id: &str,
        public_key: &[u8],
        officer: &str,
        now_ms: u64,
    ) -> Result<String, ServerError> {
        let mut c = self.lock();
        let mut tx = c.transaction()?;
        let now = now_ms as i64;
        let team_id: Option<String> = tx
            .query_opt(
                "SELECT team_id FROM enrollment_codes
                 WHERE code_hash = $1 AND used_ms IS NULL AND expires_ms > $2 FOR UPDATE",
                &[&code_hash, &now],
            )?
            .map(|r| r.get(0));
        let Some(team_id) = team_id else {
            let repeat: Option<String> = tx
                .query_opt(
                    "SELECT c.team_id FROM enrollment_codes c JOIN devices d ON d.id = c.used_by
                     WHERE c.code_hash = $1 AND c.used_by = $2 AND d.public_key = $3
                       AND NOT d.revoked",
                    &[&code_hash, &device_id, &public_key],
                )?
                .map(|r| r.get(0));
            return repeat.ok_or(ServerError::InvalidCode);
        };
        if tx
            .query_opt("SELECT 1 FROM devices WHERE id = $1", &[&device_id])?
            .is_some()
        {
            return Err(ServerError::DeviceExists);
        }
        tx.execute(
            "UPDATE enrollment_codes SET used_ms = $2, used_by = $3 WHERE code_hash = $1",
            &[&code_hash, &now, &device_id],
        )?;
        tx.execute(
            "INSERT INTO officers(id, team_id, name, created_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (team_id, name) DO NOTHING",
            &[&uuid::Uuid::new_v4().to_string(), &team_id, &officer, &now],
        )?;
        let officer_id: String = tx
            .query_one(
                "SELECT id FROM officers WHERE team_id = $1 AND name = $2",
                &[&team_id, &officer],
            )?
            .get(0);
        tx.execute(
            "INSERT INTO devices(id, team_id, officer_id, public_key, enrolled_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[&device_id, &team_id, &officer_id, &public_key, &now],
        )?;
        tx.execute(
            "INSERT INTO device_cursor(device_id, last_seq) VALUES ($1, 0)",
            &[&device_id],
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
        let mut c = self.lock();
        let mut tx = c.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGES_LOCK])?;
        let revoked: bool = tx
            .query_one("SELECT revoked FROM devices WHERE id = $1", &[&device.id])?
            .get(0);
        if revoked {
            return Err(ServerError::Revoked);
        }
        let last_seq: u64 = tx
            .query_opt(
                "SELECT last_seq FROM device_cursor WHERE device_id = $1 FOR UPDATE",
                &[&device.id],
            )?
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0) as u64;
        let head = head_of(&mut tx, &device.id)?;
        // What the batch may refer to, in one query each; then decided in memory
        // (`ingest`) and written in one statement per table: a handful of round trips per
        // batch instead of several per entry.
        let mut prior = Prior::default();
        let repeats: Vec<i64> = ingest::repeat_seqs(entries, last_seq)
            .into_iter()
            .map(|s| s as i64)
            .collect();
        if !repeats.is_empty() {
            for r in tx.query(
                "SELECT seq, op_id, outcome, reason FROM op_results
                 WHERE device_id = $1 AND seq = ANY($2::BIGINT[])",
                &[&device.id, &repeats],
            )? {
                let outcome = ingest::outcome_from_row(&r.get::<_, String>(2), r.get(3));
                prior
                    .by_seq
                    .insert(r.get::<_, i64>(0) as u64, (r.get(1), outcome));
            }
        }
        let ops = ingest::new_op_ids(entries, last_seq);
        if !ops.is_empty() {
            for r in tx.query(
                "SELECT op_id FROM op_results WHERE op_id = ANY($1::TEXT[])",
                &[&ops],
            )? {
                prior.seen_ops.insert(r.get(0));
            }
        }
        let plan = ingest::plan(entries, last_seq, head, &prior, validate)?;
        let now = now_ms as i64;
        if !plan.changes.is_empty() {
            let n = plan.changes.len();
            let (mut seqs, mut op_ids, mut hlcs, mut kinds, mut entity_ids, mut payloads) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for ch in &plan.changes {
                seqs.push(ch.entry.seq as i64);
                op_ids.push(ch.entry.op_id.as_str());
                hlcs.push(ch.hlc.as_str());
                kinds.push(ch.entry.kind.as_str());
                entity_ids.push(ch.entry.entity_id.as_str());
                payloads.push(ch.payload.as_str());
            }
            // In batch order (ORDER BY the ordinality), so `server_seq` follows the batch.
            tx.execute(
                "INSERT INTO changes(team_id, device_id, seq, op_id, hlc, kind, entity_id,
                                     payload, received_ms)
                 SELECT $1, $2, u.seq, u.op_id, u.hlc, u.kind, u.entity_id, u.payload, $3
                 FROM unnest($4::BIGINT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[],
                             $9::TEXT[])
                      WITH ORDINALITY AS u(seq, op_id, hlc, kind, entity_id, payload, ord)
                 ORDER BY u.ord",
                &[
                    &device.team_id,
                    &device.id,
                    &now,
                    &seqs,
                    &op_ids,
                    &hlcs,
                    &kinds,
                    &entity_ids,
                    &payloads,
                ],
            )?;
        }
        if !plan.results.is_empty() {
            let seqs: Vec<i64> = plan.results.iter().map(|r| r.entry.seq as i64).collect();
            let op_ids: Vec<&str> = plan
                .results
                .iter()
                .map(|r| r.entry.op_id.as_str())
                .collect();
            let outcomes: Vec<&str> = plan.results.iter().map(|r| r.outcome).collect();
            let reasons: Vec<Option<&str>> =
                plan.results.iter().map(|r| r.reason.as_deref()).collect();
            tx.execute(
                "INSERT INTO op_results(device_id, seq, op_id, outcome, reason)
                 SELECT $1, u.seq, u.op_id, u.outcome, u.reason
                 FROM unnest($2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[])
                      AS u(seq, op_id, outcome, reason)",
                &[&device.id, &seqs, &op_ids, &outcomes, &reasons],
            )?;
        }
        tx.execute(
            "INSERT INTO device_cursor(device_id, last_seq) VALUES ($1, $2)
             ON CONFLICT (device_id) DO UPDATE SET last_seq = excluded.last_seq",
            &[&device.id, &(plan.last_seq as i64)],
        )?;
        if let Some(h) = &plan.moved_head {
            tx.execute(
                "INSERT INTO chain_heads(device_id, seq, hash, signature, anchored_ms)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
                   signature = excluded.signature, anchored_ms = excluded.anchored_ms",
                &[
                    &device.id,
                    &(h.seq as i64),
                    &&h.hash[..],
                    &h.signature,
                    &(h.anchored_ms as i64),
                ],
            )?;
        }
        tx.commit()?;
        Ok(plan.outcomes)
    }

    fn time_high_water(&self) -> Result<u64, ServerError> {
        let t: i64 = self.lock().query_one(TIME_HIGH_WATER_SQL, &[])?.get(0);
        Ok(u64::try_from(t).unwrap_or(0))
    }

    fn pull(&self, team_id: &str, cursor: u64, limit: u32) -> Result<ChangePage, ServerError> {
        let mut c = self.lock();
        let high_water: i64 = c
            .query_one("SELECT COALESCE(max(server_seq), 0) FROM changes", &[])?
            .get(0);
        let rows = c.query(
            "SELECT c.server_seq, c.device_id, c.seq, c.op_id, c.hlc, c.kind, c.entity_id,
                    c.payload, d.public_key
             FROM changes c JOIN devices d ON d.id = c.device_id
             WHERE c.team_id = $1 AND c.server_seq > $2
             ORDER BY c.server_seq LIMIT $3",
            &[&team_id, &(cursor as i64), &(i64::from(limit) + 1)],
        )?;
        let mut changes = Vec::with_capacity(rows.len());
        for r in rows {
            changes.push(Change {
                server_seq: r.get::<_, i64>(0) as u64,
                device_id: r.get(1),
                seq: r.get::<_, i64>(2) as u64,
                op_id: r.get(3),
                hlc: r
                    .get::<_, String>(4)
                    .parse()
                    .map_err(|_| ServerError::Storage("stored clock stamp".into()))?,
                kind: r.get(5),
                entity_id: r.get(6),
                payload: serde_json::from_str(&r.get::<_, String>(7))
                    .map_err(|_| ServerError::Storage("stored payload".into()))?,
                public_key: Some(hex::encode(r.get::<_, Vec<u8>>(8))),
            });
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
            .query_opt(
                "SELECT size, received, complete FROM blobs WHERE team_id = $1 AND sha256 = $2",
                &[&team_id, &sha256],
            )?
            .map(|r| BlobState {
                size: r.get::<_, i64>(0) as u64,
                received: r.get::<_, i64>(1) as u64,
                complete: r.get(2),
            }))
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
        let mut c = self.lock();
        let mut tx = c.transaction()?;
        tx.execute(
            "INSERT INTO blobs(team_id, sha256, size, uploader, created_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (team_id, sha256) DO NOTHING",
            &[
                &team_id,
                &blob.sha256,
                &(blob.size as i64),
                &uploader,
                &(now_ms as i64),
            ],
        )?;
        let row = tx.query_one(
            "SELECT size, received, complete FROM blobs
             WHERE team_id = $1 AND sha256 = $2 FOR UPDATE",
            &[&team_id, &blob.sha256],
        )?;
        let (size, received, complete): (i64, i64, bool) = (row.get(0), row.get(1), row.get(2));
        if size as u64 != blob.size {
            return Err(ServerError::Malformed(
                "blob size differs from its first upload".into(),
            ));
        }
        if !complete && offset == 0 && received > 0 {
            // A device that restarts a blob from zero drops what is held of it.
            tx.execute(
                "DELETE FROM blob_chunks WHERE team_id = $1 AND sha256 = $2",
                &[&team_id, &blob.sha256],
            )?;
        } else if complete || received as u64 != offset {
            return Err(ServerError::BlobOffset {
                held: received as u64,
            });
        }
        let received = offset + data.len() as u64;
        tx.execute(
            "INSERT INTO blob_chunks(team_id, sha256, pos, len, data) VALUES ($1, $2, $3, $4, $5)",
            &[
                &team_id,
                &blob.sha256,
                &(offset as i64),
                &(data.len() as i64),
                &data,
            ],
        )?;
        tx.execute(
            "UPDATE blobs SET received = $3 WHERE team_id = $1 AND sha256 = $2",
            &[&team_id, &blob.sha256, &(received as i64)],
        )?;
        // The last byte and the verdict commit together: a crash never leaves a whole
        // blob neither complete nor discarded.
        let complete = received == blob.size && settle(&mut tx, team_id, &blob.sha256)?;
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
        let end = offset.saturating_add(len);
        let rows = self.lock().query(
            "SELECT pos, data FROM blob_chunks
             WHERE team_id = $1 AND sha256 = $2 AND pos + len > $3 AND pos < $4 ORDER BY pos",
            &[&team_id, &sha256, &(offset as i64), &(end as i64)],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let pos: i64 = r.get(0);
            let data: Vec<u8> = r.get(1);
            crate::storage::copy_range(&mut out, pos as u64, &data, offset, end);
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
        let mut c = self.lock();
        let mut tx = c.transaction()?;
        for b in blobs {
            tx.execute(
                "INSERT INTO blob_pending(team_id, sha256, size, device_id, announced_ms)
                 SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (
                     SELECT 1 FROM blobs WHERE team_id = $1 AND sha256 = $2 AND complete)
                 ON CONFLICT (team_id, sha256, device_id) DO NOTHING",
                &[
                    &team_id,
                    &b.sha256,
                    &(b.size as i64),
                    &device_id,
                    &(now_ms as i64),
                ],
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
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (device_id) DO UPDATE SET changes = excluded.changes,
                 attachments = excluded.attachments, reported_ms = excluded.reported_ms",
            &[
                &device_id,
                &clamp_i64(pending.changes),
                &clamp_i64(pending.attachments),
                &(now_ms as i64),
            ],
        )?;
        Ok(())
    }

    fn blobs_expected_from(&self, device_id: &str) -> Result<Vec<BlobRef>, ServerError> {
        Ok(self
            .lock()
            .query(
                "SELECT p.sha256, p.size FROM blob_pending p
                 LEFT JOIN blobs b ON b.team_id = p.team_id AND b.sha256 = p.sha256
                 WHERE p.device_id = $1 AND NOT COALESCE(b.complete, FALSE)
                 ORDER BY p.announced_ms, p.sha256",
                &[&device_id],
            )?
            .iter()
            .map(|r| BlobRef {
                sha256: r.get(0),
                size: r.get::<_, i64>(1) as u64,
            })
            .collect())
    }

    fn blob_expected(&self, team_id: &str, sha256: &str) -> Result<bool, ServerError> {
        Ok(self
            .lock()
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM blob_pending p
                     LEFT JOIN blobs b ON b.team_id = p.team_id AND b.sha256 = p.sha256
                     WHERE p.team_id = $1 AND p.sha256 = $2 AND NOT COALESCE(b.complete, FALSE))",
                &[&team_id, &sha256],
            )?
            .get(0))
    }

    fn chain_head(&self, device_id: &str) -> Result<Option<ChainHead>, ServerError> {
        head_of(&mut *self.lock(), device_id)
    }

    fn server_key(&self, candidate_pkcs8: &[u8], now_ms: u64) -> Result<Vec<u8>, ServerError> {
        let mut c = self.lock();
        c.execute(
            "INSERT INTO server_key(id, pkcs8, created_ms) VALUES (1, $1, $2)
             ON CONFLICT (id) DO NOTHING",
            &[&candidate_pkcs8, &(now_ms as i64)],
        )?;
        Ok(
            c.query_one("SELECT pkcs8 FROM server_key WHERE id = 1", &[])?
                .get(0),
        )
    }
}
