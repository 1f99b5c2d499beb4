//! Venues, safe havens and routes: saved through the outbox, read back after a relock,
//! invalid input refused by field with nothing changed.

use crate::advance_support;

use advance_support::*;
use vigil_core::advance::haven::{self, HavenFilter, HavenKind, HospitalInfo, SafeHavenInput};
use vigil_core::advance::route::{self, RouteRole};
use vigil_core::advance::venue::{self, Contact, Venue, VenueInput, VenuePoint, VenuePointKind};
use vigil_core::advance::AdvanceError;
use vigil_core::testing::RawConnection;

fn guildhall() -> VenueInput {
    VenueInput {
        id: None,
        name: "Guildhall".into(),
        address: Some("Gresham Street, London EC2V 7HH".into()),
        position: Some(p(51.5157, -0.0919)),
        boundary: Some(vec![
            p(51.5160, -0.0925),
            p(51.5160, -0.0912),
            p(51.5152, -0.0912),
            p(51.5152, -0.0925),
            p(51.5160, -0.0925),
        ]),
        points: vec![
            VenuePoint {
                kind: VenuePointKind::SafeRoom,
                label: "Holding room 2".into(),
                position: Some(p(51.5156, -0.0918)),
                level: Some("1".into()),
                notes: "Landline on desk".into(),
            },
            VenuePoint {
                kind: VenuePointKind::EmergencyExit,
                label: "East stair".into(),
                position: Some(p(51.5158, -0.0913)),
                level: None,
                notes: String::new(),
            },
        ],
        contacts: vec![Contact {
            name: "Security manager".into(),
            role: "security".into(),
            phone: Some("+44 20 7946 0002".into()),
            ..Default::default()
        }],
        notes: "Survey at 18:30".into(),
    }
}

#[test]
fn venue_saves_updates_and_reads_back() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let v = venue::save_venue(db, &guildhall()).unwrap();
    // A closed ring is stored open.
    assert_eq!(v.boundary.as_ref().unwrap().len(), 4);
    assert_eq!(venue::get_venue(db, &v.id).unwrap(), v);
    // An edit starts from the stored venue: only what it changes changes.
    let mut edit = VenueInput::from(v.clone());
    edit.name = "Guildhall, Great Hall".into();
    let v2 = venue::save_venue(db, &edit).unwrap();
    assert!(v2.updated > v.updated);
    assert_eq!(
        Venue {
            name: v.name.clone(),
            updated: v.updated.clone(),
            ..v2.clone()
        },
        v
    );
    assert_eq!(venue::list_venues(db).unwrap(), vec![v2.clone()]);
    assert_eq!(outbox_kinds(db), vec!["venue.upsert", "venue.upsert"]);
    let payload: serde_json::Value = db
        .raw_connection()
        .query_row(
            "SELECT payload FROM outbox ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap();
    assert_eq!(payload["name"], "Guildhall, Great Hall");
    assert!(matches!(
        venue::get_venue(db, "nope"),
        Err(AdvanceError::NotFound { .. })
    ));
}

#[test]
fn invalid_records_name_the_field_and_change_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    venue::save_venue(db, &guildhall()).unwrap();
    let before = footprint(db);

    let mut bad = guildhall();
    bad.points[1].position = Some(p(91.0, 0.0));
    match venue::save_venue(db, &bad).unwrap_err() {
        AdvanceError::InvalidInput { field, .. } => assert_eq!(field, "points[1].position"),
        other => panic!("{other:?}"),
    }
    let mut bad = guildhall();
    bad.contacts[0].name = " ".into();
    let err = venue::save_venue(db, &bad).unwrap_err();
    assert!(err.to_string().contains("contacts[0].name"), "{err}");
    let mut bad = guildhall();
    bad.boundary = Some(vec![p(51.0, 0.0), p(51.1, 0.0)]);
    assert!(venue::save_venue(db, &bad).is_err());

    let hospital_without_details = SafeHavenInput {
        id: None,
        kind: HavenKind::Hospital,
        name: "St Bart's".into(),
        position: p(51.5175, -0.1000),
        hospital: None,
        address: None,
        phone: None,
        opening_hours: None,
        notes: String::new(),
    };
    match haven::save_haven(db, &hospital_without_details).unwrap_err() {
        AdvanceError::InvalidInput { field, .. } => assert_eq!(field, "hospital"),
        other => panic!("{other:?}"),
    }
    let police_with_hospital_details = SafeHavenInput {
        kind: HavenKind::Police,
        hospital: Some(HospitalInfo::default()),
        ..hospital_without_details.clone()
    };
    assert!(haven::save_haven(db, &police_with_hospital_details).is_err());
    let bad_level = SafeHavenInput {
        hospital: Some(HospitalInfo {
            emergency_department: true,
            trauma_level: Some(7),
            helipad: true,
        }),
        ..hospital_without_details
    };
    match haven::save_haven(db, &bad_level).unwrap_err() {
        AdvanceError::InvalidInput { field, reason } => {
            assert_eq!(field, "hospital.trauma_level");
            assert!(!reason.contains('7'));
        }
        other => panic!("{other:?}"),
    }
    // Error messages carry no coordinates or names.
    let mut bad = guildhall();
    bad.position = Some(p(123.456, 0.0));
    let msg = venue::save_venue(db, &bad).unwrap_err().to_string();
    assert!(!msg.contains("123") && !msg.contains("Guildhall"), "{msg}");
    assert_eq!(footprint(db), before);
}

#[test]
fn havens_filter_by_kind_and_capability() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let royal = hospital(db, "Royal London", p(51.5186, -0.0590), true);
    hospital(db, "Minor injuries unit", p(51.51, -0.10), false);
    let embassy = station(db, HavenKind::Embassy, "Embassy", p(51.5115, -0.1540));
    assert_eq!(haven::list_havens(db, HavenFilter::Any).unwrap().len(), 3);
    let ae = haven::list_havens(db, HavenFilter::EmergencyHospital).unwrap();
    assert_eq!(ae.len(), 1);
    assert_eq!(ae[0].id, royal.id);
    let trauma = haven::list_havens(db, HavenFilter::TraumaCentre { max_level: 2 }).unwrap();
    assert_eq!(trauma.len(), 1);
    let emb = haven::list_havens(
        db,
        HavenFilter::Kind {
            kind: HavenKind::Embassy,
        },
    )
    .unwrap();
    assert_eq!(emb[0], embassy);
    assert_eq!(
        outbox_kinds(db),
        vec!["haven.upsert", "haven.upsert", "haven.upsert"]
    );
}

#[test]
fn routes_of_a_journey_primary_first() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let mut alt = vigil_core::advance::RouteInput {
        name: "Alternate via Embankment".into(),
        journey: Some("visit-0612".into()),
        role: RouteRole::Alternate,
        line: vec![
            p(51.5074, -0.1278),
            p(51.5090, -0.1100),
            p(51.5157, -0.0919),
        ],
        ..Default::default()
    };
    route::save_route(db, &alt).unwrap();
    alt.name = "Primary via Holborn".into();
    alt.role = RouteRole::Primary;
    let primary = route::save_route(db, &alt).unwrap();
    let routes = route::routes_for_journey(db, "visit-0612").unwrap();
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].id, primary.id);
    assert!(route::routes_for_journey(db, "other").unwrap().is_empty());
}
