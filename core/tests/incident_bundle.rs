//! The signed JSON bundle and its standalone verifier.

use crate::support;

use support::*;
use vigil_core::incident::export::{Bundle, BUNDLE_FORMAT};
use vigil_core::incident::{
    verify_bundle, BundleProblem, Category, ExportScope, IncidentError, IncidentLog, ProblemKind,
    ReportPatch,
};

fn small_store(dir: &std::path::Path) -> (vigil_core::Vault, String, String) {
    let mut v = vault(dir);
    let mut log = IncidentLog::with_officer(&mut v, Some("Alpha 1".into())).unwrap();
    let a = log
        .log(report(
            Category::HostileSurveillance,
            "Grey van, two occupants, engine running.",
            at(2024, 10, 1, 9, 0),
        ))
        .unwrap();
    let b = log
        .log(report(
            Category::Medical,
            "CONFIDENTIAL-B driver fainted.",
            at(2024, 10, 1, 10, 0),
        ))
        .unwrap();
    log.amend(
        &a.incident_id,
        "occupant count corrected",
        ReportPatch {
            narrative: Some("Grey van, three occupants, engine running.".into()),
            ..Default::default()
        },
    )
    .unwrap();
    (v, a.incident_id, b.incident_id)
}

#[test]
fn an_exported_bundle_verifies_standalone() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, a, b) = small_store(dir.path());
    let public_key = hex::encode(v.db().unwrap().device_key().public_key());
    let device_id = v.db().unwrap().device_id().to_string();
    let bytes = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::All)
        .unwrap();
    // Store gone: the verifier needs nothing but the bytes.
    drop(v);
    drop(dir);
    let report = verify_bundle(&bytes);
    assert!(report.ok, "{report:?}");
    assert_eq!(report.problem, None);
    assert_eq!(
        report.device_public_key.as_deref(),
        Some(public_key.as_str())
    );
    assert_eq!(report.device_id.as_deref(), Some(device_id.as_str()));
    assert_eq!(report.incidents, vec![a.clone(), b.clone()]);
    let chain = report.chain.unwrap();
    assert_eq!(chain.entries_checked, 3);
    assert!(chain.ok);
    let bundle: Bundle = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(bundle.format, BUNDLE_FORMAT);
    assert_eq!(bundle.payload.entries.len(), 3);
    assert!(bundle.payload.entries.iter().all(|e| e.body.is_some()));
    assert_eq!(bundle.payload.head_seq, 3);
}

#[test]
fn every_single_byte_edit_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let q = log.quick_log(Category::Other, None).unwrap();
    log.amend(
        &q.incident_id,
        "why",
        ReportPatch {
            tags: Some(vec!["t".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let bytes = log.export_bundle(&ExportScope::All).unwrap();
    assert!(verify_bundle(&bytes).ok);
    assert!(
        bytes.len() < 4096,
        "keep this bundle small: {}",
        bytes.len()
    );
    let mut tried = 0;
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x02, 0x20, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= mask;
            let r = verify_bundle(&bad);
            assert!(!r.ok, "byte {i} ^ {mask:#x} still verifies");
            assert!(r.problem.is_some());
            tried += 1;
        }
    }
    assert_eq!(tried, bytes.len() * 5);
    // Truncation and extension too.
    assert!(!verify_bundle(&bytes[..bytes.len() - 1]).ok);
    assert!(!verify_bundle(&[bytes.clone(), b"\n".to_vec()].concat()).ok);
    assert!(!verify_bundle(&[b" ".to_vec(), bytes.clone()].concat()).ok);
    assert_eq!(verify_bundle(b"").problem, Some(BundleProblem::Unparseable));
}

#[test]
fn semantic_edits_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _, _) = small_store(dir.path());
    let bytes = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::All)
        .unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();

    // Uppercase hex parses to the same bytes, but is refused.
    let bundle: Bundle = serde_json::from_slice(&bytes).unwrap();
    let upper = text.replacen(&bundle.signature, &bundle.signature.to_uppercase(), 1);
    assert_ne!(upper, text);
    assert!(!verify_bundle(upper.as_bytes()).ok);

    // Pretty-printing the same content is not the canonical file.
    let pretty = serde_json::to_vec_pretty(&bundle).unwrap();
    assert_eq!(
        verify_bundle(&pretty).problem,
        Some(BundleProblem::NotCanonical)
    );

    // An unknown field is refused.
    let extra = text.replacen("{\"format\"", "{\"x\":1,\"format\"", 1);
    assert_eq!(
        verify_bundle(extra.as_bytes()).problem,
        Some(BundleProblem::Unparseable)
    );

    // Re-signed by another key after dropping an entry: the bundle signature holds,
    // the chain does not.
    let mut cut = bundle.clone();
    cut.payload.entries.remove(1);
    let other = vigil_core::crypto::signing::DeviceKey::generate()
        .unwrap()
        .0;
    cut.payload.device_public_key = hex::encode(other.public_key());
    let payload = serde_json::to_vec(&cut.payload).unwrap();
    cut.signature = hex::encode(other.sign(&[b"VIGIL-BUNDLE-V2".as_slice(), &payload].concat()));
    let r = verify_bundle(&serde_json::to_vec(&cut).unwrap());
    match r.problem {
        Some(BundleProblem::Chain(p)) => assert_eq!(p.kind, ProblemKind::BadSignature),
        other => panic!("{other:?}"),
    }

    // A body edited and the bundle re-signed by another key, still naming the device's
    // key: the bundle signature fails.
    let mut edited = bundle.clone();
    let body = edited.payload.entries[0].body.take().unwrap();
    edited.payload.entries[0].body = Some(body.replace("two occupants", "one occupant"));
    let payload = serde_json::to_vec(&edited.payload).unwrap();
    edited.signature = hex::encode(other.sign(&[b"VIGIL-BUNDLE-V2".as_slice(), &payload].concat()));
    edited.payload.device_public_key = bundle.payload.device_public_key.clone();
    let r = verify_bundle(&serde_json::to_vec(&edited).unwrap());
    assert_eq!(r.problem, Some(BundleProblem::BadBundleSignature));
}

