//! The failed-attempt counter and the wipe policy (issue 15, "Data loss" and "Files and
//! keys"; issue 20): counted in place, authenticated under the master key, a right
//! passphrase always a success, stores of the previous key file format still open.

use crate::common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::new_vault;
use vigil_core::incident::{IncidentFilter, IncidentLog, Page};
use vigil_core::testing::keyfile;
use vigil_core::{StoreError, Vault};

fn wrong(dir: &Path) -> StoreError {
    let mut v = Vault::open(dir).unwrap();
    v.unlock_with_passphrase(b"wrong", None).unwrap_err()
}

/// Regression: with a damaged database the right passphrase used to count as a failed
/// attempt, so with `wipe_after 3`, right + wrong + wrong wiped the store.
#[test]
fn a_right_passphrase_is_a_success_even_when_the_database_is_damaged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    {
        let mut v = new_vault(dir, "right");
        v.set_wipe_policy(Some(3)).unwrap();
    }
    let db = dir.join("vigil.db");
    let good = fs::read(&db).unwrap();
    let mut damaged = good.clone();
    for b in &mut damaged[..64] {
        *b ^= 0x5a;
    }
    fs::write(&db, &damaged).unwrap();
    let mut v = Vault::open(dir).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"right", None),
        Err(StoreError::DatabaseCorrupt)
    ));
    assert_eq!(v.status().unwrap().failed_attempts, 0);
    assert!(matches!(
        wrong(dir),
        StoreError::WrongPassphrase {
            attempts_left: Some(2)
        }
    ));
    assert!(matches!(
        wrong(dir),
        StoreError::WrongPassphrase {
            attempts_left: Some(1)
        }
    ));
    assert!(dir.join("vigil.keys").exists(), "not wiped");
    // Repaired (restored), the store opens and the counter is reset.
    fs::write(&db, &good).unwrap();
    let mut v = Vault::open(dir).unwrap();
    v.unlock_with_passphrase(b"right", None).unwrap();
    assert_eq!(v.status().unwrap().failed_attempts, 0);
}

/// Counting an attempt rewrites bytes the key file already owns: same file, same size.
#[test]
fn an_attempt_is_counted_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    {
        let mut v = new_vault(dir, "right");
        v.set_wipe_policy(Some(5)).unwrap();
    }
    let keys = dir.join("vigil.keys");
    let before = fs::metadata(&keys).unwrap();
    for left in [4, 3] {
        assert!(matches!(
            wrong(dir),
            StoreError::WrongPassphrase { attempts_left: Some(l) } if l == left
        ));
    }
    let after = fs::metadata(&keys).unwrap();
    assert_eq!(
        (after.ino(), after.len()),
        (before.ino(), before.len()),
        "the key file was replaced, not rewritten in place"
    );
    let v = Vault::open(dir).unwrap();
    assert_eq!(v.status().unwrap().failed_attempts, 2);
}

fn tamper(dir: &Path, change: impl FnOnce(&mut keyfile::KeyFile)) {
    let keys = dir.join("vigil.keys");
    let mut kf = keyfile::read(&keys).unwrap();
    change(&mut kf);
    // Plain checksums are easy to recompute: only the policy tag is not.
    fs::write(&keys, keyfile::encode(&kf).unwrap()).unwrap();
}

/// Regression: the policy sat behind a plain checksum, so anyone could switch it off
/// and the owner was never told.
#[test]
fn an_altered_policy_is_reported_and_the_store_stays_locked_until_confirmed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    {
        let mut v = new_vault(dir, "right");
        v.set_wipe_policy(Some(3)).unwrap();
    }
    tamper(dir, |kf| kf.attempts.wipe_after = None);
    let mut v = Vault::open(dir).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"right", None),
        Err(StoreError::PolicyTampered)
    ));
    assert!(!v.is_unlocked());
    assert!(matches!(v.db(), Err(StoreError::Locked)));
    // Again at the next unlock: nothing was accepted silently.
    let mut v = Vault::open(dir).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"right", None),
        Err(StoreError::PolicyTampered)
    ));
    // Confirming needs the passphrase like any unlock.
    assert!(matches!(
        v.unlock_confirming_policy(b"wrong", None, Some(3)),
        Err(StoreError::WrongPassphrase { .. })
    ));
    v.unlock_confirming_policy(b"right", None, Some(3)).unwrap();
    assert_eq!(v.status().unwrap().wipe_after, Some(3));
    v.lock().unwrap();
    v.unlock_with_passphrase(b"right", None).unwrap();
    v.lock().unwrap();

    // Hiding failed attempts (moving the reset mark up) is caught the same way.
    for _ in 0..2 {
        wrong(dir);
    }
    tamper(dir, |kf| kf.attempts.reset_seq = kf.attempts.seq);
    let mut v = Vault::open(dir).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"right", None),
        Err(StoreError::PolicyTampered)
    ));

    // So is a key file put back to format 1, whose policy nothing authenticates.
    let mut v = Vault::open(dir).unwrap();
    v.unlock_confirming_policy(b"right", None, Some(3)).unwrap();
    v.lock().unwrap();
    tamper(dir, |kf| {
        kf.version = 1;
        kf.attempts.wipe_after = None;
    });
    let mut v = Vault::open(dir).unwrap();
    assert!(matches!(
        v.unlock_with_passphrase(b"right", None),
        Err(StoreError::PolicyTampered)
    ));
}

fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1");
    fs::create_dir_all(to).unwrap();
    for name in ["vigil.keys", "vigil.db"] {
        fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

/// A store made by the previous release (key file format 1) opens, keeps its policy and
/// counter, and is upgraded to format 2 at its first successful unlock.
#[test]
fn a_store_of_the_previous_release_opens_and_is_upgraded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    copy_fixture(&dir);
    let keys = dir.join("vigil.keys");
    assert_eq!(fs::read(&keys).unwrap()[8], 1);
    let v = Vault::open(&dir).unwrap();
    let status = v.status().unwrap();
    assert_eq!((status.failed_attempts, status.wipe_after), (1, Some(5)));
    drop(v);
    // Counted in format 1 (whole-file replacement: it has no region yet).
    assert!(matches!(
        wrong(&dir),
        StoreError::WrongPassphrase {
            attempts_left: Some(3)
        }
    ));
    assert_eq!(fs::read(&keys).unwrap()[8], 1);

    let mut v = Vault::open(&dir).unwrap();
    v.unlock_with_passphrase(b"fixture-passphrase", None)
        .unwrap();
    assert_eq!(fs::read(&keys).unwrap()[8], 2);
    let status = v.status().unwrap();
    assert_eq!((status.failed_attempts, status.wipe_after), (0, Some(5)));
    let list = IncidentLog::new(&mut v)
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap();
    assert_eq!(list.len(), 2);
    assert!(list
        .iter()
        .any(|i| i.current.narrative == "fixture-narrative-one"));
    v.lock().unwrap();
    // Format 2 from now on: counted in place, policy authenticated.
    assert!(matches!(
        wrong(&dir),
        StoreError::WrongPassphrase {
            attempts_left: Some(4)
        }
    ));
    let mut v = Vault::open(&dir).unwrap();
    v.unlock_with_passphrase(b"fixture-passphrase", None)
        .unwrap();
}
