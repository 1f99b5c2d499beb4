//! The encrypted store's life cycle against real SQLCipher files on disk.

use crate::common;

use std::fs;

use common::{files_under, new_vault, scan_for};
use serde_json::json;
use vigil_core::crypto::kdf_runs;
use vigil_core::store::outbox;
use vigil_core::testing::RawConnection;
use vigil_core::{StoreError, Vault};
use vigil_testkit::fast_kdf;

fn write_marker(v: &mut Vault, i: usize, marker: &str) {
    v.db_mut()
        .unwrap()
        .write(|w| {
            w.emit(
                "test.marker",
                &format!("entity-{i}"),
                &json!({"note": marker, "lat": 51.501_364_7, "lon": -0.141_890_2,
                        "at": "2026-11-24T09:41:07+00:00"}),
            )?;
            Ok(())
        })
        .unwrap();
}

fn all_outbox(v: &Vault) -> Result<Vec<outbox::OutboxEntry>, StoreError> {
    outbox::list(v.db()?.raw_connection(), 0, 100_000)
}

#[test]
fn nothing_written_appears_in_any_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let marker = "MARKER-principal-at-Claridges-suite-412";
    {
        let mut v = new_vault(&dir, "pass");
        for i in 0..200 {
            write_marker(&mut v, i, marker);
        }
        assert_eq!(v.status().unwrap().outbox.unwrap().pending, 200);
        v.lock().unwrap();
    }
    // Also scan while a second handle has the WAL open with unflushed pages.
    let needles: Vec<Vec<u8>> = vec![
        marker.as_bytes().to_vec(),
        b"51.5013647".to_vec(),
        b"-0.1418902".to_vec(),
        b"2026-11-24T09:41:07".to_vec(),
        b"test.marker".to_vec(),
        b"outbox".to_vec(),
        b"CREATE TABLE".to_vec(),
    ];
    assert!(files_under(&dir).len() >= 2);
    assert_eq!(scan_for(&dir, &needles), vec![]);
    {
        let mut v = Vault::open(&dir).unwrap();
        v.unlock_with_passphrase(b"pass", None).unwrap();
        write_marker(&mut v, 999, marker);
        // -wal is live here.
        assert_eq!(scan_for(&dir, &needles), vec![]);
    }

    // The database does not open as plain SQLite (this binary is SQLCipher: without
    // a key it reads the file as plain SQLite and must fail).
    let plain = rusqlite::Connection::open(dir.join("vigil.db")).unwrap();
    let err = plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(rusqlite::ffi::ErrorCode::NotADatabase)
    );
    drop(plain);

    // Without the key file nothing can be opened.
    fs::remove_file(dir.join("vigil.keys")).unwrap();
    assert!(matches!(
        Vault::open(&dir),
        Err(StoreError::NotAStore { .. })
    ));
}

#[test]
fn removing_the_only_slot_is_refused_and_removed_slots_no_longer_open() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(tmp.path(), "first");
    assert!(matches!(v.remove_slot(1), Err(StoreError::LastSlot)));
    let second = v.add_passphrase_slot(b"second", fast_kdf(), None).unwrap();
    v.remove_slot(1).unwrap();
    assert!(matches!(
        v.remove_slot(77),
        Err(StoreError::UnknownSlot(77))
    ));
    v.lock().unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"first", None),
        Err(StoreError::WrongPassphrase { .. })
    ));
    v.unlock_with_passphrase(b"second", None).unwrap();
    let status = v.status().unwrap();
    assert_eq!(status.slots.len(), 1);
    assert_eq!(status.slots[0].id, second);
}

#[test]
fn a_duress_slot_is_not_counted_as_an_opener() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(tmp.path(), "real");
    let duress = v.set_duress_passphrase(b"duress").unwrap();
    assert!(matches!(v.remove_slot(1), Err(StoreError::LastSlot)));
    assert!(v.set_duress_passphrase(b"real").is_err());
    v.remove_slot(duress).unwrap();
    assert_eq!(v.status().unwrap().slots.len(), 1);
}

#[test]
fn weak_kdf_needs_explicit_consent() {
    let tmp = tempfile::tempdir().unwrap();
    let mut weak = fast_kdf();
    weak.allow_weak = false;
    assert!(matches!(
        Vault::create(tmp.path(), b"p", weak, None),
        Err(StoreError::WeakKdf)
    ));
    assert!(files_under(tmp.path()).is_empty());
    assert!(matches!(
        Vault::create(tmp.path(), b"", fast_kdf(), None),
        Err(StoreError::InvalidInput { .. })
    ));
}

