//! [`ConsoleStorage`] on the SQLite storage.

use rusqlite::{params, OptionalExtension, Row};

use super::store::{
    report, AuditRecord, ConsoleStorage, DeviceRow, PasskeyRecord, PasskeyUse, SessionRecord,
    TeamRecord, UserRecord,
};
use crate::error::ServerError;
use crate::sqlite::SqliteStorage;

const USER_COLUMNS: &str = "id, team_id, name, role, passphrase_hash, totp_secret, totp_last_step";

const PASSKEY_COLUMNS: &str = "id, user_id, credential_id, name, alg, public_key, sign_count, \
                               backed_up, created_ms, last_used_ms";

fn passkey_row(r: &Row<'_>) -> rusqlite::Result<PasskeyRecord> {
    Ok(PasskeyRecord {
        id: r.get(0)?,
        user_id: r.get(1)?,
        credential_id: r.get(2)?,
        name: r.get(3)?,
        alg: r.get(4)?,
        public_key: r.get(5)?,
        sign_count: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        backed_up: r.get::<_, i64>(7)? != 0,
        created_ms: r.get::<_, i64>(8)? as u64,
        last_used_ms: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
    })
}

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: r.get(0)?,
        team_id: r.get(1)?,
        name: r.get(2)?,
        role: r.get(3)?,
        passphrase_hash: r.get(4)?,
        totp_secret: r.get(5)?,
        totp_last_step: r.get::<_, i64>(6)? as u64,
    })
}

impl ConsoleStorage for SqliteStorage {
    fn team(&self, id_or_name: &str) -> Result<Option<TeamRecord>, ServerError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id, name FROM teams WHERE id = ?1
                 UNION ALL SELECT id, name FROM teams WHERE name = ?1 LIMIT 1",
                [id_or_name],
                |r| {
                    Ok(TeamRecord {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn create_user(&self, u: &UserRecord, now_ms: u64) -> Result<bool, ServerError> {
        let n = self.lock().execute(
            "INSERT INTO console_users(id, team_id, name, role, passphrase_hash, totp_secret,
                                       totp_last_step, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7) ON CONFLICT(name) DO NOTHING",
            params![
                u.id,
                u.team_id,
                u.name,
                u.role,
                u.passphrase_hash,
                u.totp_secret,
                now_ms as i64
            ],
        )?;
        Ok(n == 1)
    }

    fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, ServerError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM console_users WHERE name = ?1");
        Ok(self.lock().query_row(&sql, [name], user_row).optional()?)
    }

    fn user(&self, id: &str) -> Result<Option<UserRecord>, ServerError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM console_users WHERE id = ?1");
        Ok(self.lock().query_row(&sql, [id], user_row).optional()?)
    }

    fn use_totp_step(&self, user_id: &str, step: u64) -> Result<bool, ServerError> {
        let n = self.lock().execute(
            "UPDATE console_users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2",
            params![user_id, step as i64],
        )?;
        Ok(n == 1)
    }

