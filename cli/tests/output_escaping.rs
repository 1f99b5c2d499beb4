//! Text output shows control characters and bidirectional overrides from stored data
//! (which arrives from teammates by sync) escaped, never as they are: a venue named with a
//! right-to-left override or terminal escape sequences cannot disguise itself or drive the
//! officer's terminal.

use std::path::Path;
use std::process::Output;

const PASS: &str = "escaping test passphrase";

fn vigil(dir: &Path, args: &[&str]) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(Some(PASS))
        .env("VIGIL_OFFICER", "PS Hale")
        .run(args)
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn stored_text_is_printed_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok(vigil(&dir, &vigil_testkit::cli::INIT_FAST_KDF));
    let hostile = "Safe house \u{202E}txt.exe\u{1b}[2J\u{7}\u{2066}";
    ok(vigil(
        &dir,
        &["venue", "add", "--name", hostile, "--notes", "bell\u{7}"],
    ));
    ok(vigil(
        &dir,
        &[
            "incident",
            "log",
            "--category",
            "other",
            "--narrative",
            "Seen\u{1b}]0;owned\u{7} at \u{202E}gate",
        ],
    ));
    for args in [&["venue", "list"][..], &["incident", "list"][..]] {
        let text = ok(vigil(&dir, args));
        for raw in ['\u{202E}', '\u{1b}', '\u{7}', '\u{2066}'] {
            assert!(
                !text.contains(raw),
                "{args:?} printed {raw:?} raw: {text:?}"
            );
        }
        assert!(text.contains("\\u{202e}"), "{args:?}: {text:?}");
    }
    let venues = ok(vigil(&dir, &["venue", "list"]));
    assert!(
        venues.contains("Safe house \\u{202e}txt.exe\\u{1b}[2J\\u{7}\\u{2066}"),
        "{venues:?}"
    );
    // JSON keeps the data exact (escaped by the encoder), for programs.
    let json: serde_json::Value =
        serde_json::from_str(&ok(vigil(&dir, &["--json", "venue", "list"]))).unwrap();
    assert_eq!(json[0]["name"], hostile.trim());
}
