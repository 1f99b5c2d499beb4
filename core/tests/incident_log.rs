//! Logging, quick logging, amending, history, validation and the outbox.

use crate::support;

use support::*;
use vigil_core::incident::{
    Category, EntryKind, IncidentError, IncidentLog, Location, LocationSource, Page, ReportPatch,
    Severity,
};
use vigil_core::store::outbox;
use vigil_core::testing::RawConnection;

#[test]
fn log_then_get_returns_the_report_and_a_one_entry_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let r = report(
        Category::HostileSurveillance,
        "Grey van parked opposite the entrance for 40 minutes.",
        at(2024, 5, 1, 13, 5),
    );
    let receipt = IncidentLog::with_officer(&mut v, Some("Bravo 2".into()))
        .unwrap()
        .log(r.clone())
        .unwrap();
    assert_eq!(receipt.seq, 1);
    assert_eq!(receipt.incident_id, receipt.entry_id);
    assert_eq!(receipt.hash.len(), 64);
    let log = IncidentLog::new(&mut v);
    let view = log.get(&receipt.incident_id).unwrap();
    let mut expected = r;
    expected.officer = Some("Bravo 2".into());
    assert_eq!(view.current, expected);
    assert_eq!(view.amendments, 0);
    assert_eq!(view.history.len(), 1);
    assert_eq!(view.history[0].kind, EntryKind::Report);
    assert_eq!(view.history[0].author.as_deref(), Some("Bravo 2"));
    assert_eq!(hex::encode(&view.history[0].hash), receipt.hash);
    assert_eq!(view.device_id, v.db().unwrap().device_id());
    assert!(matches!(
        IncidentLog::new(&mut v).get("0190f5e4-0000-7000-8000-000000000000"),
        Err(IncidentError::UnknownIncident)
    ));
}

