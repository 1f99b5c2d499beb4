//! Evidence out of the store from the command line: `incident attachment list|get`,
//! `incident export --package` with `verify-bundle` on the package, on real stores.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASS: &str = "evidence test passphrase";

fn vigil<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(Some(PASS))
        .run(args)
}

fn ok<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> serde_json::Value {
    let mut all: Vec<&OsStr> = vec![OsStr::new("--json")];
    all.extend(args.iter().map(AsRef::as_ref));
    let o = vigil(dir, &all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

fn store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok(&dir, &vigil_testkit::cli::INIT_FAST_KDF);
    (tmp, dir)
}

fn log_one(dir: &Path, narrative: &str) -> String {
    let line = "incident log --category hostile-surveillance --severity medium --narrative";
    let mut args: Vec<&str> = line.split(' ').collect();
    args.push(narrative);
    let v = ok(dir, &args);
    v["logged"]["incident_id"].as_str().unwrap().to_string()
}

fn photo() -> Vec<u8> {
    let mut b = b"\xff\xd8\xff\xe0 not really a JPEG but bytes all the same".to_vec();
    b.extend((0..100_000u32).map(|i| (i * 7 % 253) as u8));
    b
}

/// A path as an argument (the temporary directories' paths are UTF-8).
fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// `incident attachment get ID ATT --out OUT`.
fn get_args<'a>(id: &'a str, att: &'a str, out: &'a Path) -> [&'a str; 7] {
    ["incident", "attachment", "get", id, att, "--out", utf8(out)]
}

/// A store with one incident and an attached photo: (tmp, data dir, incident, attachment).
fn store_with_photo() -> (tempfile::TempDir, PathBuf, String, String) {
    let (tmp, dir) = store();
    let id = log_one(&dir, "grey van opposite the entrance");
    let file = tmp.path().join("van.jpg");
    std::fs::write(&file, photo()).unwrap();
    let v = ok(&dir, &["incident", "attach", &id, utf8(&file)]);
    let att = v["attachment"]["id"].as_str().unwrap().to_string();
    (tmp, dir, id, att)
}

#[test]
fn attachment_list_and_get_write_the_signed_bytes() {
    let (tmp, dir, id, att) = store_with_photo();
    let list = ok(&dir, &["incident", "attachment", "list", &id]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["attachment"]["id"], att.as_str());
    assert_eq!(list[0]["attachment"]["mime"], "image/jpeg");
    assert_eq!(list[0]["current"], true);
    let out = tmp.path().join("out.jpg");
    let v = ok(&dir, &get_args(&id, &att, &out));
    assert_eq!(v["attachment"]["sha256"], list[0]["attachment"]["sha256"]);
    assert_eq!(std::fs::read(&out).unwrap(), photo());
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A second get to the same file is refused; the file is left as it was.
    let o = vigil(&dir, &get_args(&id, &att, &out));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&out).unwrap(), photo());
}

#[test]
fn a_damaged_sealed_file_exits_4_and_writes_no_file() {
    let (tmp, dir, id, att) = store_with_photo();
    let sealed = dir.join("attachments").join(&att);
    let mut bytes = std::fs::read(&sealed).unwrap();
    bytes[10] ^= 0x80;
    std::fs::write(&sealed, &bytes).unwrap();
    let out = tmp.path().join("out.jpg");
    let o = vigil(&dir, &get_args(&id, &att, &out));
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("corrupt"));
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn export_package_and_verify_it_as_a_directory_and_a_zip() {
    let (tmp, dir, id, _) = store_with_photo();
    let sha = hex_sha256(&photo());
    for name in ["package", "package.zip"] {
        let target = tmp.path().join(name);
        let v = ok(
            &dir,
            &[
                "incident",
                "export",
                "--package",
                utf8(&target),
                "--incident",
                &id,
            ],
        );
        assert_eq!(v["attachments"], 1);
        let v = ok(&dir, &["incident", "verify-bundle", utf8(&target)]);
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["attachments_checked"], 1);
    }
    let photo_file = tmp.path().join(format!("package/attachments/{sha}.jpg"));
    assert_eq!(std::fs::read(&photo_file).unwrap(), photo());
    // One changed byte in the photo: exit 5, the file named.
    let mut b = std::fs::read(&photo_file).unwrap();
    b[0] ^= 1;
    std::fs::write(&photo_file, &b).unwrap();
    let package = tmp.path().join("package");
    let o = vigil(&dir, &["incident", "verify-bundle", utf8(&package)]);
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("attachments/{sha}.jpg")), "{err}");
    // --package and --out together are refused.
    let o = vigil(
        &dir,
        &["incident", "export", "--package", "x", "--out", "y"],
    );
    assert_eq!(o.status.code(), Some(2));
}

fn hex_sha256(b: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, b)
        .as_ref()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn report_incidents_writes_a_pdf_a_with_the_narrative_0600() {
    let (tmp, dir, _, _) = store_with_photo();
    let pdf = tmp.path().join("report.pdf");
    let v = ok(
        &dir,
        &[
            "report",
            "incidents",
            "--out",
            utf8(&pdf),
            "--team",
            "Alpha",
        ],
    );
    assert!(v["bytes"].as_u64().unwrap() > 1000);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.7"));
    assert_eq!(
        std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (tests/lib/setup.sh installs poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("grey van opposite the entrance"), "{text}");
    assert!(text.contains("Alpha"));
    // An existing file is refused and left as it was; an unknown walk is an error.
    let o = vigil(&dir, &["report", "incidents", "--out", utf8(&pdf)]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&pdf).unwrap(), bytes);
    let walk_pdf = tmp.path().join("walk.pdf");
    let o = vigil(
        &dir,
        &["report", "walk", "no-such-walk", "--out", utf8(&walk_pdf)],
    );
    assert!(!o.status.success());
    assert!(!walk_pdf.exists());
}
