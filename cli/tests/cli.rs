//! The `vigil` binary, run as a user or a script would run it.

use std::path::Path;
use std::process::{Command, Output};

fn vigil(dir: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(pass)
        .run(args)
}

fn init(dir: &Path, pass: &str) {
    let o = vigil(dir, Some(pass), &vigil_testkit::cli::INIT_FAST_KDF);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

#[test]
fn init_status_json_and_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir, "pw");
    let o = vigil(&dir, Some("pw"), &["--json", "status"]);
    assert!(o.status.success());
    let v = json(&o);
    assert_eq!(v["unlocked"], true);
    assert_eq!(v["slots"].as_array().unwrap().len(), 1);
    assert_eq!(v["slots"][0]["kind"], "passphrase");
    assert_eq!(v["outbox"]["pending"], 0);
    let text = vigil(&dir, Some("pw"), &["status"]);
    let s = String::from_utf8(text.stdout).unwrap();
    assert!(s.contains("key slot 1"), "{s}");
    assert!(s.contains("0 pending"), "{s}");
}

#[test]
fn weak_kdf_is_refused_unless_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let o = vigil(
        tmp.path(),
        Some("pw"),
        &["--json", "init", "--kdf-memory-kib", "64"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "weak_kdf");
    assert!(!tmp.path().join("vigil.keys").exists());
}

#[test]
fn wrong_passphrase_exits_3_with_the_error_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path(), "right");
    let o = vigil(tmp.path(), Some("wrong"), &["status"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong passphrase"));
    let o = vigil(tmp.path(), None, &["status"]);
    assert_eq!(o.status.code(), Some(2), "no tty and no VIGIL_PASSPHRASE");
}

#[test]
fn passphrase_change_then_only_the_new_one_works() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path(), "old");
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["passphrase", "change"])
        .env("VIGIL_PASSPHRASE", "old")
        .env("VIGIL_NEW_PASSPHRASE", "new")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        vigil(tmp.path(), Some("old"), &["status"]).status.code(),
        Some(3)
    );
    assert!(vigil(tmp.path(), Some("new"), &["status"]).status.success());
}

#[test]
fn wipe_needs_confirmation_and_then_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    init(&dir, "pw");
    let o = vigil(&dir, None, &["wipe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(dir.join("vigil.keys").exists(), "not wiped without --yes");
    let o = vigil(&dir, None, &["wipe", "--yes"]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let o = vigil(&dir, Some("pw"), &["--json", "status"]);
    assert_eq!(o.status.code(), Some(1));
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "not_found");
}

#[test]
fn a_corrupt_key_file_exits_4_and_is_left_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path(), "pw");
    let keys = tmp.path().join("vigil.keys");
    let mut bytes = std::fs::read(&keys).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 10);
    std::fs::write(&keys, &bytes).unwrap();
    let o = vigil(tmp.path(), Some("pw"), &["status"]);
    assert_eq!(o.status.code(), Some(4));
    assert_eq!(std::fs::read(&keys).unwrap(), bytes);
}

#[test]
fn init_twice_is_refused_unless_exist_ok() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path(), "pw");
    let keys = std::fs::read(tmp.path().join("vigil.keys")).unwrap();
    let o = vigil(tmp.path(), Some("pw"), &["init", "--allow-weak-kdf"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    let o = vigil(tmp.path(), Some("pw"), &["init", "--exist-ok"]);
    assert!(o.status.success());
    assert_eq!(std::fs::read(tmp.path().join("vigil.keys")).unwrap(), keys);
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `vigil status | head -c0`: the pipe closes before vigil writes.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    init(&dir, "pw");
    for args in [&["status"][..], &["--json", "status"][..]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .env("VIGIL_PASSPHRASE", "pw")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(o.status.code(), Some(0), "{stderr}");
    }
}
