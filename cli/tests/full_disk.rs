//! Issue 20: a full phone must not lock the officer out of their own log. On a small
//! tmpfs this test mounts (we run as root, CI too), the store is filled up, then: every
//! reading command works, a quick log comes out of the reserve, a full log fails with
//! `disk_full` (exit 7) and leaves no stray file, and once space is freed everything
//! verifies and nothing was lost.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASS: &str = "full-disk-pass";

fn vigil(dir: &Path, args: &[&str]) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(Some(PASS))
        .run(args)
}

fn ok(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

/// A tmpfs mounted for this test, unmounted when dropped.
struct SmallDisk {
    mount: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let parent = tempfile::tempdir().unwrap();
        let mount = parent.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let o = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&mount)
            .output()
            .expect("run mount");
        assert!(
            o.status.success(),
            "this test mounts a small tmpfs and needs root (CI runs as root): {}",
            String::from_utf8_lossy(&o.stderr)
        );
        SmallDisk {
            mount,
            _parent: parent,
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

/// Writes zeros into `path` until the file system refuses (what photos and video do).
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 4096];
    loop {
        match f.write_all(&block).and_then(|()| f.sync_all()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    // Byte-sized leftovers too.
    while f.write_all(&[0]).and_then(|()| f.sync_all()).is_ok() {}
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn log_full(dir: &Path, narrative: &str) -> Output {
    vigil(
        dir,
        &[
            "--json",
            "incident",
            "log",
            "--category",
            "hostile-surveillance",
            "--severity",
            "high",
            "--narrative",
            narrative,
        ],
    )
}

fn quick_log(dir: &Path) -> Output {
    vigil(
        dir,
        &[
            "--json",
            "incident",
            "log",
            "--category",
            "approach-or-threat",
            "--lat",
            "51.5",
            "--lon",
            "-0.14",
        ],
    )
}

#[test]
fn a_full_disk_keeps_reading_takes_quick_logs_and_loses_nothing() {
    let disk = SmallDisk::mount("3m");
    let other_volume = tempfile::tempdir().unwrap();
    let dir = disk.mount.join("store");
    ok(&vigil(
        &dir,
        &[
            &vigil_testkit::cli::INIT_FAST_KDF[..],
            &["--wipe-after", "10"],
        ]
        .concat(),
    ));
    let mut ids = vec![];
    for i in 0..10 {
        let v = ok(&log_full(&dir, &format!("observed-vehicle-{i}")));
        ids.push(v["logged"]["incident_id"].as_str().unwrap().to_string());
    }
    let before = names(&dir);
    fill(&disk.mount.join("photos.bin"));

    // Reading never needs free space.
    let status = ok(&vigil(&dir, &["--json", "status"]));
    assert_eq!(status["storage"]["low"], true, "{status}");
    assert_eq!(
        ok(&vigil(&dir, &["--json", "incident", "list"]))
            .as_array()
            .unwrap()
            .len(),
        10
    );
    ok(&vigil(&dir, &["--json", "incident", "show", &ids[3]]));
    let found = ok(&vigil(&dir, &["--json", "incident", "search", "observed"]));
    assert_eq!(found.as_array().unwrap().len(), 10);
    ok(&vigil(&dir, &["incident", "verify"]));
    let bundle = other_volume.path().join("bundle.json");
    ok(&vigil(
        &dir,
        &["incident", "export", "--out", bundle.to_str().unwrap()],
    ));
    assert!(std::fs::metadata(&bundle).unwrap().len() > 0);
    // A wrong passphrase is still counted on a full disk (in place, in the key file).
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["--json", "status"])
        .env("VIGIL_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("9 attempts left"));

    // A full log does not fit: its own error, its own exit status, nothing half-written.
    let o = log_full(&dir, "does-not-fit");
    assert_eq!(
        o.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "disk_full");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("nothing was lost"));
    assert_no_stray_files(&dir, &before);

    // The one thing an officer must be able to do: a quick log, from the reserve.
    let mut quick = vec![];
    loop {
        let o = quick_log(&dir);
        if !o.status.success() {
            assert_eq!(
                o.status.code(),
                Some(7),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            break;
        }
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        quick.push(v["logged"]["incident_id"].as_str().unwrap().to_string());
        assert!(quick.len() < 1000, "the reserve never ran out");
    }
    eprintln!("the reserve held {} quick logs", quick.len());
    assert!(quick.len() >= 50, "only {} quick logs fit", quick.len());
    assert_no_stray_files(&dir, &before);

    // Space freed: everything verifies, nothing was lost, logging works again.
    std::fs::remove_file(disk.mount.join("photos.bin")).unwrap();
    ok(&vigil(&dir, &["incident", "verify"]));
    let listed = ok(&vigil(
        &dir,
        &["--json", "incident", "list", "--limit", "500"],
    ));
    let listed: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["incident_id"].as_str().unwrap().to_string())
        .collect();
    for id in ids.iter().chain(quick.iter()) {
        assert!(listed.contains(id), "{id} lost");
    }
    assert_eq!(listed.len(), ids.len() + quick.len());
    ok(&log_full(&dir, "after-space-was-freed"));
    ok(&vigil(&dir, &["store", "check"]));
    // With room again, SQLite folds its journal back in and removes it.
    assert_eq!(names(&dir), before);
}

/// Nothing but the store's own files: no temporary key file, no partial attachment.
/// SQLite may keep its journal (`-wal`, `-shm`: part of the database, listed in
/// SECURITY.md) while a full disk stops it folding the journal back in.
fn assert_no_stray_files(dir: &Path, before: &[String]) {
    for name in names(dir) {
        assert!(
            before.contains(&name) || name == "vigil.db-wal" || name == "vigil.db-shm",
            "stray file {name}"
        );
    }
}