    fn session_insert(&self, s: &SessionRecord, now_ms: u64) -> Result<(), ServerError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM console_sessions WHERE expires_ms <= ?1",
            [now_ms as i64],
        )?;
        tx.execute(
            "INSERT INTO console_sessions(id_hash, user_id, csrf_token, created_ms, last_seen_ms,
                                          expires_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                s.id_hash,
                s.user_id,
                s.csrf_token,
                s.created_ms as i64,
                s.last_seen_ms as i64,
                s.expires_ms as i64
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, ServerError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id_hash, user_id, csrf_token, created_ms, last_seen_ms, expires_ms
                 FROM console_sessions WHERE id_hash = ?1",
                [id_hash],
                |r| {
                    Ok(SessionRecord {
                        id_hash: r.get(0)?,
                        user_id: r.get(1)?,
                        csrf_token: r.get(2)?,
                        created_ms: r.get::<_, i64>(3)? as u64,
                        last_seen_ms: r.get::<_, i64>(4)? as u64,
                        expires_ms: r.get::<_, i64>(5)? as u64,
                    })
                },
            )
            .optional()?)
    }

    fn session_touch(&self, id_hash: &str, now_ms: u64) -> Result<(), ServerError> {
        self.lock().execute(
            "UPDATE console_sessions SET last_seen_ms = ?2 WHERE id_hash = ?1",
            params![id_hash, now_ms as i64],
        )?;
        Ok(())
    }

    fn session_delete(&self, id_hash: &str) -> Result<(), ServerError> {
        self.lock()
            .execute("DELETE FROM console_sessions WHERE id_hash = ?1", [id_hash])?;
        Ok(())
    }

    fn audit_add(&self, team_id: &str, a: &AuditRecord) -> Result<(), ServerError> {
        self.lock().execute(
            "INSERT INTO console_audit(team_id, user_name, action, subject, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![team_id, a.user_name, a.action, a.subject, a.at_ms as i64],
        )?;
        Ok(())
    }

    fn audit_list(&self, team_id: &str, limit: u32) -> Result<Vec<AuditRecord>, ServerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT at_ms, user_name, action, subject FROM console_audit
             WHERE team_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![team_id, i64::from(limit)], |r| {
            Ok(AuditRecord {
                at_ms: r.get::<_, i64>(0)? as u64,
                user_name: r.get(1)?,
                action: r.get(2)?,
                subject: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn team_devices(&self, team_id: &str) -> Result<Vec<DeviceRow>, ServerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT d.id, o.name, d.enrolled_ms, d.revoked, d.revoked_ms,
                    (SELECT MAX(c.received_ms) FROM changes c WHERE c.device_id = d.id),
                    COALESCE((SELECT k.last_seq FROM device_cursor k WHERE k.device_id = d.id), 0),
                    p.changes, p.attachments, p.reported_ms
             FROM devices d JOIN officers o ON o.id = d.officer_id
             LEFT JOIN device_pending p ON p.device_id = d.id
             WHERE d.team_id = ?1 ORDER BY d.enrolled_ms DESC, d.id",
        )?;
        let rows = stmt.query_map([team_id], |r| {
            let revoked: bool = r.get(3)?;
            let revoked_ms: Option<i64> = r.get(4)?;
            Ok(DeviceRow {
                id: r.get(0)?,
                officer: r.get(1)?,
                enrolled_ms: r.get::<_, i64>(2)? as u64,
                revoked_ms: revoked.then(|| revoked_ms.unwrap_or(0) as u64),
                last_change_ms: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                last_seq: r.get::<_, i64>(6)? as u64,
                reported: report(
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn passkey_add(&self, p: &PasskeyRecord) -> Result<bool, ServerError> {
        let n = self.lock().execute(
            "INSERT INTO console_passkeys(id, user_id, credential_id, name, alg, public_key,
                                          sign_count, backed_up, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(credential_id) DO NOTHING",
            params![
                p.id,
                p.user_id,
                p.credential_id,
                p.name,
                p.alg,
                p.public_key,
                i64::from(p.sign_count),
                i64::from(p.backed_up),
                p.created_ms as i64
            ],
        )?;
        Ok(n == 1)
    }

    fn passkeys_of(&self, user_id: &str) -> Result<Vec<PasskeyRecord>, ServerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {PASSKEY_COLUMNS} FROM console_passkeys WHERE user_id = ?1
             ORDER BY created_ms, id"
        ))?;
        let rows = stmt.query_map([user_id], passkey_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn passkey_by_credential(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<PasskeyRecord>, ServerError> {
        let sql =
            format!("SELECT {PASSKEY_COLUMNS} FROM console_passkeys WHERE credential_id = ?1");
        Ok(self
            .lock()
            .query_row(&sql, [credential_id], passkey_row)
            .optional()?)
    }

    fn passkey_use(&self, u: &PasskeyUse<'_>) -> Result<bool, ServerError> {
        let n = self.lock().execute(
            "UPDATE console_passkeys SET sign_count = ?3, backed_up = ?4, last_used_ms = ?5
             WHERE id = ?1 AND sign_count = ?2",
            params![
                u.id,
                i64::from(u.from),
                i64::from(u.to),
                i64::from(u.backed_up),
                u.at_ms as i64
            ],
        )?;
        Ok(n == 1)
    }

    fn passkey_remove(&self, user_id: &str, id: &str) -> Result<Option<String>, ServerError> {
        Ok(self
            .lock()
            .query_row(
                "DELETE FROM console_passkeys WHERE id = ?1 AND user_id = ?2 RETURNING name",
                params![id, user_id],
                |r| r.get(0),
            )
            .optional()?)
    }
}
