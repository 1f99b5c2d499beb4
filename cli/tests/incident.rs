//! `vigil incident ...`, run as a user or a script would run it, on a real store.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Output;
use vigil_core::testing::RawConnection;

const PASS: &str = "incident test passphrase";

fn vigil<S: AsRef<OsStr>>(dir: &Path, pass: Option<&str>, args: &[S]) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(pass)
        .run(args)
}

fn ok(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let o = vigil(dir, Some(PASS), &all);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

fn store() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let o = vigil(&dir, Some(PASS), &vigil_testkit::cli::INIT_FAST_KDF);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (tmp, dir)
}

/// `vigil --json` with the words of `line` (none with a space), expected to fail: its output.
fn refused(dir: &Path, line: &str) -> Output {
    let args: Vec<&str> = ["--json"].into_iter().chain(line.split(' ')).collect();
    let o = vigil(dir, Some(PASS), &args);
    assert!(!o.status.success(), "{line} succeeded");
    o
}

fn count(dir: &Path) -> usize {
    ok(dir, &["incident", "list"]).as_array().unwrap().len()
}

/// The exit status and the JSON error kind of a refused run.
fn refusal(o: &Output) -> (Option<i32>, String) {
    (o.status.code(), error_kind(o))
}

/// The last sequence number of the store's own chain, as `incident verify` reports it.
fn head_seq(dir: &Path) -> serde_json::Value {
    ok(dir, &["incident", "verify"])["head_seq"].clone()
}

fn error_kind(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&o.stderr).expect("stderr is JSON");
    v["error"]["kind"].as_str().unwrap().to_string()
}

fn log_one(dir: &Path, narrative: &str) -> String {
    let v = ok(
        dir,
        &[
            "incident",
            "log",
            "--category",
            "suspicious-activity",
            "--severity",
            "high",
            "--narrative",
            narrative,
            "--lat",
            "51.5",
            "--lon",
            "-0.14",
            "--accuracy",
            "8",
            "--tag",
            "repeat",
            "--tag",
            "van",
            "--occurred",
            "2024-05-01T13:05:00.250+01:00",
        ],
    );
    assert_eq!(v["quick"], false);
    v["logged"]["incident_id"].as_str().unwrap().to_string()
}

