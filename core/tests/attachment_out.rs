//! Attachments out of the store (`IncidentLog::attachments`, `save_attachment`): the
//! bytes leave only when they match the SHA-256 in the signed entry; otherwise a typed
//! error and no output file. Real SQLCipher stores and sealed files on disk.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;
use vigil_core::incident::{Category, IncidentError, IncidentLog, ReportPatch};
use vigil_core::testing::RawConnection;
use vigil_core::Vault;

fn photo() -> Vec<u8> {
    // Over two sealed chunks, so a damaged middle chunk is caught too.
    (0..150_000u32).map(|i| (i * 31 % 251) as u8).collect()
}

/// A store with one incident and one attached photo: (vault, incident id, attachment id).
fn store_with_photo(dir: &Path) -> (Vault, String, String) {
    let mut v = vault(dir);
    let mut log = IncidentLog::new(&mut v);
    let id = log
        .log(report(
            Category::HostileSurveillance,
            "van",
            at(2024, 5, 1, 12, 0),
        ))
        .unwrap()
        .incident_id;
    let (r, _) = log
        .attach(&id, &mut photo().as_slice(), "image/jpeg", None)
        .unwrap();
    (v, id, r.id)
}

/// Files in `dir` (the output directory): nothing partial may be left there.
fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

#[test]
fn an_attachment_comes_out_byte_for_byte_0600() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (mut v, id, att) = store_with_photo(dir.path());
    let log = IncidentLog::new(&mut v);
    let list = log.attachments(&id).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].attachment.id, att);
    assert!(list[0].current && list[0].available);
    let out = out_dir.path().join("photo.jpg");
    let s = log.save_attachment(&id, &att, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), photo());
    assert_eq!(
        s.attachment.sha256,
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &photo()))
    );
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(names(out_dir.path()), vec!["photo.jpg".to_string()]);
}

#[test]
fn a_damaged_sealed_file_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (mut v, id, att) = store_with_photo(dir.path());
    let sealed = dir.path().join("attachments").join(&att);
    let mut bytes = std::fs::read(&sealed).unwrap();
    // One flipped byte in the second chunk: the first chunk would already be out.
    let i = 70_000;
    bytes[i] ^= 0x01;
    std::fs::write(&sealed, &bytes).unwrap();
    let log = IncidentLog::new(&mut v);
    let out = out_dir.path().join("photo.jpg");
    let err = log.save_attachment(&id, &att, &out).unwrap_err();
    assert!(matches!(err, IncidentError::AttachmentCorrupt), "{err:?}");
    assert!(names(out_dir.path()).is_empty(), "nothing written");
    // Restored, it comes out again: nothing stored was lost.
    bytes[i] ^= 0x01;
    std::fs::write(&sealed, &bytes).unwrap();
    log.save_attachment(&id, &att, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), photo());
}

#[test]
fn a_stored_hash_other_than_the_signed_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (mut v, id, att) = store_with_photo(dir.path());
    // Another file sealed under the attachment table's word: the table now claims a
    // different content than the signed entry does.
    v.db()
        .unwrap()
        .raw_connection()
        .execute(
            "UPDATE incident_attachments SET sha256 = ?1 WHERE id = ?2",
            rusqlite::params!["00".repeat(32), att],
        )
        .unwrap();
    let log = IncidentLog::new(&mut v);
    let out = out_dir.path().join("photo.jpg");
    let err = log.save_attachment(&id, &att, &out).unwrap_err();
    assert!(matches!(err, IncidentError::AttachmentCorrupt), "{err:?}");
    assert!(names(out_dir.path()).is_empty());
}

#[test]
fn an_edited_entry_does_not_vouch_for_an_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, id, att) = store_with_photo(dir.path());
    {
        let conn = v.db().unwrap().raw_connection();
        conn.execute_batch(
            "DROP TRIGGER incident_entries_no_update; DROP TRIGGER incident_entries_no_delete;",
        )
        .unwrap();
        // The attaching amendment's body with a space added: its hash no longer holds.
        conn.execute(
            "UPDATE incident_entries SET body = CAST(replace(CAST(body AS TEXT), '\"reason\":\"', '\"reason\":\" ') AS BLOB) WHERE kind = 'amendment'",
            [],
        )
        .unwrap();
    }
    let log = IncidentLog::new(&mut v);
    let out = dir.path().join("out.jpg");
    let err = log.save_attachment(&id, &att, &out).unwrap_err();
    assert!(matches!(err, IncidentError::AttachmentCorrupt), "{err:?}");
    assert!(!out.exists());
}

#[test]
fn unknown_ids_and_existing_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (mut v, id, att) = store_with_photo(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let other = log
        .log(report(Category::Medical, "fall", at(2024, 5, 2, 9, 0)))
        .unwrap()
        .incident_id;
    let out = out_dir.path().join("photo.jpg");
    // The attachment exists, but not in this incident's signed entries.
    assert!(matches!(
        log.save_attachment(&other, &att, &out).unwrap_err(),
        IncidentError::UnknownAttachment
    ));
    assert!(matches!(
        log.save_attachment(&id, &"ab".repeat(16), &out)
            .unwrap_err(),
        IncidentError::UnknownAttachment
    ));
    assert!(matches!(
        log.attachments(&"0".repeat(36)).unwrap_err(),
        IncidentError::UnknownIncident
    ));
    assert!(names(out_dir.path()).is_empty());
    std::fs::write(&out, b"keep me").unwrap();
    let err = log.save_attachment(&id, &att, &out).unwrap_err();
    assert!(
        matches!(
            err,
            IncidentError::ExportIo(std::io::ErrorKind::AlreadyExists)
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    assert_eq!(names(out_dir.path()), vec!["photo.jpg".to_string()]);
}

#[test]
fn a_removed_attachment_is_listed_as_history_and_still_comes_out() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let (mut v, id, att) = store_with_photo(dir.path());
    let mut log = IncidentLog::new(&mut v);
    log.amend(
        &id,
        "wrong photo",
        ReportPatch {
            attachments: Some(vec![]),
            ..ReportPatch::default()
        },
    )
    .unwrap();
    assert!(log.get(&id).unwrap().current.attachments.is_empty());
    let list = log.attachments(&id).unwrap();
    assert_eq!(list.len(), 1);
    assert!(!list[0].current);
    let out = out_dir.path().join("p");
    log.save_attachment(&id, &att, &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), photo());
}
