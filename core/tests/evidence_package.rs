//! Evidence packages (`vigil_core::evidence`): written as a directory or a zip from a
//! real store, verified on their own; one changed byte in any file fails and names it.

use crate::support;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;
use vigil_core::evidence::{export_package, verify_package, PackageProblem};
use vigil_core::incident::{Category, ExportScope, IncidentLog, ReportPatch};
use vigil_core::Vault;

fn bytes(seed: u32, len: u32) -> Vec<u8> {
    (0..len).map(|i| ((i * seed + 7) % 251) as u8).collect()
}

/// Two incidents: the first with two photos (one later removed), the second with a PDF.
fn store(dir: &Path) -> (Vault, String, String) {
    let mut v = vault(dir);
    let mut log = IncidentLog::new(&mut v);
    let a = log
        .log(report(
            Category::HostileSurveillance,
            "grey van",
            at(2024, 5, 1, 12, 0),
        ))
        .unwrap()
        .incident_id;
    let b = log
        .log(report(
            Category::Medical,
            "principal fell",
            at(2024, 5, 2, 9, 0),
        ))
        .unwrap()
        .incident_id;
    log.attach(&a, &mut bytes(3, 90_000).as_slice(), "image/jpeg", None)
        .unwrap();
    let (second, _) = log
        .attach(&a, &mut bytes(5, 1_000).as_slice(), "image/png", None)
        .unwrap();
    log.amend(
        &a,
        "wrong photo",
        ReportPatch {
            attachments: Some(
                log.get(&a)
                    .unwrap()
                    .current
                    .attachments
                    .into_iter()
                    .filter(|r| r.id != second.id)
                    .collect(),
            ),
            ..ReportPatch::default()
        },
    )
    .unwrap();
    log.attach(
        &b,
        &mut bytes(11, 5_000).as_slice(),
        "application/pdf",
        None,
    )
    .unwrap();
    (v, a, b)
}

fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_directory_package_holds_every_attachment_in_the_clear_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (mut v, a, b) = store(dir.path());
    let log = IncidentLog::new(&mut v);
    let target = out.path().join("package");
    let summary = export_package(&log, &ExportScope::All, &target).unwrap();
    assert_eq!(summary.attachments, 3);
    assert_eq!(summary.chains, 1);
    let names = files(&target);
    for f in ["README.txt", "manifest.json", "bundles/device-1.json"] {
        assert!(names.contains(&f.to_string()), "{names:?}");
    }
    for (seed, len, ext) in [(3, 90_000, "jpg"), (5, 1_000, "png"), (11, 5_000, "pdf")] {
        let data = bytes(seed, len);
        let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &data));
        let path = target.join(format!("attachments/{sha}.{ext}"));
        assert_eq!(std::fs::read(&path).unwrap(), data, "{ext}");
    }
    for f in &names {
        let mode = std::fs::metadata(target.join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let r = verify_package(&target);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.attachments_checked, 3);
    assert_eq!(r.maker, Some(vigil_core::evidence::PackageMaker::Device));
    assert_eq!(r.format_version, 2);
    let key = hex::encode(v.db().unwrap().device_key().public_key());
    assert_eq!(r.maker_public_key.as_deref(), Some(key.as_str()));
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(r.incidents, want);
    // The bundle inside verifies on its own, as a recipient would check it.
    let bundle = std::fs::read(target.join("bundles/device-1.json")).unwrap();
    assert!(vigil_core::incident::verify_bundle(&bundle).ok);
    // Nothing was left beside the package.
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        1,
        "no temporary directory left"
    );
}

