//! `vigil enroll`, `vigil sync`, `vigil sync status` against a real `vigil-server`
//! process on loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use vigil_core::testing::RawConnection;

/// The `vigil-server` binary beside `vigil`. Under `cargo test --workspace` cargo has just
/// built it, with the features of everything else (the server's own tests run it): used as
/// it is when newer than every file it is built from. Otherwise (`cargo test -p vigil` after
/// a change to the server) it is built first: an older build would speak an older protocol.
/// (Building it here unconditionally rebuilt the core and the server, and the dependencies
/// whose features differ, a second time for `-p vigil-server` in every workspace run.)
fn server_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let bin = Path::new(env!("CARGO_BIN_EXE_vigil")).with_file_name("vigil-server");
            if !newer_than_its_sources(&bin) {
                let ok = Command::new(env!("CARGO"))
                    .args(["build", "-q", "-p", "vigil-server", "--bin", "vigil-server"])
                    .status()
                    .expect("run cargo build")
                    .success();
                assert!(ok, "cargo build -p vigil-server failed");
            }
            assert!(bin.exists(), "{} missing", bin.display());
            bin
        })
        .clone()
}

/// Whether `bin` was built after the last change to the workspace's manifests, lock file
/// and the crates it is built from (their tests aside).
fn newer_than_its_sources(bin: &Path) -> bool {
    fn newest(path: &Path) -> std::time::SystemTime {
        let Ok(meta) = std::fs::metadata(path) else {
            return std::time::SystemTime::UNIX_EPOCH;
        };
        let mut t = meta.modified().expect("mtime");
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).expect("read dir").flatten() {
                if entry.file_name() != "tests" {
                    t = t.max(newest(&entry.path()));
                }
            }
        }
        t
    }
    let Ok(built) = std::fs::metadata(bin).and_then(|m| m.modified()) else {
        return false;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    ["Cargo.toml", "Cargo.lock", "core", "report", "server"]
        .iter()
        .all(|p| newest(&root.join(p)) < built)
}

fn admin(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(server_bin())
        .arg("--data-dir")
        .arg(dir)
        .arg("admin")
        .args(args)
        .output()
        .expect("run vigil-server admin");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

/// A server process; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, listen: &str) -> Server {
        Self::start_with(dir, listen, &[]).0
    }

    /// With extra arguments (`--tls-cert`, ...); also returns the reader of what follows
    /// the listening line.
    fn start_with(
        dir: &Path,
        listen: &str,
        extra: &[&std::ffi::OsStr],
    ) -> (Server, BufReader<std::process::ChildStdout>) {
        let mut child = Command::new(server_bin())
            .arg("--data-dir")
            .arg(dir)
            .args(["--listen", listen])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start vigil-server");
        let mut line = String::new();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("vigil-server listening on ")
            .unwrap_or_else(|| panic!("listening line: {line:?}"))
            .to_string();
        (
            Server {
                child,
                url: format!("http://{addr}"),
            },
            reader,
        )
    }

    /// A TLS server with a fresh self-signed certificate for localhost and 127.0.0.1
    /// (files in `certs`); returns it with the pin it printed.
    fn start_tls(dir: &Path, listen: &str, certs: &Path) -> (Server, String) {
        std::fs::create_dir_all(certs).unwrap();
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap();
        let cert = certs.join("cert.pem");
        let key = certs.join("key.pem");
        std::fs::write(&cert, c.cert.pem()).unwrap();
        std::fs::write(&key, c.signing_key.serialize_pem()).unwrap();
        let (mut server, mut reader) = Self::start_with(
            dir,
            listen,
            &[
                "--tls-cert".as_ref(),
                cert.as_os_str(),
                "--tls-key".as_ref(),
                key.as_os_str(),
            ],
        );
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let pin = line
            .trim()
            .strip_prefix("TLS certificate pin ")
            .unwrap_or_else(|| panic!("pin line: {line:?}"))
            .to_string();
        server.url = server.url.replacen("http://", "https://", 1);
        (server, pin)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vigil(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("VIGIL_PASSPHRASE", "pw")
        .env_remove("VIGIL_OFFICER")
        .output()
        .expect("run vigil")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).expect("stdout is JSON")
}

fn err_json(o: &Output) -> serde_json::Value {
    assert!(!o.status.success());
    serde_json::from_slice(&o.stderr).expect("stderr is JSON")
}

