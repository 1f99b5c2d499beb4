//! Attachments across sync. The sealed file is the blob: it leaves the device as it lies
//! on disk (AES-256-GCM chunks under the attachment's own key), named by the SHA-256 of
//! those sealed bytes. The `incident.attachment` change that announces it carries, on the
//! wire only, the attachment's key and the blob's name, so teammates can fetch the file
//! and open it; the outbox row keeps metadata only. A pulled announcement records the
//! attachment as not yet here; the engine downloads it after the pull and the file opens
//! exactly as a local one (the plaintext size and SHA-256 are checked on every read).

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::json;

use super::model;
use super::OUTBOX_KIND_ATTACHMENT;
use crate::clock::now_ms;
use crate::error::{StoreError, StoreResult};
use crate::store::Database;
use crate::sync::apply::{ApplyError, RemoteApplier};
use crate::sync::blobs::{
    file_digest, BlobCounts, BlobHost, LocalBlob, OutgoingProblem, WantedBlob,
    BLOCKED_UPLOADS_SHOWN,
};
use crate::sync::protocol::{BlobRef, Change, PushEntry};

/// Attachment ids are 16 random bytes in lowercase hex (`attachment::seal`).
fn is_attachment_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

type OutRow = (Vec<u8>, Option<String>, Option<i64>, bool);

/// The attachments' [`BlobHost`].
pub struct Attachments;

impl BlobHost for Attachments {
    fn counts(&self, conn: &rusqlite::Connection) -> StoreResult<BlobCounts> {
        counts(conn)
    }

    fn outgoing(
        &self,
        db: &Database,
        entry: &mut PushEntry,
    ) -> Result<Option<LocalBlob>, OutgoingProblem> {
        if entry.kind != OUTBOX_KIND_ATTACHMENT {
            return Ok(None);
        }
        let id = entry.entity_id.clone();
        if !is_attachment_id(&id) {
            return Err(OutgoingProblem::Unsendable("malformed attachment id"));
        }
        let conn = db.conn();
        let row: Option<OutRow> = conn
            .query_row(
                "SELECT file_key, blob_sha256, blob_size, uploaded FROM incident_attachments
                 WHERE id = ?1 AND origin_device IS NULL",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((key, blob_sha, blob_size, uploaded)) = row else {
            return Err(OutgoingProblem::Unsendable("attachment not in this store"));
        };
        let dir = db
            .attachments_dir()
            .ok_or(OutgoingProblem::Unsendable("no attachments directory"))?;
        let path = dir.join(&id);
        let blob = match (blob_sha, blob_size) {
            (Some(sha256), Some(size)) if size > 0 => BlobRef {
                sha256,
                size: size as u64,
            },
            // Sealed before attachments synced: name the file by its digest now.
            _ => {
                let (sha256, size) = file_digest(&path).map_err(|_| {
                    OutgoingProblem::Unsendable("attachment file missing on this device")
                })?;
                conn.execute(
                    "UPDATE incident_attachments SET blob_sha256 = ?2, blob_size = ?3 WHERE id = ?1",
                    params![id, sha256, size as i64],
                )?;
                BlobRef { sha256, size }
            }
        };
        if !blob.is_valid() {
            return Err(OutgoingProblem::Unsendable(
                "attachment file damaged on this device",
            ));
        }
        // The record goes before its file (text first): make sure the file is here, so a
        // record is never sent whose file will never follow.
        if !uploaded {
            match std::fs::metadata(&path) {
                Ok(m) if m.len() == blob.size => {}
                Ok(_) => {
                    return Err(OutgoingProblem::Unsendable(
                        "attachment file damaged on this device",
                    ))
                }
                Err(_) => {
                    return Err(OutgoingProblem::Unsendable(
                        "attachment file missing on this device",
                    ))
                }
            }
        }
        if let Some(obj) = entry.payload.as_object_mut() {
            obj.insert("file_key".into(), json!(hex::encode(&key)));
            obj.insert("blob".into(), json!(blob));
        } else {
            return Err(OutgoingProblem::Unsendable("malformed attachment change"));
        }
        Ok(Some(LocalBlob {
            blob,
            path,
            uploaded,
        }))
    }

    fn uploaded(&self, tx: &Transaction<'_>, blob: &BlobRef) -> StoreResult<()> {
        tx.execute(
            "UPDATE incident_attachments SET uploaded = 1 WHERE blob_sha256 = ?1",
            [&blob.sha256],
        )?;
        Ok(())
    }