#[test]
fn log_list_show_amend_search_round_trip() {
    let (_tmp, dir) = store();
    let id = log_one(&dir, "Grey van opposite the entrance");
    let quick = ok(&dir, &["incident", "log", "--category", "medical"]);
    assert_eq!(quick["quick"], true);
    let quick_id = quick["logged"]["incident_id"].as_str().unwrap().to_string();

    let rows = ok(&dir, &["incident", "list"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let high = ok(&dir, &["incident", "list", "--severity", "high"]);
    assert_eq!(high.as_array().unwrap().len(), 1);
    assert_eq!(high[0]["incident_id"], id.as_str());
    let medical = ok(&dir, &["incident", "list", "--category", "medical"]);
    assert_eq!(medical[0]["incident_id"], quick_id.as_str());
    let since = ok(
        &dir,
        &["incident", "list", "--until", "2024-05-02T00:00:00Z"],
    );
    assert_eq!(since.as_array().unwrap().len(), 1);

    let v = ok(&dir, &["incident", "show", &id]);
    assert_eq!(v["current"]["narrative"], "Grey van opposite the entrance");
    assert_eq!(v["current"]["category"], "suspicious_activity");
    assert_eq!(v["current"]["severity"], "high");
    assert_eq!(v["current"]["location"]["latitude"], 51.5);
    assert_eq!(v["current"]["location"]["longitude"], -0.14);
    assert_eq!(v["current"]["occurred"]["offset_minutes"], 60);
    assert_eq!(v["current"]["tags"], serde_json::json!(["repeat", "van"]));
    assert_eq!(v["history"].as_array().unwrap().len(), 1);

    let a = ok(
        &dir,
        &[
            "incident",
            "amend",
            &id,
            "--reason",
            "colour misread in low light",
            "--narrative",
            "Blue van opposite the entrance",
            "--severity",
            "critical",
        ],
    );
    assert_eq!(a["amended"]["incident_id"], id.as_str());
    assert_eq!(a["amended"]["seq"], 3);
    let v = ok(&dir, &["incident", "show", &id]);
    assert_eq!(v["current"]["narrative"], "Blue van opposite the entrance");
    assert_eq!(v["current"]["severity"], "critical");
    assert_eq!(v["amendments"], 1);
    let h = v["history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["reason"], "colour misread in low light");
    assert_eq!(
        h[0]["report"]["narrative"],
        "Grey van opposite the entrance"
    );

    // Old and new text are both searchable; the quick log is not a hit.
    let s = ok(&dir, &["incident", "search", "grey van"]);
    assert_eq!(s.as_array().unwrap().len(), 1);
    assert_eq!(s[0]["incident_id"], id.as_str());
    let s = ok(&dir, &["incident", "search", "blue"]);
    assert_eq!(s[0]["incident_id"], id.as_str());
    assert!(ok(&dir, &["incident", "search", "bicycle"])
        .as_array()
        .unwrap()
        .is_empty());

    // Text mode prints the incident for people.
    let o = vigil(&dir, Some(PASS), &["incident", "show", &id]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Blue van"), "{text}");
    assert!(text.contains("colour misread"), "{text}");
}

#[test]
fn amending_an_unknown_incident_fails_and_changes_nothing() {
    let (_tmp, dir) = store();
    log_one(&dir, "first");
    let o = refused(
        &dir,
        "incident amend 0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f --reason x --narrative y",
    );
    assert_eq!(refusal(&o), (Some(1), "unknown_incident".to_string()));
    assert_eq!(head_seq(&dir), 1);
}

#[test]
fn verify_export_and_verify_bundle() {
    let (tmp, dir) = store();
    let id = log_one(&dir, "one");
    log_one(&dir, "two");
    ok(
        &dir,
        &[
            "incident",
            "amend",
            &id,
            "--reason",
            "typo",
            "--narrative",
            "uno",
        ],
    );
    let v = ok(&dir, &["incident", "verify"]);
    assert_eq!(v["ok"], true);
    assert_eq!(v["entries_checked"], 3);
    assert_eq!(v["head_seq"], 3);
    assert!(v["problem"].is_null());

    let bundle = tmp.path().join("bundle.json");
    let e = ok(
        &dir,
        &["incident", "export", "--out", bundle.to_str().unwrap()],
    );
    assert_eq!(e["format"], "bundle");
    assert!(bundle.metadata().unwrap().len() > 0);
    // An existing file is never overwritten.
    let again = vigil(
        &dir,
        Some(PASS),
        &["incident", "export", "--out", bundle.to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(1));

    // verify-bundle needs neither the store nor the passphrase.
    let nowhere = tmp.path().join("no-store-here");
    let o = vigil(
        &nowhere,
        None,
        &[
            "--json",
            "incident",
            "verify-bundle",
            bundle.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["ok"], true);
    assert_eq!(r["incidents"].as_array().unwrap().len(), 2);
    assert!(!nowhere.exists());

    // One byte changed anywhere in the narrative: exit 5.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes
        .windows(3)
        .position(|w| w == b"uno")
        .expect("narrative in bundle");
    bytes[at] = b'U';
    let edited = tmp.path().join("edited.json");
    std::fs::write(&edited, &bytes).unwrap();
    let o = vigil(
        &nowhere,
        None,
        &[
            "--json",
            "incident",
            "verify-bundle",
            edited.to_str().unwrap(),
        ],
    );
    assert_eq!(refusal(&o), (Some(5), "verification_failed".to_string()));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["ok"], false);

    // A single flipped bit in the signature: exit 5 too.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let n = bytes.len();
    bytes[n - 3] = if bytes[n - 3] == b'0' { b'1' } else { b'0' };
    std::fs::write(&edited, &bytes).unwrap();
    let o = vigil(
        &nowhere,
        None,
        &["incident", "verify-bundle", edited.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(5));

    // CSV export: header plus one row per incident.
    let csv = tmp.path().join("incidents.csv");
    let e = ok(
        &dir,
        &[
            "incident",
            "export",
            "--csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(e["format"], "csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.split("\r\n").filter(|l| !l.is_empty()).count(), 3);
    assert!(text.contains("uno"));
}

#[test]
fn attach_a_file() {
    let (tmp, dir) = store();
    let id = log_one(&dir, "photo follows");
    let photo = tmp.path().join("photo.jpg");
    let content: &[u8] = b"\xff\xd8\xff not really a jpeg";
    std::fs::write(&photo, content).unwrap();
    let a = ok(
        &dir,
        &[
            "incident",
            "attach",
            &id,
            photo.to_str().unwrap(),
            "--mime",
            "image/jpeg",
        ],
    );
    assert_eq!(a["attachment"]["size"], content.len());
    assert_eq!(a["attachment"]["mime"], "image/jpeg");
    let v = ok(&dir, &["incident", "show", &id]);
    assert_eq!(v["current"]["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(v["history"][1]["reason"], "attachment added");
    // An empty file is refused and logs nothing.
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let o = vigil(
        &dir,
        Some(PASS),
        &["--json", "incident", "attach", &id, empty.to_str().unwrap()],
    );
    assert_eq!(refusal(&o), (Some(2), "attachment_empty".to_string()));
    assert_eq!(head_seq(&dir), 2);
}

#[test]
fn latitude_91_is_refused_and_nothing_is_logged() {
    let (_tmp, dir) = store();
    let o = refused(
        &dir,
        "incident log --category medical --narrative x --lat 91 --lon 0",
    );
    assert_eq!(refusal(&o), (Some(2), "invalid_input".to_string()));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("latitude"), "{err}");
    assert!(
        !err.contains("91"),
        "the refused value is not echoed: {err}"
    );
    assert_eq!(count(&dir), 0);
    assert_eq!(head_seq(&dir), 0);
}

#[test]
fn non_utf8_narrative_is_a_usage_error_and_nothing_is_logged() {
    let (_tmp, dir) = store();
    let bad = OsStr::from_bytes(b"van \xff\xfe opposite");
    let args: Vec<&OsStr> = [
        "--json",
        "incident",
        "log",
        "--category",
        "medical",
        "--narrative",
    ]
    .iter()
    .map(OsStr::new)
    .chain([bad])
    .collect();
    let o = vigil(&dir, Some(PASS), &args);
    assert_eq!(refusal(&o), (Some(2), "usage".to_string()));
    assert_eq!(count(&dir), 0);

    // Same for an amendment: the incident stays as it was.
    let id = log_one(&dir, "kept");
    let mut args: Vec<&OsStr> = [
        "incident",
        "amend",
        id.as_str(),
        "--reason",
        "r",
        "--narrative",
    ]
    .into_iter()
    .map(OsStr::new)
    .collect();
    args.push(bad);
    let o = vigil(&dir, Some(PASS), &args);
    assert_eq!(o.status.code(), Some(2));
    let v = ok(&dir, &["incident", "show", &id]);
    assert_eq!(v["current"]["narrative"], "kept");
    assert_eq!(v["amendments"], 0);
}

#[test]
fn unknown_category_is_a_usage_error() {
    let (_tmp, dir) = store();
    let o = refused(&dir, "incident log --category fire");
    assert_eq!(refusal(&o), (Some(2), "usage".to_string()));
    assert_eq!(count(&dir), 0);
}

#[test]
fn a_log_with_a_deleted_entry_fails_verify_with_exit_5() {
    let (_tmp, dir) = store();
    log_one(&dir, "a");
    let second = log_one(&dir, "b");
    log_one(&dir, "c");
    assert_eq!(ok(&dir, &["incident", "verify"])["ok"], true);
    // An insider with the passphrase removes the append-only triggers and deletes the
    // second entry straight in the database.
    {
        let mut v = vigil_core::Vault::open(&dir).unwrap();
        v.unlock_with_passphrase(PASS.as_bytes(), None).unwrap();
        let conn = v.db().unwrap().raw_connection();
        conn.execute_batch(
            "DROP TRIGGER incident_entries_no_update; DROP TRIGGER incident_entries_no_delete;",
        )
        .unwrap();
        let n = conn
            .execute(
                "DELETE FROM incident_entries WHERE entry_id = ?1",
                [&second],
            )
            .unwrap();
        assert_eq!(n, 1);
        v.lock().unwrap();
    }
    let o = vigil(&dir, Some(PASS), &["--json", "incident", "verify"]);
    assert_eq!(refusal(&o), (Some(5), "verification_failed".to_string()));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["problem"]["kind"], "missing");
    assert_eq!(report["problem"]["seq"], 2);
    let text = vigil(&dir, Some(PASS), &["incident", "verify"]);
    assert_eq!(text.status.code(), Some(5));
    let err = String::from_utf8_lossy(&text.stderr);
    assert!(err.contains("missing at seq 2"), "{err}");
    // And a broken log is not exported.
    let out = dir.with_file_name("refused.json");
    let e = vigil(
        &dir,
        Some(PASS),
        &["incident", "export", "--out", out.to_str().unwrap()],
    );
    assert_ne!(e.status.code(), Some(0));
    assert!(!out.exists());
}

#[test]
fn attach_guesses_the_mime_type_and_refuses_the_same_file_twice_unless_asked() {
    let (tmp, dir) = store();
    let id = log_one(&dir, "photo follows");
    let photo = tmp.path().join("gate.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n not really a png").unwrap();
    let a = ok(&dir, &["incident", "attach", &id, photo.to_str().unwrap()]);
    assert_eq!(a["attachment"]["mime"], "image/png");
    // The same bytes again (under another name): refused, saying which attachment has
    // them, and nothing is logged.
    let copy = tmp.path().join("copy.png");
    std::fs::copy(&photo, &copy).unwrap();
    let o = vigil(
        &dir,
        Some(PASS),
        &["incident", "attach", &id, copy.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    let first = a["attachment"]["id"].as_str().unwrap();
    assert!(
        err.contains("already attached") && err.contains(first),
        "{err}"
    );
    assert!(err.contains("--again"), "{err}");
    assert_eq!(head_seq(&dir), 2);
    // Asked for: attached once more.
    ok(
        &dir,
        &["incident", "attach", &id, copy.to_str().unwrap(), "--again"],
    );
    let v = ok(&dir, &["incident", "show", &id]);
    assert_eq!(v["current"]["attachments"].as_array().unwrap().len(), 2);
}

#[test]
fn errors_are_in_words() {
    let (tmp, dir) = store();
    let id = log_one(&dir, "x");
    // A missing file is named, not "entity not found".
    let o = vigil(&dir, Some(PASS), &["incident", "attach", &id, "nope.jpg"]);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("no such file: nope.jpg"), "{err}");
    assert_eq!(o.status.code(), Some(1));
    // No store: the directory is named, and how to make one.
    let empty = tmp.path().join("elsewhere");
    let o = vigil(&empty, Some(PASS), &["incident", "list"]);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains(&format!("no Vigil store in {}", empty.display()))
            && err.contains("vigil init"),
        "{err}"
    );
    // A bundle whose signature was changed: said in words.
    let bundle = tmp.path().join("b.json");
    ok(
        &dir,
        &["incident", "export", "--out", bundle.to_str().unwrap()],
    );
    // One hex digit of the bundle's own signature (its last field) changed in place.
    let mut bytes = std::fs::read(&bundle).unwrap();
    let key = b"\"signature\":\"";
    let at = bytes.windows(key.len()).rposition(|w| w == key).unwrap() + key.len();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&bundle, &bytes).unwrap();
    let o = vigil(
        &dir,
        None,
        &["incident", "verify-bundle", bundle.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("the bundle's signature does not match its key"),
        "{err}"
    );
}

#[test]
fn show_in_text_has_the_facts_of_the_json() {
    let (_tmp, dir) = store();
    let v = ok(
        &dir,
        &[
            "incident",
            "log",
            "--category",
            "approach-or-threat",
            "--narrative",
            "Man shouting at the principal",
            "--witness",
            "Doorman Ray",
            "--action",
            "Principal moved inside",
            "--officer",
            "PS Hale",
            "--police-reference",
            "CAD 1234",
            "--tag",
            "lobby",
        ],
    );
    let id = v["logged"]["incident_id"].as_str().unwrap().to_string();
    let o = vigil(&dir, Some(PASS), &["incident", "show", &id]);
    let text = String::from_utf8(o.stdout).unwrap();
    let json = ok(&dir, &["incident", "show", &id]);
    for fact in [
        "Doorman Ray",
        "Principal moved inside",
        "PS Hale",
        "CAD 1234",
        "lobby",
        json["device_id"].as_str().unwrap(),
        json["history"][0]["hash"].as_str().unwrap(),
        json["history"][0]["signature"].as_str().unwrap(),
    ] {
        assert!(text.contains(fact), "missing {fact}: {text}");
    }
}
