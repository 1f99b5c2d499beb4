//! The `vigil-server` binary itself: admin subcommands on a data directory, then serving
//! on a port it picks, a device enrolling with the printed code, and revocation by admin
//! while it runs.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::Device;
use serde_json::json;
use vigil_core::sync::SyncError;

const BIN: &str = env!("CARGO_BIN_EXE_vigil-server");

fn admin(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .arg("admin")
        .args(args)
        .output()
        .expect("run vigil-server admin");
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