    fn unsent(&self, db: &Database) -> StoreResult<Vec<LocalBlob>> {
        let Some(dir) = db.attachments_dir() else {
            return Ok(vec![]);
        };
        let mut stmt = db.conn().prepare_cached(
            "SELECT a.id, a.blob_sha256, a.blob_size FROM incident_attachments a
             WHERE a.origin_device IS NULL AND a.uploaded = 0 AND a.transfer_error IS NULL
               AND a.blob_sha256 IS NOT NULL AND a.blob_size > 0
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'incident.attachment'
                               AND o.entity_id = a.id)
             ORDER BY a.stored_ms, a.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, sha256, size) = row?;
            out.push(LocalBlob {
                blob: BlobRef {
                    sha256,
                    size: u64::try_from(size).map_err(|_| StoreError::DatabaseCorrupt)?,
                },
                path: dir.join(&id),
                uploaded: false,
            });
        }
        Ok(out)
    }

    fn upload_refused(
        &self,
        tx: &Transaction<'_>,
        blob: &BlobRef,
        reason: &str,
    ) -> StoreResult<()> {
        tx.execute(
            "UPDATE incident_attachments SET transfer_error = ?2
             WHERE blob_sha256 = ?1 AND origin_device IS NULL AND uploaded = 0",
            params![blob.sha256, reason],
        )?;
        Ok(())
    }

    fn wanted(&self, db: &Database) -> StoreResult<Vec<WantedBlob>> {
        let Some(dir) = db.attachments_dir() else {
            return Ok(vec![]);
        };
        let mut stmt = db.conn().prepare_cached(
            "SELECT id, blob_sha256, blob_size FROM incident_attachments
             WHERE available = 0 ORDER BY stored_ms, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, sha, size) = row?;
            let (Some(sha256), Some(size)) = (sha, size) else {
                continue;
            };
            let blob = BlobRef {
                sha256,
                size: u64::try_from(size).map_err(|_| StoreError::DatabaseCorrupt)?,
            };
            let dest: PathBuf = dir.join(&id);
            out.push(WantedBlob {
                key: id,
                blob,
                dest,
            });
        }
        Ok(out)
    }

    fn installed(&self, tx: &Transaction<'_>, want: &WantedBlob) -> StoreResult<()> {
        tx.execute(
            "UPDATE incident_attachments SET available = 1, transfer_error = NULL WHERE id = ?1",
            [&want.key],
        )?;
        Ok(())
    }

    fn failed(&self, tx: &Transaction<'_>, want: &WantedBlob, reason: &str) -> StoreResult<()> {
        tx.execute(
            "UPDATE incident_attachments SET transfer_error = ?2 WHERE id = ?1",
            params![want.key, reason],
        )?;
        Ok(())
    }
}

/// Local attachments not yet whole on the server (their announcement queued, or gone
/// ahead of them: text first), with their bytes; uploads refused for good (reasons);
/// teammates' attachments not yet here.
fn counts(conn: &rusqlite::Connection) -> StoreResult<BlobCounts> {
    let (up, bytes, down) = conn.query_row(
        "WITH up AS (SELECT coalesce(a.blob_size, 0) AS size FROM incident_attachments a
                     WHERE a.origin_device IS NULL AND a.uploaded = 0
                       AND a.transfer_error IS NULL
                       AND (EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'incident.attachment'
                                    AND o.entity_id = a.id AND o.quarantined = 0)
                            OR (a.blob_sha256 IS NOT NULL
                                AND NOT EXISTS (SELECT 1 FROM outbox o
                                    WHERE o.kind = 'incident.attachment'
                                      AND o.entity_id = a.id))))
         SELECT (SELECT count(*) FROM up), (SELECT coalesce(sum(size), 0) FROM up),
                (SELECT count(*) FROM incident_attachments WHERE available = 0)",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT transfer_error FROM incident_attachments
         WHERE origin_device IS NULL AND uploaded = 0 AND transfer_error IS NOT NULL
         ORDER BY stored_ms DESC LIMIT ?1",
    )?;
    let blocked = stmt
        .query_map([BLOCKED_UPLOADS_SHOWN], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BlobCounts {
        to_upload: up as u64,
        upload_bytes: bytes as u64,
        to_download: down as u64,
        blocked_uploads: blocked,
    })
}

/// The wire payload of `incident.attachment` as a teammate's device sent it.
#[derive(Deserialize)]
struct Announcement {
    id: String,
    sha256: String,
    size: u64,
    mime: String,
    captured_at: Option<String>,
    file_key: Option<String>,
    blob: Option<BlobRef>,
}

fn refuse(reason: &str) -> ApplyError {
    ApplyError::Invalid(reason.to_string())
}

/// Records a teammate's attachment (key and metadata) as not yet downloaded.
pub struct AttachmentApplier;

impl RemoteApplier for AttachmentApplier {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        let a: Announcement = serde_json::from_value(change.payload.clone())
            .map_err(|_| refuse("malformed attachment change"))?;
        if !is_attachment_id(&a.id) || a.id != change.entity_id {
            return Err(refuse("malformed attachment id"));
        }
        let (Some(key_hex), Some(blob)) = (a.file_key, a.blob) else {
            return Err(refuse(
                "attachment announced without its key and blob (sent by an older app)",
            ));
        };
        let key = hex::decode(&key_hex).map_err(|_| refuse("malformed attachment key"))?;
        if key.len() != 32 {
            return Err(refuse("malformed attachment key"));
        }
        if !blob.is_valid()
            || a.size == 0
            || a.sha256.len() != 64
            || hex::decode(&a.sha256).is_err()
            || model::validate_mime(&a.mime).is_err()
        {
            return Err(refuse("malformed attachment metadata"));
        }
        if let Some(t) = &a.captured_at {
            if model::ts::parse(t).is_none() {
                return Err(refuse("malformed attachment capture time"));
            }
        }
        let existing: Option<(Vec<u8>, String)> = tx
            .query_row(
                "SELECT file_key, sha256 FROM incident_attachments WHERE id = ?1",
                [&a.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((k, sha)) = existing {
            // Delivered again: nothing to do; another file under the same id is refused.
            return if k == key && sha == a.sha256 {
                Ok(())
            } else {
                Err(refuse("attachment id already used for another file"))
            };
        }
        tx.execute(
            "INSERT INTO incident_attachments(id, file_key, sha256, size, mime, captured_at,
                 stored_ms, blob_sha256, blob_size, origin_device, available, uploaded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, 1)",
            params![
                a.id,
                key,
                a.sha256,
                a.size as i64,
                a.mime,
                a.captured_at,
                now_ms() as i64,
                blob.sha256,
                blob.size as i64,
                change.device_id,
            ],
        )?;
        Ok(())
    }
}