#[test]
fn one_changed_byte_in_any_file_fails_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (mut v, _, _) = store(dir.path());
    let log = IncidentLog::new(&mut v);
    let target = out.path().join("package");
    export_package(&log, &ExportScope::All, &target).unwrap();
    let names = files(&target);
    assert!(names.len() >= 6, "{names:?}");
    for name in &names {
        let path = target.join(name);
        let original = std::fs::read(&path).unwrap();
        for at in [0, original.len() / 2, original.len() - 1] {
            let mut changed = original.clone();
            changed[at] ^= 0x20;
            std::fs::write(&path, &changed).unwrap();
            let r = verify_package(&target);
            assert!(!r.ok, "{name} byte {at}");
            assert_eq!(r.file.as_deref(), Some(name.as_str()), "{name}: {r:?}");
        }
        std::fs::write(&path, &original).unwrap();
    }
    assert!(verify_package(&target).ok);
    // A file added, a file removed: both named.
    std::fs::write(target.join("attachments/extra.jpg"), b"x").unwrap();
    let r = verify_package(&target);
    assert_eq!(r.problem, Some(PackageProblem::UnlistedFile));
    assert_eq!(r.file.as_deref(), Some("attachments/extra.jpg"));
    std::fs::remove_file(target.join("attachments/extra.jpg")).unwrap();
    std::fs::remove_file(target.join("README.txt")).unwrap();
    let r = verify_package(&target);
    assert_eq!(r.problem, Some(PackageProblem::MissingFile));
    assert_eq!(r.file.as_deref(), Some("README.txt"));
}

/// The entries of a zip: (name, bytes).
fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().unwrap().to_string(), b)
        })
        .collect()
}

fn rezip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, b) in entries {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn a_zip_package_verifies_and_one_changed_byte_in_any_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (mut v, a, _) = store(dir.path());
    let log = IncidentLog::new(&mut v);
    let target = out.path().join("evidence.ZIP");
    // Scoped to the first incident: the second's PDF stays out.
    let summary = export_package(&log, &ExportScope::Incidents(vec![a.clone()]), &target).unwrap();
    assert!(summary.zip);
    assert_eq!(summary.attachments, 2);
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let r = verify_package(&target);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.incidents, vec![a]);
    let entries = unzip(&target);
    assert!(entries.iter().all(|(n, _)| !n.ends_with(".pdf")));
    // Re-packed by another tool, unchanged: still verifies (the files are the evidence).
    let copy = out.path().join("copy.zip");
    rezip(&copy, &entries);
    assert!(verify_package(&copy).ok);
    for i in 0..entries.len() {
        let mut changed = entries.clone();
        let mid = changed[i].1.len() / 2;
        changed[i].1[mid] ^= 0x01;
        std::fs::remove_file(&copy).unwrap();
        rezip(&copy, &changed);
        let r = verify_package(&copy);
        assert!(!r.ok, "{}", entries[i].0);
        assert_eq!(r.file.as_deref(), Some(entries[i].0.as_str()), "{r:?}");
    }
    // An existing target is refused and left untouched.
    let before = std::fs::read(&target).unwrap();
    assert!(export_package(&log, &ExportScope::All, &target).is_err());
    assert_eq!(std::fs::read(&target).unwrap(), before);
}

#[test]
fn a_damaged_attachment_stops_the_export_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (mut v, a, _) = store(dir.path());
    let att = IncidentLog::new(&mut v).attachments(&a).unwrap()[0]
        .attachment
        .id
        .clone();
    let sealed = dir.path().join("attachments").join(&att);
    let mut b = std::fs::read(&sealed).unwrap();
    b[100] ^= 1;
    std::fs::write(&sealed, &b).unwrap();
    let log = IncidentLog::new(&mut v);
    for name in ["package", "package.zip"] {
        let err = export_package(&log, &ExportScope::All, &out.path().join(name)).unwrap_err();
        assert!(
            matches!(err, vigil_core::incident::IncidentError::AttachmentCorrupt),
            "{err:?}"
        );
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn a_format_1_package_from_an_earlier_release_still_verifies() {
    // Written by the release before format 2 (`vigil incident export --package`, one
    // incident, one attachment); the reference examiner checks the same file.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/examiner/fixtures/package-v1.zip");
    let r = verify_package(&fixture);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.format_version, 1);
    assert_eq!(r.maker, Some(vigil_core::evidence::PackageMaker::Device));
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.attachments_checked, 1);
    // And one changed byte still fails, naming the file.
    let out = tempfile::tempdir().unwrap();
    let mut entries = unzip(&fixture);
    let i = entries
        .iter()
        .position(|(n, _)| n == "bundles/device-1.json")
        .unwrap();
    let at = entries[i].1.len() / 2;
    entries[i].1[at] ^= 0x01;
    let changed = out.path().join("changed.zip");
    rezip(&changed, &entries);
    let r = verify_package(&changed);
    assert_eq!(r.problem, Some(PackageProblem::FileMismatch));
    assert_eq!(r.file.as_deref(), Some("bundles/device-1.json"));
}