/// A new store (fast KDF) at `parent/name`.
fn device(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    ok(&vigil(&dir, &vigil_testkit::cli::INIT_FAST_KDF));
    dir
}

/// A server on its data in `parent/server` with a new team `name`: the data directory,
/// the team, an enrollment code and the running server.
fn team_server(parent: &Path, name: &str) -> (PathBuf, String, String, Server) {
    let sdir = parent.join("server");
    let (team, code) = team_and_code(&sdir, name);
    let server = Server::start(&sdir, "127.0.0.1:0");
    (sdir, team, code, server)
}

/// A new team on the server's data in `sdir`, and an enrollment code for it.
fn team_and_code(sdir: &Path, name: &str) -> (String, String) {
    let team = admin(sdir, &["create-team", name]);
    let code = admin(sdir, &["issue-code", &team]);
    (team, code)
}

#[test]
fn enroll_sync_and_status_against_a_real_server() {
    let tmp = tempfile::tempdir().unwrap();
    let (sdir, team, code, server) = team_server(tmp.path(), "Alpha");

    let dev = device(tmp.path(), "device");

    // Before enrolling: status says so, sync refuses with a typed error.
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["enrolled"], false);
    let e = err_json(&vigil(&dev, &["--json", "sync"]));
    assert_eq!(e["error"]["kind"], "not_enrolled");

    let en = json(&vigil(
        &dev,
        &[
            "--json",
            "enroll",
            &server.url,
            &code,
            "--officer",
            "A. Officer",
        ],
    ));
    assert_eq!(en["enrolled"], true);
    assert_eq!(en["team_id"], team.as_str());

    // The code is single use: a second store cannot enroll with it.
    let dev2 = device(tmp.path(), "device2");
    let e = err_json(&vigil(&dev2, &["--json", "enroll", &server.url, &code]));
    assert_eq!(e["error"]["kind"], "enrollment_refused");
    // Enrolling the same store twice is refused locally.
    let e = err_json(&vigil(&dev, &["--json", "enroll", &server.url, &code]));
    assert_eq!(e["error"]["kind"], "already_enrolled");

    let r = json(&vigil(&dev, &["--json", "sync"]));
    assert_eq!(r["pushed"], 0);
    assert_eq!(r["pulled"], 0);
    let text = ok(&vigil(&dev, &["sync"]));
    assert!(text.contains("pushing 0 pending change(s)"), "{text}");
    assert!(text.contains("pushed 0, quarantined 0"), "{text}");
    assert!(text.contains("pulled 0"), "{text}");

    // A teammate's two incidents: every pulled change is counted in one named bucket,
    // in the text and in JSON.
    let code2 = admin(&sdir, &["issue-code", &team]);
    let dev3 = device(tmp.path(), "device3");
    json(&vigil(&dev3, &["--json", "enroll", &server.url, &code2]));
    ok(&vigil(&dev3, &["incident", "log", "--category", "medical"]));
    ok(&vigil(&dev3, &["incident", "log", "--category", "medical"]));
    assert_eq!(json(&vigil(&dev3, &["--json", "sync"]))["pushed"], 2);
    let text = ok(&vigil(&dev, &["sync"]));
    assert!(
        text.contains("pulled 2 (applied 2, stored only 0, refused 0, already had 0)"),
        "{text}"
    );
    let r = json(&vigil(&dev, &["--json", "sync"]));
    let buckets = ["applied", "stored_only", "refused", "already_had"];
    for b in buckets {
        assert!(r[b].is_u64(), "{b} in {r}");
    }

    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["enrolled"], true);
    assert_eq!(st["team_id"], team.as_str());
    assert_eq!(st["server_url"], server.url.as_str());
    assert_eq!(st["pending"], 0);
    assert_eq!(st["revoked"], false);
    assert!(st["last_success_ms"].as_u64().unwrap() > 0);
    assert!(st["last_error"].is_null());
    let text = ok(&vigil(&dev, &["sync", "status"]));
    assert!(text.contains("enrolled       true"), "{text}");
}

