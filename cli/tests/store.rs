//! The store under concurrent and hostile use, through the real `vigil` binary: parallel
//! writers, a writer that cannot get its turn, and the key file's replacement.

use std::path::Path;
use std::process::{Command, Output};

fn vigil(dir: &Path, pass: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.arg("--data-dir").arg(dir).args(args);
    c.env_remove("VIGIL_PASSPHRASE")
        .env_remove("VIGIL_NEW_PASSPHRASE")
        .env_remove("VIGIL_WAIT");
    if let Some(p) = pass {
        c.env("VIGIL_PASSPHRASE", p);
    }
    c.output().expect("run vigil")
}

fn init(dir: &Path, pass: &str, extra: &[&str]) {
    let mut args = vec![
        "init",
        "--kdf-memory-kib",
        "64",
        "--kdf-iterations",
        "1",
        "--allow-weak-kdf",
    ];
    args.extend_from_slice(extra);
    let o = vigil(dir, Some(pass), &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
                    let o = vigil(
                        &dir,
                        Some("pw"),
                        &[
                            "--json",
                            "incident",
                            "log",
                            "--category",
                            "other",
                            "--severity",
                            "info",
                            "--narrative",
                            &narrative,
                        ],
                    );
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
        let o = vigil(
            &dir,
            Some("pw"),
            &[
                "--json",
                "--wait",
                "0.3",
                "incident",
                "log",
                "--category",
                "other",
                "--narrative",
                "must-not-land",
            ],
        );
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
    let o = vigil(
        &dir,
        Some("pw"),
        &[
            "incident",
            "log",
            "--category",
            "other",
            "--narrative",
            "lands",
        ],
    );
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
