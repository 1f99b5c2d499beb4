//! The `vigil-server` binary itself: admin subcommands on a data directory, then serving
//! on a port it picks, a device enrolling with the printed code, and revocation by admin
//! while it runs.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::Device;
use serde_json::json;
use vigil_core::sync::SyncError;

const BIN: &str = env!("CARGO_BIN_EXE_vigil-server");

fn admin(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = common::server_admin(dir, args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn admin_commands_and_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, team) = admin(dir.path(), &["create-team", "Alpha"]);
    assert!(ok);
    assert_eq!(team.len(), 36, "a uuid: {team}");
    let (ok, code) = admin(dir.path(), &["issue-code", &team]);
    assert!(ok);
    assert_eq!(code.len(), 19, "four groups of four characters: {code}");
    let (ok, _) = admin(dir.path(), &["issue-code", "no-such-team"]);
    assert!(!ok);

    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start vigil-server");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("vigil-server listening on ")
        .expect("listening line")
        .to_string();
    let url = format!("http://{addr}");

    let mut a = Device::new(&url);
    let db = a.vault.db_mut().unwrap();
    a.engine.enroll(db, &url, &code, "Officer A").unwrap();
    a.emit("note", "n1", json!({"text": "one"}));
    assert_eq!(a.sync().unwrap().pushed, 1);

    let id = a.id();
    let (ok, out) = admin(dir.path(), &["revoke", &id]);
    assert!(ok, "{out}");
    a.emit("note", "n2", json!({"text": "two"}));
    assert!(matches!(a.sync(), Err(SyncError::Revoked)));
    let (ok, _) = admin(dir.path(), &["revoke", "no-such-device"]);
    assert!(!ok);
    drop(running);
}

/// The data directory is the owner's alone (0700) and so are the database, its WAL
/// and key file (0600), even under a permissive umask: another local user must not be
/// able to copy the team's store for an offline attack.
#[cfg(unix)]
#[test]
fn the_data_directory_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("server-data");
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; exec "$0" --data-dir "$1" admin create-team Alpha"#)
        .arg(BIN)
        .arg(&dir)
        .output()
        .expect("run vigil-server under umask 000");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "data dir");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        seen += 1;
    }
    assert!(
        seen >= 2,
        "the database and its key file at least: {seen} files"
    );
}
