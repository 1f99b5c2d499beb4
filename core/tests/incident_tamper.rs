//! Insider tests: someone with the store's own connection (the keys) rewrites the log.
//! The triggers stop casual edits; verify names the first broken link for the rest.

use crate::support;

use rusqlite::params;
use support::*;
use tempfile::TempDir;
use vigil_core::incident::{
    Category, ExportScope, IncidentError, IncidentLog, ProblemKind, ReportPatch, VerifyReport,
};
use vigil_core::testing::RawConnection;
use vigil_core::Vault;

/// A store with four entries: three reports and one amendment (its directory, the
/// unlocked vault, the entry ids).
fn four_entries() -> (TempDir, Vault, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let a = log
        .log(report(
            Category::HostileSurveillance,
            "Grey van opposite entrance.",
            at(2024, 8, 1, 10, 0),
        ))
        .unwrap();
    let b = log
        .log(report(
            Category::SuspiciousActivity,
            "Drone over the garden.",
            at(2024, 8, 1, 11, 0),
        ))
        .unwrap();
    let c = log
        .amend(
            &a.incident_id,
            "registration confirmed",
            ReportPatch {
                tags: Some(vec!["confirmed".into()]),
                ..Default::default()
            },
        )
        .unwrap();
    let d = log.quick_log(Category::Media, None).unwrap();
    assert!(log.verify().unwrap().ok);
    (dir, v, vec![a.entry_id, b.entry_id, c.entry_id, d.entry_id])
}

/// [`four_entries`] after an insider dropped the append-only triggers.
fn unguarded() -> (TempDir, Vault, Vec<String>) {
    let (dir, v, ids) = four_entries();
    conn(&v)
        .execute_batch(
            "DROP TRIGGER incident_entries_no_update; DROP TRIGGER incident_entries_no_delete;",
        )
        .unwrap();
    (dir, v, ids)
}

/// The insider's connection: the store's own, with its keys.
fn conn(v: &Vault) -> &rusqlite::Connection {
    v.db().unwrap().raw_connection()
}

fn verify(v: &mut Vault) -> VerifyReport {
    IncidentLog::new(v).verify().unwrap()
}

fn problem(r: &VerifyReport) -> (ProblemKind, u64, Option<String>) {
    assert!(!r.ok);
    let p = r.problem.clone().expect("a problem");
    (p.kind, p.seq, p.entry_id)
}

#[test]
fn a_clean_log_verifies() {
    let (_dir, mut v, _) = four_entries();
    let r = verify(&mut v);
    assert!(r.ok);
    assert_eq!(r.entries_checked, 4);
    assert_eq!(r.head_seq, 4);
    assert_eq!(r.problem, None);
    let empty = tempfile::tempdir().unwrap();
    let mut e = vault(empty.path());
    let r = verify(&mut e);
    assert!(r.ok);
    assert_eq!(r.entries_checked, 0);
}

