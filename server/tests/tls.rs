//! HTTPS end to end: a real TLS server on loopback (certificates made by rcgen at test
//! time, written to real files), real encrypted device stores, the core's
//! `HttpTransport::with_tls` with and without SPKI pins, and the `vigil-server` binary's
//! TLS flags. Storage is SQLite whatever the features: TLS does not touch it.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::Device;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PublicKeyData};
use serde_json::json;
use tempfile::TempDir;
use vigil_core::incident::{Category, IncidentLog, Report};
use vigil_core::sync::transport::{
    HttpTransport, SpkiPin, TlsFailure, TlsOptions, Transport, TransportError,
};
use vigil_core::sync::SyncError;
use vigil_server::api::DEFAULT_BODY_LIMIT;
use vigil_server::tls::TlsIdentity;
use vigil_server::{service, BackgroundServer, SqliteStorage, Storage};

const BIN: &str = env!("CARGO_BIN_EXE_vigil-server");

/// A certificate (chain, leaf first) and its key, as PEM files in their own directory.
struct CertFiles {
    _dir: TempDir,
    cert: PathBuf,
    key: PathBuf,
    /// The leaf's SPKI pin, computed from rcgen's key (not by the code under test).
    pin: SpkiPin,
    leaf_pem: String,
}

fn pin_of(key: &KeyPair) -> SpkiPin {
    SpkiPin::of_spki_der(&key.subject_public_key_info())
}

fn write_files(chain_pem: &str, key_pem: &str, pin: SpkiPin, leaf_pem: String) -> CertFiles {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, chain_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    CertFiles {
        _dir: dir,
        cert,
        key,
        pin,
        leaf_pem,
    }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, names[0]);
    p
}

/// A self-signed certificate for `localhost` and `127.0.0.1`.
fn self_signed() -> CertFiles {
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params(&["localhost", "127.0.0.1"])
        .self_signed(&key)
        .unwrap();
    write_files(&cert.pem(), &key.serialize_pem(), pin_of(&key), cert.pem())
}

/// A small CA and the leaf it issued (for `names`); the served chain is leaf then CA.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
    pin: SpkiPin,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Vigil Test Team CA");
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pin: pin_of(&key),
        pem: cert.pem(),
        params,
        key,
    }
}

fn issued_by(ca: &Ca, names: &[&str]) -> CertFiles {
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let leaf = leaf_params(names).signed_by(&key, &issuer).unwrap();
    let chain = format!("{}{}", leaf.pem(), ca.pem);
    write_files(&chain, &key.serialize_pem(), pin_of(&key), leaf.pem())
}

/// A TLS server on 127.0.0.1 over a real SQLite file.
struct TlsServer {
    _dir: TempDir,
    storage: Arc<dyn Storage>,
    server: BackgroundServer,
}

impl TlsServer {
    fn start(files: &CertFiles) -> TlsServer {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_dir(dir.path()).unwrap());
        let tls = TlsIdentity::load(&files.cert, &files.key).unwrap();
        assert_eq!(tls.pin, files.pin, "the server computes the same pin");
        let server = BackgroundServer::start_tls(
            storage.clone(),
            "127.0.0.1:0".parse().unwrap(),
            DEFAULT_BODY_LIMIT,
            tls.config,
        )
        .unwrap();
        TlsServer {
            _dir: dir,
            storage,
            server,
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.server.addr.port())
    }

    fn team(&self) -> String {
        self.storage.create_team("Alpha").unwrap()
    }

    fn code(&self, team: &str) -> String {
        service::issue_code(self.storage.as_ref(), team).unwrap()
    }

    fn changes(&self, team: &str) -> usize {
        self.storage.pull(team, 0, 10_000).unwrap().changes.len()
    }
}

fn transport(url: &str, tls: &TlsOptions) -> HttpTransport {
    HttpTransport::with_tls(url, Duration::from_secs(5), tls).unwrap()
}