#[test]
fn wrong_passphrase_is_counted_before_the_check_and_across_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut v = new_vault(tmp.path(), "right");
        v.set_wipe_policy(Some(3)).unwrap();
    }
    for expected_left in [2, 1] {
        let mut v = Vault::open(tmp.path()).unwrap();
        match v.unlock_with_passphrase(b"wrong", None) {
            Err(StoreError::WrongPassphrase { attempts_left }) => {
                assert_eq!(attempts_left, Some(expected_left))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let mut v = Vault::open(tmp.path()).unwrap();
    assert_eq!(v.status().unwrap().failed_attempts, 2);
    v.unlock_with_passphrase(b"right", None).unwrap();
    assert_eq!(v.status().unwrap().failed_attempts, 0);
}

#[test]
fn duress_costs_the_same_kdf_work_and_leaves_nothing_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let marker = "MARKER-route-via-Horse-Guards";
    {
        let mut v = new_vault(dir, "real");
        v.set_duress_passphrase(b"duress").unwrap();
        v.add_passphrase_slot(b"second officer", fast_kdf(), None)
            .unwrap();
        for i in 0..20 {
            write_marker(&mut v, i, marker);
        }
    }
    let cost = |p: &[u8]| {
        let mut v = Vault::open(dir).unwrap();
        let before = kdf_runs();
        let r = v.unlock_with_passphrase(p, None);
        (kdf_runs() - before, r.is_ok())
    };
    let (real, ok_real) = cost(b"real");
    let (wrong, ok_wrong) = cost(b"wrong");
    assert!(ok_real && !ok_wrong);
    assert_eq!(real, 3, "one KDF run per passphrase slot");
    assert_eq!(wrong, real);
    let old_db = fs::read(dir.join("vigil.db")).unwrap();
    let (duress, ok_duress) = cost(b"duress");
    assert!(ok_duress, "duress opens (a fresh store)");
    assert_eq!(
        duress, real,
        "duress costs exactly the KDF work of a real unlock"
    );

    // The old data is gone: a fresh, empty store opens under the duress passphrase.
    let mut v = Vault::open(dir).unwrap();
    v.unlock_with_passphrase(b"duress", None).unwrap();
    assert_eq!(all_outbox(&v).unwrap().len(), 0);
    assert_eq!(v.status().unwrap().slots.len(), 1);
    assert_ne!(fs::read(dir.join("vigil.db")).unwrap(), old_db);
    assert!(matches!(
        Vault::open(dir)
            .unwrap()
            .unlock_with_passphrase(b"real", None),
        Err(StoreError::WrongPassphrase { .. })
    ));
    assert_eq!(scan_for(dir, &[marker.as_bytes().to_vec()]), vec![]);
}

#[test]
fn wipe_leaves_no_file_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let mut v = new_vault(&dir, "p");
    write_marker(&mut v, 1, "MARKER-x");
    fs::write(dir.join("attachments").join("a1"), b"sealed bytes").unwrap();
    v.wipe(None).unwrap();
    assert!(files_under(&dir).is_empty());
    assert!(matches!(v.status(), Err(StoreError::Wiped)));
    assert!(matches!(v.db(), Err(StoreError::Wiped)));
    assert!(matches!(Vault::open(&dir), Err(StoreError::NotFound)));
}