#[test]
fn triggers_refuse_update_and_delete() {
    let (_dir, mut v, ids) = four_entries();
    let conn = conn(&v);
    let upd = conn.execute(
        "UPDATE incident_entries SET body = X'00' WHERE entry_id = ?1",
        [&ids[0]],
    );
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = conn.execute(
        "DELETE FROM incident_entries WHERE entry_id = ?1",
        [&ids[1]],
    );
    assert!(del.unwrap_err().to_string().contains("append-only"));
    assert!(conn.execute("DELETE FROM incident_entries", []).is_err());
    let n: i64 = conn
        .query_row("SELECT count(*) FROM incident_entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4);
    assert!(verify(&mut v).ok);
}

#[test]
fn an_edited_body_is_named_edited_at_its_seq() {
    let (_dir, mut v, ids) = unguarded();
    let conn = conn(&v);
    let body: Vec<u8> = conn
        .query_row("SELECT body FROM incident_entries WHERE seq = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    let edited = String::from_utf8(body).unwrap().replace("Drone", "Kite!");
    conn.execute(
        "UPDATE incident_entries SET body = ?1 WHERE seq = 2",
        [edited.as_bytes()],
    )
    .unwrap();
    let r = verify(&mut v);
    assert_eq!(problem(&r), (ProblemKind::Edited, 2, Some(ids[1].clone())));
    assert_eq!(r.entries_checked, 1);
    // The export refuses a log that does not verify.
    assert!(matches!(
        IncidentLog::new(&mut v).export_bundle(&ExportScope::All),
        Err(IncidentError::Bundle(_))
    ));
}

#[test]
fn a_relabelled_column_is_named_edited() {
    let (_dir, mut v, ids) = unguarded();
    // Move the amendment (seq 3) onto the other incident without touching its body.
    conn(&v)
        .execute(
            "UPDATE incident_entries SET incident_id = ?1 WHERE seq = 3",
            [&ids[1]],
        )
        .unwrap();
    assert_eq!(
        problem(&verify(&mut v)),
        (ProblemKind::Edited, 3, Some(ids[2].clone()))
    );
}

#[test]
fn a_deleted_entry_is_named_missing() {
    let (_dir, mut v, ids) = unguarded();
    conn(&v)
        .execute("DELETE FROM incident_entries WHERE seq = 2", [])
        .unwrap();
    let r = verify(&mut v);
    assert_eq!(problem(&r), (ProblemKind::Missing, 2, Some(ids[2].clone())));
    assert_eq!(r.entries_checked, 1);
}

#[test]
fn a_deleted_first_entry_and_a_cut_tail_are_missing() {
    let (_dir, mut v, ids) = unguarded();
    conn(&v)
        .execute("DELETE FROM incident_entries WHERE seq = 4", [])
        .unwrap();
    assert_eq!(problem(&verify(&mut v)), (ProblemKind::Missing, 4, None));
    conn(&v)
        .execute("DELETE FROM incident_entries WHERE seq = 1", [])
        .unwrap();
    assert_eq!(
        problem(&verify(&mut v)),
        (ProblemKind::Missing, 1, Some(ids[1].clone()))
    );
}

#[test]
fn swapped_sequence_numbers_are_named_reordered() {
    let (_dir, mut v, ids) = unguarded();
    conn(&v)
        .execute_batch(
            "UPDATE incident_entries SET seq = 1000 WHERE seq = 2;
             UPDATE incident_entries SET seq = 2 WHERE seq = 3;
             UPDATE incident_entries SET seq = 3 WHERE seq = 1000;",
        )
        .unwrap();
    let r = verify(&mut v);
    assert_eq!(
        problem(&r),
        (ProblemKind::Reordered, 2, Some(ids[2].clone()))
    );
    assert_eq!(r.entries_checked, 1);
}

/// Copies a validly signed entry of another store (another device) into this one.
fn foreign_entry(dir: &std::path::Path) -> (String, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, String) {
    let mut other = vault(dir);
    let r = IncidentLog::new(&mut other)
        .log(report(
            Category::Other,
            "Entry from another phone.",
            at(2024, 8, 2, 9, 0),
        ))
        .unwrap();
    let conn = other.db().unwrap().raw_connection();
    conn.query_row(
        "SELECT device_id, prev_hash, hash, signature, body, entry_id FROM incident_entries
         WHERE entry_id = ?1",
        [&r.entry_id],
        |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        },
    )
    .unwrap()
}

#[test]
fn an_entry_copied_from_another_store_is_named_foreign() {
    let other_dir = tempfile::tempdir().unwrap();
    let (_dir, mut v, _) = four_entries();
    let (dev, prev, hash, sig, body, entry_id) = foreign_entry(other_dir.path());
    // Inserting needs no dropped trigger: only UPDATE and DELETE are refused.
    conn(&v)
        .execute(
            "INSERT INTO incident_entries(device_id, seq, entry_id, incident_id, kind, amends,
                 prev_hash, hash, signature, body)
             VALUES (?1, 1, ?2, ?2, 'report', NULL, ?3, ?4, ?5, ?6)",
            params![dev, entry_id, prev, hash, sig, body],
        )
        .unwrap();
    let r = verify(&mut v);
    assert_eq!(problem(&r), (ProblemKind::Foreign, 1, Some(entry_id)));
    assert_eq!(r.entries_checked, 4, "the own chain before it is intact");
}

#[test]
fn a_foreign_entry_relabelled_as_ours_has_a_bad_signature() {
    let other_dir = tempfile::tempdir().unwrap();
    let (_dir, mut v, _) = four_entries();
    let (_, _, hash, sig, body, entry_id) = foreign_entry(other_dir.path());
    let conn = conn(&v);
    let own = v.db().unwrap().device_id().to_string();
    let head: Vec<u8> = conn
        .query_row("SELECT hash FROM incident_chain_head", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "INSERT INTO incident_entries(device_id, seq, entry_id, incident_id, kind, amends,
             prev_hash, hash, signature, body)
         VALUES (?1, 5, ?2, ?2, 'report', NULL, ?3, ?4, ?5, ?6)",
        params![own, entry_id, head, hash, sig, body],
    )
    .unwrap();
    conn.execute("UPDATE incident_chain_head SET seq = 5, hash = ?1", [&hash])
        .unwrap();
    assert_eq!(
        problem(&verify(&mut v)),
        (ProblemKind::BadSignature, 5, Some(entry_id))
    );
}

#[test]
fn a_rehashed_edit_without_the_key_has_a_bad_signature() {
    let (_dir, mut v, ids) = unguarded();
    let conn = conn(&v);
    let (body, prev): (Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT body, prev_hash FROM incident_entries WHERE seq = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let edited = String::from_utf8(body)
        .unwrap()
        .replace("\"media\"", "\"other\"");
    let device = v.db().unwrap().device_id().to_string();
    let mut prev32 = [0u8; 32];
    prev32.copy_from_slice(&prev);
    let new_hash =
        vigil_core::incident::canonical::entry_hash(4, &prev32, &device, edited.as_bytes());
    conn.execute(
        "UPDATE incident_entries SET body = ?1, hash = ?2 WHERE seq = 4",
        params![edited.as_bytes(), &new_hash[..]],
    )
    .unwrap();
    conn.execute("UPDATE incident_chain_head SET hash = ?1", [&new_hash[..]])
        .unwrap();
    assert_eq!(
        problem(&verify(&mut v)),
        (ProblemKind::BadSignature, 4, Some(ids[3].clone()))
    );
}
