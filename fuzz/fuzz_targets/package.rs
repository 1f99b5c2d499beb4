//! Evidence package verification (`vigil incident verify-bundle` on a package, the
//! examiner's first step): whatever directory or zip file a recipient is handed gives a
//! verdict naming the file at fault, never a panic, within the allocation bounds.
//!
//! Input: byte 0 even: the rest is a zip file; odd: the rest is files as
//! `vigil_fuzz::parts`, alternately a relative path and its content, written into a
//! directory (paths kept to `[A-Za-z0-9._-]` segments, at most 4 deep).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_core::evidence::verify_package;
use vigil_fuzz::parts;

fn safe(path: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(path).ok()?;
    let segments: Vec<&str> = text.split('/').collect();
    let ok = !segments.is_empty()
        && segments.len() <= 4
        && segments.iter().all(|s| {
            !s.is_empty()
                && *s != "."
                && *s != ".."
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        });
    ok.then(|| text.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let target = if mode & 1 == 0 {
        let zip = dir.path().join("package.zip");
        std::fs::write(&zip, rest).expect("write zip");
        zip
    } else {
        let root = dir.path().join("package");
        std::fs::create_dir(&root).expect("mkdir");
        let files = parts(rest);
        for pair in files.chunks(2) {
            let [path, content] = pair else { break };
            let Some(rel) = safe(path) else { continue };
            let full = root.join(&rel);
            if let Some(parent) = full.parent() {
                if std::fs::create_dir_all(parent).is_err() {
                    continue;
                }
            }
            let _ = std::fs::write(&full, content);
        }
        root
    };
    let report = verify_package(&target);
    assert!(!report.ok || report.problem.is_none());
});
