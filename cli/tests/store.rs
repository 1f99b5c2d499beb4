//! The store under concurrent and hostile use, through the real `vigil` binary: parallel
//! writers, a writer that cannot get its turn, and the key file's replacement.

use std::path::Path;
use std::process::{Command, Output};

fn vigil(dir: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(pass)
        .run(args)
}

fn init(dir: &Path, pass: &str, extra: &[&str]) {
    let args = [&vigil_testkit::cli::INIT_FAST_KDF[..], extra].concat();
    let o = vigil(dir, Some(pass), &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `incident log --category other --narrative NARRATIVE`.
fn log(narrative: &str) -> [&str; 6] {
    [
        "incident",
        "log",
        "--category",
        "other",
        "--narrative",
        narrative,
    ]
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JSON")
}

fn narratives(dir: &Path, pass: &str) -> Vec<String> {
    let mut out = vec![];
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["--json", "incident", "list", "--limit", "500"];
        if let Some(a) = &after {
            args.extend_from_slice(&["--after", a]);
        }
        let o = vigil(dir, Some(pass), &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let page = json(&o.stdout);
        let page = page.as_array().expect("a list");
        if page.is_empty() {
            return out;
        }
        for i in page {
            out.push(i["current"]["narrative"].as_str().unwrap_or("").to_string());
        }
        after = page
            .last()
            .and_then(|i| i["incident_id"].as_str())
            .map(str::to_string);
    }
}

/// Regression (issue 15, "Two writers at once"): 2 x 200 parallel `incident log` used to
/// lose 36 writes to `DatabaseBusy` (reported as `internal`) and the key-file race.
#[test]
fn two_writers_of_two_hundred_logs_each_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    init(&dir, "pw", &[]);
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut failures = vec![];
                for i in 0..200 {
                    let narrative = format!("writer-{w}-entry-{i}");
                    let args = [&["--json"][..], &log(&narrative), &["--severity", "info"]];
                    let o = vigil(&dir, Some("pw"), &args.concat());
                    if !o.status.success() {
                        failures.push(String::from_utf8_lossy(&o.stderr).to_string());
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(failures, Vec::<String>::new());
    let mut logged = narratives(&dir, "pw");
    logged.sort();
    let mut expected: Vec<String> = (0..2)
        .flat_map(|w| (0..200).map(move |i| format!("writer-{w}-entry-{i}")))
        .collect();
    expected.sort();
    assert_eq!(logged, expected);
    let v = vigil(&dir, Some("pw"), &["incident", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

/// A writer that cannot get its turn gives up with `busy` (exit 6) and writes nothing.
#[test]
fn a_writer_that_cannot_get_its_turn_is_busy_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    init(&dir, "pw", &[]);
    let keys_before = std::fs::read(dir.join("vigil.keys")).unwrap();
    {
        // Another writer holding the store lock (an flock on the store's directory).
        let holder = std::fs::File::open(&dir).unwrap();
        rustix::fs::flock(&holder, rustix::fs::FlockOperation::LockExclusive).unwrap();
        let args = [&["--json", "--wait", "0.3"][..], &log("must-not-land")].concat();
        let o = vigil(&dir, Some("pw"), &args);
        assert_eq!(
            o.status.code(),
            Some(6),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = json(&o.stderr);
        assert_eq!(err["error"]["kind"], "busy");
        assert!(err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was written"));
    }
    assert_eq!(std::fs::read(dir.join("vigil.keys")).unwrap(), keys_before);
    assert_eq!(narratives(&dir, "pw"), Vec::<String>::new());
    let o = vigil(&dir, Some("pw"), &log("lands"));
    assert!(o.status.success());
    assert_eq!(narratives(&dir, "pw"), vec!["lands".to_string()]);
}

/// Regression (issue 15, "The key file can be destroyed"): the key file is replaced
/// through a uniquely named temporary file, never the fixed `vigil.keys.tmp`, and a
/// temporary left by a crash is cleared by the next writer.
#[test]
fn key_file_replacement_leaves_no_temporary_and_clears_stale_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    init(&dir, "pw", &[]);
    // What a writer killed mid-replacement leaves (older releases used this fixed name).
    std::fs::write(dir.join("vigil.keys.tmp"), b"").unwrap();
    std::fs::write(dir.join("vigil.keys.AbC123.tmp"), b"half").unwrap();
    let o = vigil(&dir, Some("pw"), &["status"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("vigil.keys"))
        .collect();
    names.sort();
    assert_eq!(names, vec!["vigil.keys".to_string()]);
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Regression (issue 15, "Files and keys"): the data directory came out 0755 and the key
/// file and database 0644, readable by any local user.
#[test]
fn the_store_is_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let photo = tmp.path().join("photo.jpg");
    std::fs::write(&photo, b"not really a photo").unwrap();
    let sh = |script: &str| {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 000; {script}"))
            .env("VIGIL", env!("CARGO_BIN_EXE_vigil"))
            .env("DIR", &dir)
            .env("PHOTO", &photo)
            .env("VIGIL_PASSPHRASE", "pw")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o
    };
    sh("\"$VIGIL\" --data-dir \"$DIR\" init --kdf-memory-kib 64 --kdf-iterations 1 --allow-weak-kdf");
    let o = sh("\"$VIGIL\" --data-dir \"$DIR\" --json incident log --category other");
    let id = json(&o.stdout)["logged"]["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    sh(&format!(
        "\"$VIGIL\" --data-dir \"$DIR\" incident attach {id} \"$PHOTO\""
    ));
    let check = |dir: &Path| {
        assert_eq!(mode(dir), 0o700, "data directory");
        assert_eq!(mode(&dir.join("attachments")), 0o700, "attachments/");
        let mut files = 0;
        for e in std::fs::read_dir(dir)
            .unwrap()
            .chain(std::fs::read_dir(dir.join("attachments")).unwrap())
        {
            let p = e.unwrap().path();
            if p.is_file() {
                files += 1;
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
        assert!(files >= 4, "key file, database, reserve, an attachment");
    };
    check(&dir);
    // A store left readable by an older release is made private at the next unlock.
    use std::os::unix::fs::PermissionsExt;
    for p in [dir.clone(), dir.join("attachments")] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for name in ["vigil.keys", "vigil.db"] {
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    sh("\"$VIGIL\" --data-dir \"$DIR\" status");
    check(&dir);
}

#[test]
fn store_check_finds_a_flipped_byte_that_no_command_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    init(&dir, "pw", &[]);
    for i in 0..30 {
        let n = format!("entry-{i}-{}", "x".repeat(400));
        let o = vigil(
            &dir,
            Some("pw"),
            &[&log(&n)[..], &["--severity", "low"]].concat(),
        );
        assert!(o.status.success());
    }
    let o = vigil(&dir, Some("pw"), &["--json", "store", "check"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o.stdout)["ok"], true);
    // One byte in the middle of the last page: a page `status` never reads.
    let db = dir.join("vigil.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let at = bytes.len() - 4096 + 1000;
    bytes[at] ^= 0x01;
    std::fs::write(&db, &bytes).unwrap();
    let o = vigil(&dir, Some("pw"), &["status"]);
    assert!(o.status.success(), "status does not read that page");
    let o = vigil(&dir, Some("pw"), &["--json", "store", "check"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = json(&o.stdout);
    assert_eq!(report["ok"], false);
    assert!(!report["problems"].as_array().unwrap().is_empty());
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "left as it was");
}

#[test]
fn duress_rekey_policy_and_attempts_left_from_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    init(&dir, "pw", &["--wipe-after", "4"]);
    // Attempts left on a wrong passphrase.
    let o = vigil(&dir, Some("nope"), &["--json", "status"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 attempts left"));

    // Duress set, listed, removed.
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    let o = c
        .arg("--data-dir")
        .arg(&dir)
        .args(["--json", "passphrase", "duress", "set"])
        .env("VIGIL_PASSPHRASE", "pw")
        .env("VIGIL_DURESS_PASSPHRASE", "under-duress")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let slot = json(&o.stdout)["duress_slot"].as_u64().unwrap();
    let st = json(&vigil(&dir, Some("pw"), &["--json", "status"]).stdout);
    assert!(st["slots"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == slot && s["duress"] == true));
    let o = vigil(
        &dir,
        Some("pw"),
        &["--json", "passphrase", "duress", "remove"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o.stdout)["removed"][0], slot);
    let st = json(&vigil(&dir, Some("pw"), &["--json", "status"]).stdout);
    assert_eq!(st["slots"].as_array().unwrap().len(), 1);

    // Re-key: the old passphrase and an old copy of the key file no longer open it.
    let o = vigil(&dir, Some("pw"), &log("kept"));
    assert!(o.status.success());
    let old_keys = std::fs::read(dir.join("vigil.keys")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["store", "rekey"])
        .env("VIGIL_PASSPHRASE", "pw")
        .env("VIGIL_NEW_PASSPHRASE", "pw2")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(vigil(&dir, Some("pw"), &["status"]).status.code(), Some(3));
    assert_eq!(narratives(&dir, "pw2"), vec!["kept".to_string()]);
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::write(copy.join("vigil.keys"), &old_keys).unwrap();
    std::fs::copy(dir.join("vigil.db"), copy.join("vigil.db")).unwrap();
    let o = vigil(&copy, Some("pw"), &["status"]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "an old key file does not open the re-keyed database"
    );

    // Policy: kept through the re-key, changed, switched off.
    let st = json(&vigil(&dir, Some("pw2"), &["--json", "status"]).stdout);
    assert_eq!(st["wipe_after"], 4);
    let o = vigil(&dir, Some("pw2"), &["--json", "store", "policy", "--off"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let st = json(&vigil(&dir, Some("pw2"), &["--json", "status"]).stdout);
    assert_eq!(st["wipe_after"], serde_json::Value::Null);
    let o = vigil(&dir, Some("pw2"), &["store", "policy", "--wipe-after", "7"]);
    assert!(o.status.success());
    let st = json(&vigil(&dir, Some("pw2"), &["--json", "status"]).stdout);
    assert_eq!(st["wipe_after"], 7);
}