#[test]
fn a_flipped_byte_in_the_database_is_a_typed_error_and_the_file_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    {
        let mut v = new_vault(dir, "p");
        for i in 0..300 {
            write_marker(
                &mut v,
                i,
                "some longer text to fill several pages of the db",
            );
        }
    }
    let db = dir.join("vigil.db");
    let mut bytes = fs::read(&db).unwrap();
    assert!(bytes.len() > 8 * 4096);
    // Flip a byte in every page but the first: each is covered by its own HMAC.
    for page in 1..bytes.len() / 4096 {
        bytes[page * 4096 + 1000] ^= 0x01;
    }
    fs::write(&db, &bytes).unwrap();
    let mut v = Vault::open(dir).unwrap();
    let result = v
        .unlock_with_passphrase(b"p", None)
        .and_then(|_| all_outbox(&v).map(|_| ()));
    assert!(
        matches!(result, Err(StoreError::DatabaseCorrupt)),
        "got {result:?}"
    );
    drop(v);
    assert_eq!(
        fs::read(&db).unwrap(),
        bytes,
        "the damaged file was not rewritten"
    );

    // The header page too.
    let tmp2 = tempfile::tempdir().unwrap();
    {
        new_vault(tmp2.path(), "p");
    }
    let db2 = tmp2.path().join("vigil.db");
    let mut b2 = fs::read(&db2).unwrap();
    b2[100] ^= 0x80;
    fs::write(&db2, &b2).unwrap();
    let mut v2 = Vault::open(tmp2.path()).unwrap();
    assert!(matches!(
        v2.unlock_with_passphrase(b"p", None),
        Err(StoreError::DatabaseCorrupt)
    ));
    assert_eq!(fs::read(&db2).unwrap(), b2);
}

#[test]
fn truncated_database_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut v = new_vault(tmp.path(), "p");
        for i in 0..100 {
            write_marker(&mut v, i, "text");
        }
    }
    let db = tmp.path().join("vigil.db");
    let bytes = fs::read(&db).unwrap();
    fs::write(&db, &bytes[..bytes.len() / 2 + 17]).unwrap();
    let mut v = Vault::open(tmp.path()).unwrap();
    let r = v
        .unlock_with_passphrase(b"p", None)
        .and_then(|_| all_outbox(&v).map(|_| ()));
    assert!(matches!(r, Err(StoreError::DatabaseCorrupt)), "got {r:?}");
}

#[test]
fn files_that_are_not_a_vigil_store_are_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("vigil.keys"), b"{\"hello\": \"world\"}").unwrap();
    assert!(matches!(
        Vault::open(dir),
        Err(StoreError::NotAStore { .. })
    ));
    assert_eq!(
        fs::read(dir.join("vigil.keys")).unwrap(),
        b"{\"hello\": \"world\"}"
    );
    assert!(matches!(
        Vault::open(&dir.join("nothing-here")),
        Err(StoreError::NotFound)
    ));

    // A plain SQLite file where the database should be.
    let tmp2 = tempfile::tempdir().unwrap();
    {
        new_vault(tmp2.path(), "p");
    }
    let db = tmp2.path().join("vigil.db");
    fs::remove_file(&db).unwrap();
    let _ = fs::remove_file(tmp2.path().join("vigil.db-wal"));
    let _ = fs::remove_file(tmp2.path().join("vigil.db-shm"));
    let mut header = b"SQLite format 3\0".to_vec();
    header.resize(4096, 0);
    fs::write(&db, &header).unwrap();
    let mut v = Vault::open(tmp2.path()).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"p", None),
        Err(StoreError::NotAStore { .. })
    ));
    assert_eq!(fs::read(&db).unwrap(), header);
}

#[test]
fn a_newer_format_is_refused_not_downgraded() {
    // Key file from the future.
    let tmp = tempfile::tempdir().unwrap();
    {
        new_vault(tmp.path(), "p");
    }
    let keys = tmp.path().join("vigil.keys");
    let kf = vigil_core::testing::keyfile::read(&keys).unwrap();
    let mut bytes = vigil_core::testing::keyfile::encode(&kf).unwrap();
    bytes[8] = 3;
    fs::write(&keys, &bytes).unwrap();
    assert!(matches!(
        Vault::open(tmp.path()),
        Err(StoreError::NewerFormat {
            what: "key file",
            found: 3,
            ..
        })
    ));

    // Database schema from the future.
    let tmp2 = tempfile::tempdir().unwrap();
    {
        let v = new_vault(tmp2.path(), "p");
        v.db()
            .unwrap()
            .raw_connection()
            .pragma_update(None, "user_version", 999)
            .unwrap();
    }
    let mut v = Vault::open(tmp2.path()).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"p", None),
        Err(StoreError::NewerFormat {
            what: "database",
            found: 999,
            ..
        })
    ));
}