#[test]
fn server_down_is_transient_and_revocation_stops_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let (sdir, _, code, server) = team_server(tmp.path(), "Bravo");
    let url = server.url.clone();
    let dev = device(tmp.path(), "device");
    let en = json(&vigil(&dev, &["--json", "enroll", &url, &code]));
    let device_id = en["device_id"].as_str().unwrap().to_string();

    // Server down: a transient failure with a next attempt, exit status 1.
    drop(server);
    let o = vigil(&dev, &["--json", "sync"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err_json(&o)["error"]["kind"], "transient");
    let msg = err_json(&o)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("run `vigil sync` again after") && !msg.contains("scheduled"),
        "{msg}"
    );
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert!(st["next_attempt_ms"].as_u64().is_some(), "{st}");
    assert!(st["last_error"].is_string(), "{st}");
    // In text: a local time, and what to do (the CLI does not retry on its own).
    let text = String::from_utf8(vigil(&dev, &["sync", "status"]).stdout).unwrap();
    let retry = text.lines().find(|l| l.starts_with("retry")).expect(&text);
    assert!(retry.contains("run `vigil sync` again after 20"), "{text}");
    assert!(!text.contains("Unix ms"), "{text}");

    // Back on the same address: sync works again and clears the error.
    let addr = url.strip_prefix("http://").unwrap();
    let server = Server::start(&sdir, addr);
    assert_eq!(server.url, url);
    json(&vigil(&dev, &["--json", "sync"]));
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert!(st["last_error"].is_null(), "{st}");
    assert!(st["next_attempt_ms"].is_null(), "{st}");

    // Revoked by the administrator: typed error, recorded, sync stops.
    assert!(admin(&sdir, &["revoke", &device_id]).contains("revoked"));
    let e = err_json(&vigil(&dev, &["--json", "sync"]));
    assert_eq!(e["error"]["kind"], "revoked");
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["revoked"], true);
    drop(server);
    // Even with the server gone, a revoked device does not call out.
    let e = err_json(&vigil(&dev, &["--json", "sync"]));
    assert_eq!(e["error"]["kind"], "revoked");
}

#[test]
fn enroll_with_a_pin_against_a_tls_server_and_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let sdir = tmp.path().join("server");
    let (team, code) = team_and_code(&sdir, "Charlie");
    let (server, pin) = Server::start_tls(&sdir, "127.0.0.1:0", &tmp.path().join("certs"));
    assert!(pin.starts_with("sha256/") && pin.len() == 51, "{pin}");
    let url = server.url.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let dev = device(tmp.path(), "device");
    // A malformed pin is a usage error (exit 2), checked before anything else.
    let o = vigil(
        &dev,
        &["--json", "enroll", &url, &code, "--pin", "sha1/abc"],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = err_json(&o);
    assert_eq!(e["error"]["kind"], "usage");
    assert!(e["error"]["message"].as_str().unwrap().contains("sha256/"));
    // Without a pin the self-signed certificate is not trusted (transient, exit 1).
    let o = vigil(&dev, &["--json", "enroll", &url, &code]);
    assert_eq!(o.status.code(), Some(1));
    let e = err_json(&o);
    assert_eq!(e["error"]["kind"], "transient");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not trusted"),
        "{e}"
    );

    let en = json(&vigil(
        &dev,
        &["--json", "enroll", &url, &code, "--pin", &pin],
    ));
    assert_eq!(en["enrolled"], true);
    assert_eq!(en["pins"], 1);
    ok(&vigil(&dev, &["incident", "log", "--category", "medical"]));
    let r = json(&vigil(&dev, &["--json", "sync"]));
    assert_eq!(r["pushed"], 1);
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["pending"], 0);
    assert!(st["last_error"].is_null(), "{st}");

    // The server comes back on the same address with another key: the stored pin
    // refuses it, and the change stays in the outbox.
    let addr = url.strip_prefix("https://").unwrap().to_string();
    drop(server);
    let (_server, other_pin) = Server::start_tls(&sdir, &addr, &tmp.path().join("certs2"));
    assert_ne!(other_pin, pin);
    ok(&vigil(&dev, &["incident", "log", "--category", "medical"]));
    let o = vigil(&dev, &["--json", "sync"]);
    assert_eq!(o.status.code(), Some(1));
    let e = err_json(&o);
    assert_eq!(e["error"]["kind"], "transient");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("server certificate does not match the pinned key"),
        "{msg}"
    );
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["pending"], 1);

    // A second device given the wrong pin cannot enroll; the right one can.
    let code2 = admin(&sdir, &["issue-code", &team]);
    let dev2 = device(tmp.path(), "device2");
    let o = vigil(&dev2, &["--json", "enroll", &url, &code2, "--pin", &pin]);
    assert_eq!(err_json(&o)["error"]["kind"], "transient");
    let st = json(&vigil(&dev2, &["--json", "sync", "status"]));
    assert_eq!(st["enrolled"], false);
    let en = json(&vigil(
        &dev2,
        &[
            "--json", "enroll", &url, &code2, "--pin", &pin, "--pin", &other_pin,
        ],
    ));
    assert_eq!(en["pins"], 2);
    let r = json(&vigil(&dev2, &["--json", "sync"]));
    assert_eq!(r["pulled"], 1, "the first device's incident");
}