#[test]
fn quick_log_needs_only_a_category_and_is_amended_later() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let q = log.quick_log(Category::ApproachOrThreat, None).unwrap();
    let pos = Location {
        latitude: -33.8688,
        longitude: 151.2093,
        accuracy_m: None,
        source: LocationSource::Network,
    };
    let q2 = log.quick_log(Category::Medical, Some(pos.clone())).unwrap();
    assert_eq!((q.seq, q2.seq), (1, 2));
    let view = log.get(&q.incident_id).unwrap();
    assert!(view.current.occurred.utc >= before);
    assert_eq!(view.current.severity, None);
    assert!(view.current.narrative.is_empty());
    assert_eq!(
        log.get(&q2.incident_id).unwrap().current.location,
        Some(pos)
    );

    let a = log
        .amend(
            &q.incident_id,
            "details added after the principal was safe",
            ReportPatch {
                severity: Some(Some(Severity::High)),
                narrative: Some("Man shouted and walked quickly towards the principal.".into()),
                tags: Some(vec!["shouting".into()]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(a.seq, 3);
    assert_eq!(a.incident_id, q.incident_id);
    let view = log.get(&q.incident_id).unwrap();
    assert_eq!(view.current.severity, Some(Severity::High));
    assert_eq!(view.current.category, Category::ApproachOrThreat);
    assert_eq!(view.current.tags, vec!["shouting".to_string()]);
    assert_eq!(view.amendments, 1);
}

#[test]
fn amendments_are_appended_and_the_history_keeps_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let original = report(
        Category::SuspiciousActivity,
        "Blue car circled twice.",
        at(2024, 5, 2, 9, 0),
    );
    let r = log.log(original.clone()).unwrap();
    let a1 = log
        .amend(
            &r.incident_id,
            "colour misread in low light",
            ReportPatch {
                narrative: Some("Green car circled twice.".into()),
                venue_id: Some(None),
                ..Default::default()
            },
        )
        .unwrap();
    // An amendment of an amendment.
    let a2 = log
        .amend(
            &a1.entry_id,
            "confirmed on CCTV",
            ReportPatch {
                narrative: Some("Dark green car circled twice.".into()),
                category: Some(Category::HostileSurveillance),
                ..Default::default()
            },
        )
        .unwrap();
    let view = log.get(&r.incident_id).unwrap();
    assert_eq!(view.current.narrative, "Dark green car circled twice.");
    assert_eq!(view.current.category, Category::HostileSurveillance);
    assert_eq!(view.current.venue_id, None);
    assert_eq!(view.amendments, 2);
    let h = &view.history;
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].report.as_ref(), Some(&original));
    assert_eq!(h[1].entry_id, a1.entry_id);
    assert_eq!(h[1].amends.as_deref(), Some(r.entry_id.as_str()));
    assert_eq!(h[1].reason.as_deref(), Some("colour misread in low light"));
    assert_eq!(h[2].entry_id, a2.entry_id);
    assert_eq!(h[2].amends.as_deref(), Some(a1.entry_id.as_str()));
    assert_eq!(h.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    // The original body is untouched in the store.
    let conn = v.db().unwrap().raw_connection();
    let kinds: Vec<String> = conn
        .prepare("SELECT kind FROM incident_entries ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, vec!["report", "amendment", "amendment"]);
    assert!(IncidentLog::new(&mut v).verify().unwrap().ok);
}

#[test]
fn every_entry_lands_in_the_outbox_in_the_same_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let r = IncidentLog::new(&mut v)
        .log(report(
            Category::Media,
            "Photographer at the side door.",
            at(2024, 5, 3, 10, 0),
        ))
        .unwrap();
    let a = IncidentLog::new(&mut v)
        .amend(
            &r.incident_id,
            "added the agency",
            ReportPatch {
                tags: Some(vec!["press".into()]),
                ..Default::default()
            },
        )
        .unwrap();
    let conn = v.db().unwrap().raw_connection();
    let entries = outbox::list(conn, 0, 100).unwrap();
    assert_eq!(entries.len(), 2);
    for (e, receipt) in entries.iter().zip([&r, &a]) {
        assert_eq!(e.kind, "incident.entry");
        assert_eq!(e.entity_id, r.incident_id);
        assert_eq!(e.payload["entry_id"], receipt.entry_id.as_str());
        assert_eq!(e.payload["hash"], receipt.hash.as_str());
        assert_eq!(e.payload["seq"], receipt.seq);
        let body: Vec<u8> = conn
            .query_row(
                "SELECT body FROM incident_entries WHERE entry_id = ?1",
                [&receipt.entry_id],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(e.payload["body"].as_str().unwrap().as_bytes(), &body[..]);
    }
    // If the outbox insert fails, the entry is rolled back with it.
    conn.execute_batch(
        "CREATE TRIGGER outbox_down BEFORE INSERT ON outbox
         BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END;",
    )
    .unwrap();
    let before = counts(&v);
    let err = IncidentLog::new(&mut v)
        .quick_log(Category::Other, None)
        .unwrap_err();
    assert!(matches!(err, IncidentError::Store(_)));
    assert_eq!(counts(&v), before);
    v.db()
        .unwrap()
        .raw_connection()
        .execute_batch("DROP TRIGGER outbox_down")
        .unwrap();
    let next = IncidentLog::new(&mut v)
        .quick_log(Category::Other, None)
        .unwrap();
    assert_eq!(next.seq, 3, "a failed write leaves no gap in the chain");
    assert!(IncidentLog::new(&mut v).verify().unwrap().ok);
}

#[test]
fn bad_input_is_refused_with_a_typed_error_and_changes_nothing() {
    let (_dir, mut v, r) = baseline();
    let before = counts(&v);
    let base = report(Category::Other, "x", at(2024, 5, 4, 8, 0));
    let with_loc = |lat: f64, lon: f64, acc: Option<f64>| {
        let mut b = base.clone();
        b.location = Some(Location {
            latitude: lat,
            longitude: lon,
            accuracy_m: acc,
            source: LocationSource::Manual,
        });
        b
    };
    let mut log = IncidentLog::new(&mut v);
    let field = |e: IncidentError| match e {
        IncidentError::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    };
    assert_eq!(
        field(log.log(with_loc(91.0, 0.0, None)).unwrap_err()),
        "latitude"
    );
    assert_eq!(
        field(log.log(with_loc(f64::NAN, 0.0, None)).unwrap_err()),
        "latitude"
    );
    assert_eq!(
        field(log.log(with_loc(0.0, -180.5, None)).unwrap_err()),
        "longitude"
    );
    assert_eq!(
        field(log.log(with_loc(0.0, f64::INFINITY, None)).unwrap_err()),
        "longitude"
    );
    assert_eq!(
        field(log.log(with_loc(0.0, 0.0, Some(-1.0))).unwrap_err()),
        "accuracy"
    );
    assert_eq!(
        field(log.log(with_loc(0.0, 0.0, Some(f64::NAN))).unwrap_err()),
        "accuracy"
    );
    let mut bad_zone = base.clone();
    bad_zone.occurred.zone = Some("Europe/London; DROP".into());
    assert_eq!(field(log.log(bad_zone).unwrap_err()), "time zone");
    let mut bad_offset = base.clone();
    bad_offset.occurred.offset_minutes = 24 * 60;
    assert_eq!(field(log.log(bad_offset).unwrap_err()), "utc offset");
    let mut blank_tag = base.clone();
    blank_tag.tags = vec!["  ".into()];
    assert_eq!(field(log.log(blank_tag).unwrap_err()), "tag");
    assert_eq!(field("".parse::<Category>().unwrap_err()), "category");
    assert_eq!(field(" ".parse::<Severity>().unwrap_err()), "severity");

    let patch = ReportPatch {
        narrative: Some("changed".into()),
        ..Default::default()
    };
    assert!(matches!(
        log.amend("0190f5e4-0000-7000-8000-000000000000", "why", patch.clone()),
        Err(IncidentError::UnknownIncident)
    ));
    assert!(matches!(
        log.amend("not-an-id", "why", patch.clone()),
        Err(IncidentError::UnknownIncident)
    ));
    assert_eq!(
        field(log.amend(&r.incident_id, "", patch.clone()).unwrap_err()),
        "reason"
    );
    assert_eq!(
        field(
            log.amend(&r.incident_id, " \n ", patch.clone())
                .unwrap_err()
        ),
        "reason"
    );
    assert_eq!(
        field(
            log.amend(&r.incident_id, "why", ReportPatch::default())
                .unwrap_err()
        ),
        "patch"
    );
    let bad_patch = ReportPatch {
        location: Some(Some(Location {
            latitude: 12.0,
            longitude: 200.0,
            accuracy_m: None,
            source: LocationSource::Manual,
        })),
        ..Default::default()
    };
    assert_eq!(
        field(log.amend(&r.incident_id, "why", bad_patch).unwrap_err()),
        "longitude"
    );
    assert!(matches!(
        log.store_attachment(&mut std::io::empty(), "image/jpeg", None),
        Err(IncidentError::AttachmentEmpty)
    ));
    assert_eq!(
        field(log.store_attachment(&mut &b"x"[..], "", None).unwrap_err()),
        "mime type"
    );
    assert!(matches!(
        log.list(&Default::default(), &Page::first(0)),
        Err(IncidentError::InvalidInput { .. })
    ));
    assert_eq!(counts(&v), before);
    assert!(IncidentLog::new(&mut v).verify().unwrap().ok);
}

#[test]
fn error_messages_carry_no_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let mut r = report(Category::Other, "SECRET-NARRATIVE", at(2024, 5, 4, 8, 0));
    r.location.as_mut().unwrap().latitude = 91.123_456;
    let msg = log.log(r).unwrap_err().to_string();
    assert!(!msg.contains("91.123"), "{msg}");
    assert!(!msg.contains("SECRET"), "{msg}");
    let msg = log
        .amend("SECRET-ID", "SECRET-REASON", ReportPatch::default())
        .unwrap_err()
        .to_string();
    assert!(!msg.contains("SECRET"), "{msg}");
}

