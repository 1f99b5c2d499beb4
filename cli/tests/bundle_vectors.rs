//! The bundle test vectors of docs/INCIDENT_LOG.md (tests/vectors/bundles/): every file
//! gets, from `vigil incident verify-bundle`, the verdict `verdicts.json` names. The
//! Python reference examiner (tests/examiner/) is held to the same verdicts by tests/run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/bundles")
}

/// `ok`, the problem's name, or `Chain:<kind>:<seq>`: the verdict form of verdicts.json.
fn verdict(report: &serde_json::Value) -> String {
    if report["ok"] == true {
        return "ok".into();
    }
    match &report["problem"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => match o.get("Chain") {
            Some(c) => format!("Chain:{}:{}", c["kind"].as_str().unwrap_or("?"), c["seq"]),
            None => format!("{o:?}"),
        },
        other => format!("{other}"),
    }
}

#[test]
fn every_vector_gets_its_verdict_from_verify_bundle() {
    let dir = vectors();
    let verdicts: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(dir.join("verdicts.json")).unwrap()).unwrap();
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "verdicts.json")
        .collect();
    assert_eq!(files.len(), verdicts.len(), "every file has a verdict");
    assert!(verdicts.len() >= 50);
    let nowhere = tempfile::tempdir().unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for (file, expected) in &verdicts {
        let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("--data-dir")
            .arg(nowhere.path().join("none"))
            .args(["--json", "incident", "verify-bundle"])
            .arg(dir.join(file))
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|_| panic!("{file}: {}", String::from_utf8_lossy(&o.stderr)));
        let got = verdict(&report);
        assert_eq!(&got, expected, "{file}");
        assert_eq!(
            o.status.code(),
            Some(if got == "ok" { 0 } else { 5 }),
            "{file}"
        );
        if file.starts_with("legacy-v1-") {
            assert_eq!(report["format_version"], 1, "{file}");
            assert_eq!(report["entry_versions"], serde_json::json!([1]), "{file}");
        }
        kinds.insert(expected.split(':').take(2).collect::<Vec<_>>().join(":"));
    }
    // Every verdict the document names has a vector.
    for k in [
        "ok",
        "Unparseable",
        "NotCanonical",
        "UnsupportedFormat",
        "MalformedField",
        "BadBundleSignature",
        "Chain:malformed",
        "Chain:edited",
        "Chain:missing",
        "Chain:reordered",
        "Chain:bad_signature",
        "HeadMismatch",
        "ScopeMismatch",
        "HiddenHistory",
        "BadReceipt",
        "BehindReceipt",
        "ReceiptMismatch",
    ] {
        assert!(kinds.contains(k), "no vector for {k}");
    }
}
