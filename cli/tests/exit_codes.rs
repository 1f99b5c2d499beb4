//! One rule for exit statuses: input a command refuses exits 2, whichever command and
//! whichever layer refused it (`venue add --lat 91`, `haven add --lon 181` and an empty
//! passphrase at `init` exited 1), with the JSON error kind saying what.

use std::path::Path;
use std::process::Output;

const PASS: &str = "exit codes test passphrase";

fn vigil_env(dir: &Path, pass: &str, args: &[&str]) -> Output {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(Some(pass))
        .env("VIGIL_OFFICER", "PS Hale")
        .run(&all)
}

fn init(dir: &Path, pass: &str) -> Output {
    vigil_env(dir, pass, &vigil_testkit::cli::INIT_FAST_KDF)
}

/// Exit status and JSON error kind.
fn refused(o: &Output) -> (Option<i32>, String) {
    let err: serde_json::Value = serde_json::from_slice(&o.stderr)
        .unwrap_or_else(|_| panic!("stderr is JSON: {}", String::from_utf8_lossy(&o.stderr)));
    (
        o.status.code(),
        err["error"]["kind"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn refused_input_exits_2_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    assert_eq!(
        refused(&init(&empty, "")),
        (Some(2), "invalid_input".into())
    );

    let dir = tmp.path().join("data");
    let o = init(&dir, PASS);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = |args: &[&str]| vigil_env(&dir, PASS, args);
    // Each line's words are a command's arguments.
    for line in [
        "venue add --name V --lat 91 --lon 0",
        "haven add --kind police --name H --lat 0 --lon 181",
        "incident log --category other --lat 91 --lon 0",
        "incident log --category other --occurred 9999-12-31T23:59:59Z",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            refused(&run(&args)),
            (Some(2), "invalid_input".into()),
            "{line}"
        );
    }
    // Files: unreadable, oversized (read no further than the limit).
    let bad = tmp.path().join("bad.gpx");
    std::fs::write(&bad, "<gpx version=\"1.1\"><trk>").unwrap();
    assert_eq!(
        refused(&run(&["route", "import", bad.to_str().unwrap()])),
        (Some(2), "gpx".into())
    );
    let huge = tmp.path().join("huge.gpx");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(64 * 1024 * 1024).unwrap();
    assert_eq!(
        refused(&run(&["route", "import", huge.to_str().unwrap()])),
        (Some(2), "too_large".into())
    );
    // Not refused input: a wrong passphrase is authentication (3).
    let o = vigil_env(&dir, "not the passphrase", &["venue", "list"]);
    assert_eq!(refused(&o).0, Some(3));
    // Nothing was stored by any refusal.
    let venues: serde_json::Value =
        serde_json::from_slice(&run(&["venue", "list"]).stdout).unwrap();
    assert_eq!(venues.as_array().map(Vec::len), Some(0), "{venues}");
}