#[test]
fn the_log_survives_lock_and_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let r = IncidentLog::new(&mut v)
        .log(report(
            Category::TheftOrLoss,
            "Phone taken from table.",
            at(2024, 5, 5, 20, 0),
        ))
        .unwrap();
    v.lock().unwrap();
    assert!(matches!(
        IncidentLog::new(&mut v).get(&r.incident_id),
        Err(IncidentError::Store(vigil_core::StoreError::Locked))
    ));
    drop(v);
    let mut v = vigil_core::Vault::open(dir.path()).unwrap();
    v.unlock_with_passphrase(PASS, None).unwrap();
    let mut log = IncidentLog::new(&mut v);
    assert_eq!(
        log.get(&r.incident_id).unwrap().current.narrative,
        "Phone taken from table."
    );
    let next = log.quick_log(Category::Other, None).unwrap();
    assert_eq!(next.seq, 2);
    let report = log.verify().unwrap();
    assert!(report.ok);
    assert_eq!(report.entries_checked, 2);
}

#[test]
fn times_are_kept_to_the_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let precise = chrono::DateTime::from_timestamp(1_717_243_200, 123_456_789).unwrap();
    let mut log = IncidentLog::new(&mut v);
    let r = log.log(report(Category::Other, "t", precise)).unwrap();
    let stored = log.get(&r.incident_id).unwrap().current.occurred.utc;
    assert_eq!(stored.timestamp_millis(), precise.timestamp_millis());
    assert_eq!(stored.timestamp_subsec_nanos(), 123_000_000);
    let body: Vec<u8> = v
        .db()
        .unwrap()
        .raw_connection()
        .query_row("SELECT body FROM incident_entries", [], |r| r.get(0))
        .unwrap();
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("\"utc\":\"2024-06-01T12:00:00.123Z\""));
}

