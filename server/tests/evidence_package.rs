//! A photo attached on device A, synced through the real server on loopback, comes out
//! of device B's evidence package byte for byte, and the package verifies (A's chain
//! relayed by B, B's own signed bundle, the signed manifest).

use crate::common;

use common::TestServer;
use vigil_core::evidence::{export_package, verify_package};
use vigil_core::incident::{Category, ExportScope, IncidentLog, Report};

#[test]
fn a_teammates_photo_comes_out_of_the_package_byte_for_byte_and_verifies() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let photo: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let incident = {
        let mut log = IncidentLog::new(&mut a.vault);
        let mut r = Report::quick(Category::HostileSurveillance, None);
        r.narrative = "Man photographing the motorcade bay".into();
        let id = log.log(r).unwrap().incident_id;
        log.attach(&id, &mut photo.as_slice(), "image/jpeg", None)
            .unwrap();
        id
    };
    a.sync().unwrap();
    let r = b.sync().unwrap();
    assert_eq!(r.attachments_downloaded, 1);
    // B logs one of its own, so its package holds its signed bundle and A's chain.
    {
        let mut log = IncidentLog::new(&mut b.vault);
        log.log(Report::quick(Category::Media, None)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    for name in ["package", "package.zip"] {
        let target = out.path().join(name);
        let log = IncidentLog::new(&mut b.vault);
        let summary = export_package(
            &log,
            &ExportScope::Incidents(vec![incident.clone()]),
            &target,
        )
        .unwrap();
        assert_eq!((summary.chains, summary.attachments), (2, 1), "{name}");
        let report = verify_package(&target);
        assert!(report.ok, "{name}: {report:?}");
        assert_eq!(report.incidents, vec![incident.clone()]);
        assert_eq!(report.attachments_checked, 1);
        assert_eq!(report.bundles.len(), 2);
        // Device-2 is A's chain, under A's key, disclosing the incident.
        assert_eq!(
            report.bundles[1].device_id.as_deref(),
            Some(a.id().as_str())
        );
        assert_eq!(report.bundles[1].incidents, vec![incident.clone()]);
    }
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &photo));
    let file = out
        .path()
        .join("package/attachments")
        .join(format!("{sha}.jpg"));
    assert_eq!(std::fs::read(file).unwrap(), photo);
}