#[test]
fn incident_verify_reports_a_chain_cut_behind_the_servers_receipt() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, code, server) = team_server(tmp.path(), "Alpha");
    let dev = device(tmp.path(), "device");
    ok(&vigil(
        &dev,
        &["enroll", &server.url, &code, "--officer", "A"],
    ));
    ok(&vigil(&dev, &["incident", "log", "--category", "medical"]));
    ok(&vigil(&dev, &["incident", "log", "--category", "media"]));
    ok(&vigil(&dev, &["sync"]));
    let v = json(&vigil(&dev, &["--json", "incident", "verify"]));
    assert_eq!(v["ok"], true);
    assert_eq!(v["head_seq"], 2);

    // An insider with the passphrase cuts the last entry and covers the local head.
    {
        let mut vault = vigil_core::Vault::open(&dev).unwrap();
        vault.unlock_with_passphrase(b"pw", None).unwrap();
        let conn = vault.db().unwrap().raw_connection();
        conn.execute_batch(
            "DROP TRIGGER incident_entries_no_delete;
             DELETE FROM incident_entries WHERE seq = 2;
             UPDATE incident_chain_head SET seq = 1,
               hash = (SELECT hash FROM incident_entries WHERE seq = 1);",
        )
        .unwrap();
    }
    let o = vigil(&dev, &["incident", "verify"]);
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("behind_receipt at seq 2"), "{err}");
    assert!(err.contains("anchored"), "{err}");

    // Writing on the cut chain reuses an anchored seq: the server refuses it, and `vigil
    // sync` says why rather than a bare "quarantined 1".
    ok(&vigil(&dev, &["incident", "log", "--category", "other"]));
    let text = ok(&vigil(&dev, &["sync"]));
    assert!(text.contains("quarantined 1"), "{text}");
    assert!(
        text.contains("1 x incident.entry: incident chain rewritten"),
        "{text}"
    );
    drop(server);
}

/// A push whose answer is lost on the way back (the test kit's proxy cuts it): `vigil
/// sync` fails as transient, the change stays pending, and the next sync settles it
/// without the server storing it twice.
#[test]
fn a_push_whose_answer_is_lost_is_transient_and_nothing_is_stored_twice() {
    use vigil_testkit::proxy::{any_body, Fault, FaultProxy, Trap};
    let tmp = tempfile::tempdir().unwrap();
    let (sdir, team, code, server) = team_server(tmp.path(), "Delta");
    let upstream = server.url.strip_prefix("http://").unwrap().parse().unwrap();
    let proxy = FaultProxy::start(upstream);
    let dev = device(tmp.path(), "device");
    json(&vigil(&dev, &["--json", "enroll", &proxy.url(), &code]));
    ok(&vigil(&dev, &["incident", "log", "--category", "medical"]));

    proxy.arm(Trap {
        path: "/v1/push",
        body: any_body,
        nth: 1,
        fault: Fault::CutResponse(0),
    });
    let o = vigil(&dev, &["--json", "sync"]);
    assert!(proxy.disarm(), "the push went through the proxy");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err_json(&o)["error"]["kind"], "transient");
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["pending"], 1, "{st}");

    json(&vigil(&dev, &["--json", "sync"]));
    let st = json(&vigil(&dev, &["--json", "sync", "status"]));
    assert_eq!(st["pending"], 0, "{st}");
    // A teammate gets the incident once.
    let code2 = admin(&sdir, &["issue-code", &team]);
    let dev2 = device(tmp.path(), "device2");
    json(&vigil(&dev2, &["--json", "enroll", &server.url, &code2]));
    let r = json(&vigil(&dev2, &["--json", "sync"]));
    assert_eq!(r["pulled"], 1, "{r}");
    let list = json(&vigil(&dev2, &["--json", "incident", "list"]));
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}