#[test]
fn rekey_replaces_the_master_key_and_survives_an_interrupted_rename() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut v = new_vault(dir, "old");
    write_marker(&mut v, 1, "kept");
    let old_keys = fs::read(dir.join("vigil.keys")).unwrap();
    v.rekey(b"new", fast_kdf(), None).unwrap();
    assert_eq!(all_outbox(&v).unwrap().len(), 1);
    v.lock().unwrap();
    assert!(v.unlock_with_passphrase(b"old", None).is_err());
    v.unlock_with_passphrase(b"new", None).unwrap();
    assert_eq!(all_outbox(&v).unwrap().len(), 1);
    drop(v);

    // Simulate a crash after PRAGMA rekey but before the key file was renamed.
    fs::rename(dir.join("vigil.keys"), dir.join("vigil.keys.next")).unwrap();
    fs::write(dir.join("vigil.keys"), &old_keys).unwrap();
    let mut v = Vault::open(dir).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"old", None),
        Err(StoreError::WrongPassphrase { .. })
    ));
    v.unlock_with_passphrase(b"new", None).unwrap();
    assert_eq!(all_outbox(&v).unwrap().len(), 1);
    assert!(!dir.join("vigil.keys.next").exists());
    drop(v);
    let mut v = Vault::open(dir).unwrap();
    v.unlock_with_passphrase(b"new", None).unwrap();
}

#[test]
fn outbox_entries_are_gap_free_and_stamped_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(tmp.path(), "p");
    for i in 0..5 {
        write_marker(&mut v, i, "m");
    }
    // A failed write leaves no outbox entry behind.
    let r: Result<(), StoreError> = v.db_mut().unwrap().write(|w| {
        w.emit("test.marker", "x", &json!({}))?;
        Err(StoreError::invalid("field", "rejected by the domain"))
    });
    assert!(r.is_err());
    write_marker(&mut v, 6, "m");
    let entries = all_outbox(&v).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    // The rolled-back write consumed no sequence number: gap-free.
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    assert!(entries.windows(2).all(|w| w[0].hlc < w[1].hlc));
    assert_eq!(entries.len(), 6);
    // The clock survives reopen: new stamps stay above old ones.
    let last = entries.last().unwrap().hlc.clone();
    v.lock().unwrap();
    v.unlock_with_passphrase(b"p", None).unwrap();
    write_marker(&mut v, 7, "m");
    let after = all_outbox(&v).unwrap();
    assert!(after.last().unwrap().hlc > last);
}

#[test]
fn default_argon2id_and_pbkdf2_slots_meet_owasp_and_open() {
    use vigil_core::crypto::KdfParams;
    let tmp = tempfile::tempdir().unwrap();
    let mut v = Vault::create(
        tmp.path(),
        b"strong",
        vigil_core::KdfChoice::default(),
        None,
    )
    .unwrap();
    let pbkdf2 = vigil_core::KdfChoice {
        params: KdfParams::Pbkdf2Sha256 {
            iterations: 600_000,
        },
        allow_weak: false,
    };
    let id = v.add_passphrase_slot(b"other", pbkdf2, None).unwrap();
    let status = v.status().unwrap();
    assert_eq!(
        status.slots[0].kdf,
        Some(KdfParams::Argon2id {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 1
        })
    );
    assert_eq!(status.slots[1].id, id);
    assert!(status.slots.iter().all(|s| s.kdf.unwrap().meets_minimum()));
    v.lock().unwrap();
    v.unlock_with_passphrase(b"other", None).unwrap();
    v.lock().unwrap();
    v.unlock_with_passphrase(b"strong", None).unwrap();
}

/// New stores authenticate pages with HMAC-SHA256 (faster than SQLCipher's default
/// SHA512 on CPUs with SHA extensions) and reopen under it; a store written before
/// (HMAC-SHA512, as the previous release's fixture in server/tests/compat.rs) still
/// opens. A page damaged under the new algorithm stays a typed error (above).
#[test]
fn new_stores_authenticate_pages_with_hmac_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hmac = |v: &Vault| -> String {
        v.db()
            .unwrap()
            .raw_connection()
            .query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0))
            .unwrap()
    };
    let mut v = new_vault(dir, "pass");
    write_marker(&mut v, 1, "kept");
    assert_eq!(hmac(&v), "HMAC_SHA256");
    v.lock().unwrap();
    v.unlock_with_passphrase(b"pass", None).unwrap();
    assert_eq!(hmac(&v), "HMAC_SHA256");
    assert_eq!(all_outbox(&v).unwrap().len(), 1);
}