/// Phones report positions with full `f64` precision; every one must log, read back
/// exactly, and verify. (Found by the benchmark harness: a canonical body whose float did
/// not parse back to the same value was taken for a damaged store.)
/// Positions are signed as integer nanodegrees and millimetres (body version 2, so every
/// language writes them alike): what reads back is the position rounded to those units,
/// half away from zero, whatever the magnitude.
#[test]
fn positions_log_and_read_back_to_the_nanodegree() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    // A fixed xorshift walk over latitudes, longitudes and accuracies of every magnitude.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut fixed = vec![(51.4537518292, -0.1276413087, 4.999999999999999)];
    for _ in 0..300 {
        fixed.push((next() * 180.0 - 90.0, next() * 360.0 - 180.0, next() * 1e4));
    }
    for (lat, lon, acc) in fixed {
        let pos = Location {
            latitude: lat,
            longitude: lon,
            accuracy_m: Some(acc),
            source: LocationSource::Gps,
        };
        let r = log
            .quick_log(Category::SuspiciousActivity, Some(pos.clone()))
            .unwrap_or_else(|e| panic!("{lat} {lon} {acc}: {e:?}"));
        let expected = Location {
            latitude: (lat * 1e9).round() / 1e9,
            longitude: (lon * 1e9).round() / 1e9,
            accuracy_m: Some((acc * 1e3).round() / 1e3),
            source: LocationSource::Gps,
        };
        let back = log.get(&r.incident_id).unwrap().current.location.unwrap();
        assert_eq!(back, expected);
        assert!((back.latitude - lat).abs() <= 0.5e-9 + 1e-15);
        assert!((back.longitude - lon).abs() <= 0.5e-9 + 1e-15);
    }
    assert!(log.verify().unwrap().ok);
}

/// The view carries each entry's proofs (previous hash, hash, signature, signed body and
/// the signing device's key): enough to check the entry without Vigil.
#[test]
fn a_view_carries_proofs_that_check_without_vigil() {
    use ring::signature::{UnparsedPublicKey, ED25519};
    use vigil_core::incident::canonical::entry_hash_v2;

    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let r = log
        .log(report(
            Category::HostileSurveillance,
            "Grey van parked opposite the entrance.",
            at(2024, 5, 1, 13, 5),
        ))
        .unwrap();
    let patch = ReportPatch {
        severity: Some(Some(Severity::High)),
        ..Default::default()
    };
    log.amend(&r.incident_id, "Second sighting", patch).unwrap();
    let view = log.get(&r.incident_id).unwrap();
    let own_key = v.db().unwrap().device_key().public_key().to_vec();
    assert_eq!(view.history.len(), 2);
    assert_eq!(view.history[0].prev_hash, vec![0u8; 32]);
    assert_eq!(view.history[1].prev_hash, view.history[0].hash);
    for h in &view.history {
        assert_eq!(h.device_public_key, own_key);
        let prev: [u8; 32] = h.prev_hash.as_slice().try_into().unwrap();
        let body_sha: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, &h.body)
            .as_ref()
            .try_into()
            .unwrap();
        let hash = entry_hash_v2(
            h.seq,
            &prev,
            &h.device_id,
            &h.entry_id,
            &r.incident_id,
            &body_sha,
        );
        assert_eq!(h.hash, hash.to_vec(), "hash of seq {}", h.seq);
        UnparsedPublicKey::new(&ED25519, &h.device_public_key)
            .verify(&h.hash, &h.signature)
            .expect("the signature checks with the device's key");
        let mut edited = h.signature.clone();
        edited[0] ^= 1;
        assert!(UnparsedPublicKey::new(&ED25519, &h.device_public_key)
            .verify(&h.hash, &edited)
            .is_err());
    }
    assert!(String::from_utf8(view.history[0].body.clone())
        .unwrap()
        .contains("Grey van parked opposite the entrance."));
}

/// One check of an officer's name, used by the log, the bindings and the CLI.
#[test]
fn officer_names_are_checked_once_in_the_core() {
    use vigil_core::incident::check_officer;
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    for bad in ["", "   ", "a\0b", &"x".repeat(1_001)] {
        assert!(matches!(
            check_officer(bad),
            Err(IncidentError::InvalidInput { field, .. }) if field == "officer"
        ));
        assert!(IncidentLog::with_officer(&mut v, Some(bad.to_string())).is_err());
    }
    check_officer("Bravo 2").unwrap();
    check_officer(&"x".repeat(1_000)).unwrap();
    assert!(IncidentLog::new(&mut v)
        .list(&Default::default(), &Page::first(10))
        .unwrap()
        .is_empty());
}