fn pins(p: &[SpkiPin]) -> TlsOptions {
    TlsOptions {
        pins: p.to_vec(),
        extra_roots_pem: None,
    }
}

/// A device whose engine uses `tls` for `url`.
fn device(url: &str, tls: &TlsOptions) -> Device {
    let mut d = Device::new(url);
    use_transport(&mut d, url, tls);
    d
}

fn use_transport(d: &mut Device, url: &str, tls: &TlsOptions) {
    d.engine = vigil_core::team::engine(Box::new(transport(url, tls))).with_retry_policy(
        vigil_core::sync::RetryPolicy {
            base_ms: 50,
            max_ms: 500,
            max_retry_after_ms: 60_000,
        },
    );
}

fn enroll(d: &mut Device, url: &str, code: &str) -> Result<(), SyncError> {
    let db = d.vault.db_mut().unwrap();
    d.engine.enroll(db, url, code, "Officer A").map(|_| ())
}

fn log_incident(d: &mut Device, text: &str) {
    let mut r = Report::quick(Category::HostileSurveillance, None);
    r.narrative = text.into();
    IncidentLog::new(&mut d.vault).log(r).unwrap();
}

fn transient_reason(r: Result<impl std::fmt::Debug, SyncError>) -> String {
    match r {
        Err(SyncError::Transient { reason, .. }) => reason,
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

const PIN_MISMATCH: &str = "server certificate does not match the pinned key";

#[test]
fn a_device_enrolls_and_syncs_over_https_with_the_right_pin() {
    let files = self_signed();
    let server = TlsServer::start(&files);
    let team = server.team();
    let url = server.url();
    let mut d = device(&url, &pins(&[files.pin]));
    enroll(&mut d, &url, &server.code(&team)).unwrap();
    log_incident(&mut d, "Grey van, third pass");
    d.emit("note", "n1", json!({"text": "one"}));
    let pending = d.status().pending;
    assert!(pending >= 2, "an incident entry and a note: {pending}");
    let r = d.sync().unwrap();
    assert_eq!(r.pushed, pending);
    let st = d.status();
    assert_eq!(st.pending, 0);
    assert_eq!(st.last_error, None);
    assert!(st.last_success_ms.is_some());
    assert_eq!(server.changes(&team) as u64, pending);
    // The host name works as well as the IP address (both are in the certificate).
    let by_name = format!("https://localhost:{}", server.server.addr.port());
    let t = transport(
        &by_name,
        &pins(&[SpkiPin::of_spki_der(b"other"), files.pin]),
    );
    let resp = t.post("/v1/pull", b"{}".to_vec()).unwrap();
    assert_eq!(resp.status, 400, "an HTTP answer over TLS");
}

#[test]
fn a_wrong_pin_fails_as_transient_tls_and_nothing_reaches_the_server() {
    let files = self_signed();
    let server = TlsServer::start(&files);
    let team = server.team();
    let url = server.url();
    let other = self_signed();
    let wrong = pins(&[other.pin]);

    // Enrollment with the wrong pin: refused before any byte of the request is sent.
    let code = server.code(&team);
    let mut d = device(&url, &wrong);
    let reason = transient_reason(enroll(&mut d, &url, &code));
    assert!(reason.contains(PIN_MISMATCH), "{reason}");
    assert!(!d.status().enrolled);
    // The code was not consumed: the server never saw the request.
    use_transport(&mut d, &url, &pins(&[files.pin]));
    enroll(&mut d, &url, &code).unwrap();

    // Sync with the wrong pin: every entry stays, nothing is stored on the server.
    log_incident(&mut d, "Follow car");
    d.emit("note", "n1", json!({"text": "one"}));
    d.emit("note", "n2", json!({"text": "two"}));
    let before = d.pending();
    assert_eq!(before.len(), 3);
    use_transport(&mut d, &url, &wrong);
    let reason = transient_reason(d.sync());
    assert!(reason.contains(PIN_MISMATCH), "{reason}");
    assert_eq!(server.changes(&team), 0);
    let after = d.pending();
    assert_eq!(
        after.iter().map(|e| e.seq).collect::<Vec<_>>(),
        before.iter().map(|e| e.seq).collect::<Vec<_>>()
    );
    let st = d.status();
    assert_eq!(st.pending, 3);
    assert!(st.last_error.unwrap_or_default().contains(PIN_MISMATCH));
    assert!(st.next_attempt_ms.is_some());

    // The transport says exactly why.
    let t = transport(&url, &wrong);
    assert_eq!(
        t.post("/v1/pull", b"{}".to_vec()),
        Err(TransportError::Tls(TlsFailure::PinMismatch))
    );

    // Back on the right pin, everything goes.
    use_transport(&mut d, &url, &pins(&[files.pin]));
    assert_eq!(d.sync().unwrap().pushed, 3);
    assert_eq!(server.changes(&team), 3);
}

#[test]
fn without_a_pin_an_untrusted_self_signed_certificate_is_refused() {
    let files = self_signed();
    let server = TlsServer::start(&files);
    let team = server.team();
    let url = server.url();
    let t = transport(&url, &TlsOptions::default());
    assert_eq!(
        t.post("/v1/pull", b"{}".to_vec()),
        Err(TransportError::Tls(TlsFailure::Untrusted))
    );
    // `new` (no TLS options) refuses it the same way.
    let plain_new = HttpTransport::new(&url, Duration::from_secs(5)).unwrap();
    assert_eq!(
        plain_new.post("/v1/pull", b"{}".to_vec()),
        Err(TransportError::Tls(TlsFailure::Untrusted))
    );
    let mut d = device(&url, &TlsOptions::default());
    let reason = transient_reason(enroll(&mut d, &url, &server.code(&team)));
    assert!(reason.contains("not trusted"), "{reason}");
    assert!(!d.status().enrolled);
}

#[test]
fn a_ca_issued_leaf_is_accepted_with_the_ca_as_extra_root_or_pinned() {
    let ca = ca();
    let files = issued_by(&ca, &["localhost", "127.0.0.1"]);
    let server = TlsServer::start(&files);
    let team = server.team();
    let url = server.url();

    // The CA as an extra root, no pin.
    let roots = TlsOptions {
        pins: vec![],
        extra_roots_pem: Some(ca.pem.clone().into_bytes()),
    };
    let mut a = device(&url, &roots);
    enroll(&mut a, &url, &server.code(&team)).unwrap();
    a.emit("note", "a1", json!({"text": "from a"}));
    assert_eq!(a.sync().unwrap().pushed, 1);

    // The CA's pin (it is the intermediate of the presented chain), no extra root.
    let mut b = device(&url, &pins(&[ca.pin]));
    enroll(&mut b, &url, &server.code(&team)).unwrap();
    b.emit("note", "b1", json!({"text": "from b"}));
    let r = b.sync().unwrap();
    assert_eq!(r.pushed, 1);
    assert_eq!(r.pulled, 1, "a's note");

    // The leaf's own pin works too, though its CA is unknown to the device.
    let t = transport(&url, &pins(&[files.pin]));
    assert_eq!(t.post("/v1/pull", b"{}".to_vec()).unwrap().status, 400);
    assert_eq!(server.changes(&team), 2);

    // Without the CA, the same chain is not trusted.
    let t = transport(&url, &TlsOptions::default());
    assert_eq!(
        t.post("/v1/pull", b"{}".to_vec()),
        Err(TransportError::Tls(TlsFailure::Untrusted))
    );
    assert!(!files.leaf_pem.is_empty());
}

#[test]
fn a_pinned_ca_certificate_in_the_chain_does_not_vouch_for_a_leaf_it_did_not_sign() {
    // An attacker can copy the team CA's certificate (it is public) into their chain, and
    // name its subject as issuer, but cannot sign with the CA's key.
    let ca = ca();
    let rogue_key = KeyPair::generate().unwrap();
    let forged_issuer = Issuer::from_params(&ca.params, &rogue_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params(&["localhost", "127.0.0.1"])
        .signed_by(&leaf_key, &forged_issuer)
        .unwrap();
    let files = write_files(
        &format!("{}{}", leaf.pem(), ca.pem),
        &leaf_key.serialize_pem(),
        pin_of(&leaf_key),
        leaf.pem(),
    );
    let server = TlsServer::start(&files);
    let team = server.team();
    let url = server.url();
    let t = transport(&url, &pins(&[ca.pin]));
    assert!(
        matches!(
            t.post("/v1/pull", b"{}".to_vec()),
            Err(TransportError::Tls(_))
        ),
        "refused"
    );
    let mut d = device(&url, &pins(&[ca.pin]));
    let reason = transient_reason(enroll(&mut d, &url, &server.code(&team)));
    assert!(reason.starts_with("TLS failure"), "{reason}");
    assert!(!d.status().enrolled);
}

#[test]
fn a_certificate_for_another_name_is_refused_even_when_pinned() {
    let ca = ca();
    let files = issued_by(&ca, &["sync.example.org"]);
    let server = TlsServer::start(&files);
    let url = server.url();
    for opts in [
        pins(&[files.pin]),
        pins(&[ca.pin]),
        TlsOptions {
            pins: vec![],
            extra_roots_pem: Some(ca.pem.clone().into_bytes()),
        },
    ] {
        let t = transport(&url, &opts);
        assert_eq!(
            t.post("/v1/pull", b"{}".to_vec()),
            Err(TransportError::Tls(TlsFailure::WrongName)),
            "{opts:?}"
        );
    }
}

#[test]
fn a_pinned_self_signed_certificate_must_still_be_in_date() {
    let key = KeyPair::generate().unwrap();
    let mut params = leaf_params(&["localhost", "127.0.0.1"]);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let files = write_files(&cert.pem(), &key.serialize_pem(), pin_of(&key), cert.pem());
    let server = TlsServer::start(&files);
    let t = transport(&server.url(), &pins(&[files.pin]));
    assert_eq!(
        t.post("/v1/pull", b"{}".to_vec()),
        Err(TransportError::Tls(TlsFailure::Expired))
    );
}

#[test]
fn a_plain_http_client_against_the_tls_port_fails_cleanly() {
    let files = self_signed();
    let server = TlsServer::start(&files);
    let team = server.team();
    let plain = format!("http://127.0.0.1:{}", server.server.addr.port());
    let mut d = Device::with_timeout(&plain, Duration::from_secs(3));
    let code = server.code(&team);
    let started = std::time::Instant::now();
    let reason = transient_reason(enroll(&mut d, &plain, &code));
    assert!(!reason.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!d.status().enrolled);
    // The server is unharmed and the code unused.
    let url = server.url();
    use_transport(&mut d, &url, &pins(&[files.pin]));
    enroll(&mut d, &url, &code).unwrap();
}

// ---- the binary ----

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server_cmd(data: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir").arg(data);
    c.env_remove("VIGIL_SERVER_TLS_CERT")
        .env_remove("VIGIL_SERVER_TLS_KEY");
    c
}

/// GET `path` over TLS trusting exactly `ca_pem`, with a raw rustls client (not the code
/// under test); the whole HTTP answer.
fn https_get(port: u16, ca_pem: &str, path: &str) -> String {
    use tokio_rustls::rustls;
    use vigil_server::tls::load_certificates;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ca.pem");
    std::fs::write(&f, ca_pem).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certificates(&f).unwrap() {
        roots.add(c).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut s = rustls::StreamOwned::new(conn, tcp);
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    // The server may close without close_notify after `Connection: close`.
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn the_binary_refuses_plain_http_on_a_non_loopback_address() {
    let data = tempfile::tempdir().unwrap();
    let out = server_cmd(data.path())
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a loopback address"), "{err}");
    assert!(err.contains("--tls-cert/--tls-key"), "{err}");
    assert!(out.stdout.is_empty());
    // Only one of the two TLS flags is a usage error.
    let files = self_signed();
    let out = server_cmd(data.path())
        .args(["--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&files.cert)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}

#[test]
fn the_binary_serves_https_prints_the_pin_and_a_device_syncs() {
    let data = tempfile::tempdir().unwrap();
    let files = self_signed();
    let team = {
        let out = server_cmd(data.path())
            .args(["admin", "create-team", "Alpha"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let code = {
        let out = server_cmd(data.path())
            .args(["admin", "issue-code", &team])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    // `admin pin` needs no data directory.
    let out = Command::new(BIN)
        .args(["admin", "pin", "--tls-cert"])
        .arg(&files.cert)
        .env_remove("VIGIL_SERVER_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        files.pin.to_string()
    );

    let mut child = server_cmd(data.path())
        .args(["--listen", "0.0.0.0:0", "--tls-cert"])
        .arg(&files.cert)
        .arg("--tls-key")
        .arg(&files.key)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let addr: std::net::SocketAddr = first
        .strip_prefix("vigil-server listening on ")
        .expect("listening line")
        .parse()
        .unwrap();
    let second = lines.next().unwrap().unwrap();
    assert_eq!(second, format!("TLS certificate pin {}", files.pin));

    let answer = https_get(addr.port(), &files.leaf_pem, "/healthz");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.trim_end().ends_with("ok"), "{answer}");

    let url = format!("https://127.0.0.1:{}", addr.port());
    let mut d = device(&url, &pins(&[files.pin]));
    enroll(&mut d, &url, &code).unwrap();
    log_incident(&mut d, "Seen at the gate");
    assert_eq!(d.sync().unwrap().pushed, 1);
    assert_eq!(d.status().pending, 0);
    drop(running);
}

#[test]
fn the_binary_names_a_missing_or_bad_certificate_or_key_file() {
    let data = tempfile::tempdir().unwrap();
    let files = self_signed();
    let other = self_signed();
    let garbage = data.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM\n").unwrap();
    let missing = data.path().join("missing-key.pem");
    let run = |cert: &Path, key: &Path| {
        let out = server_cmd(data.path())
            .args(["--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(out.stdout.is_empty(), "never started serving");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let err = run(&files.cert, &missing);
    assert!(
        err.contains("missing-key.pem") && err.contains("cannot read"),
        "{err}"
    );
    let err = run(&files.cert, &garbage);
    assert!(
        err.contains("garbage.pem") && err.contains("private key"),
        "{err}"
    );
    let err = run(&garbage, &files.key);
    assert!(
        err.contains("garbage.pem") && err.contains("certificate"),
        "{err}"
    );
    // A key that belongs to another certificate.
    let err = run(&files.cert, &other.key);
    assert!(err.contains("does not fit"), "{err}");
    // The key file's content never appears.
    let key_pem = std::fs::read_to_string(&files.key).unwrap();
    let body = key_pem.lines().nth(1).unwrap();
    assert!(!run(&files.cert, &garbage).contains(body));

    let out = Command::new(BIN)
        .args(["admin", "pin", "--tls-cert"])
        .arg(&garbage)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.pem"));
}

#[test]
fn tls_identity_errors_are_typed() {
    let files = self_signed();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(
        TlsIdentity::load(&empty, &files.key),
        Err(vigil_server::tls::TlsError::NoCertificate { .. })
    ));
    assert!(matches!(
        TlsIdentity::load(&files.cert, &empty),
        Err(vigil_server::tls::TlsError::NoKey { .. })
    ));
    assert!(matches!(
        TlsIdentity::load(&dir.path().join("nope.pem"), &files.key),
        Err(vigil_server::tls::TlsError::Read { .. })
    ));
    // A key given as the certificate: no certificate in it.
    assert!(matches!(
        TlsIdentity::load(&files.key, &files.key),
        Err(vigil_server::tls::TlsError::NoCertificate { .. })
    ));
}