#[test]
fn a_scoped_bundle_discloses_only_its_incidents_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, a, b) = small_store(dir.path());
    let log = IncidentLog::new(&mut v);
    let bytes = log
        .export_bundle(&ExportScope::Incidents(vec![a.clone()]))
        .unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains("CONFIDENTIAL-B"));
    assert!(text.contains("three occupants"));
    let r = verify_bundle(&bytes);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.incidents, vec![a.clone()]);
    assert_eq!(r.chain.unwrap().entries_checked, 3);
    let bundle: Bundle = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        bundle
            .payload
            .entries
            .iter()
            .map(|e| e.body.is_some())
            .collect::<Vec<_>>(),
        vec![true, false, true]
    );
    assert!(matches!(
        log.export_bundle(&ExportScope::Incidents(vec![
            "0190f5e4-0000-7000-8000-000000000000".into()
        ])),
        Err(IncidentError::UnknownIncident)
    ));
    let both = log
        .export_bundle(&ExportScope::Incidents(vec![b.clone(), a.clone()]))
        .unwrap();
    assert!(verify_bundle(&both).ok);
}

#[test]
fn an_empty_log_exports_a_verifiable_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let bytes = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::All)
        .unwrap();
    let r = verify_bundle(&bytes);
    assert!(r.ok);
    assert!(r.incidents.is_empty());
    assert_eq!(r.chain.unwrap().entries_checked, 0);
}

/// Bundles written by the release before format 2 (committed as made by it) still verify,
/// and the report names their versions.
#[test]
fn bundles_of_the_previous_release_still_verify_as_version_1() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/bundles");
    for (name, receipt) in [
        ("legacy-v1-genuine.json", None),
        ("legacy-v1-scoped.json", None),
        ("legacy-v1-anchored.json", Some(1)),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let r = verify_bundle(&bytes);
        assert!(r.ok, "{name}: {r:?}");
        assert_eq!(r.format_version, Some(1), "{name}");
        assert_eq!(r.entry_versions, vec![1], "{name}");
        assert_eq!(r.receipt_version, receipt, "{name}");
    }
}

#[test]
fn new_bundles_are_format_2_with_version_2_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, a, _) = small_store(dir.path());
    let bytes = IncidentLog::new(&mut v)
        .export_bundle(&ExportScope::Incidents(vec![a]))
        .unwrap();
    let r = verify_bundle(&bytes);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.format_version, Some(2));
    assert_eq!(r.entry_versions, vec![2]);
    assert_eq!(r.receipt_version, None);
    let bundle: Bundle = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(bundle.format, "vigil.incident-bundle.v2");
    // The hidden entry still names its incident, committed by its hash.
    let hidden = &bundle.payload.entries[1];
    assert!(hidden.body.is_none());
    assert!(hidden.incident_id.is_some() && hidden.body_sha256.is_some());
}
