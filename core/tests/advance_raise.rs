//! Raising an incident from a checklist item: the report lands in the real incident log
//! (signed chain) with the item's label, note, position, links and sealed photos.

use crate::advance_support;

use advance_support::*;
use vigil_core::advance::raise::{raise_incident_from_item, RaiseIncident, ISSUE_TAG, RAISED_TAG};
use vigil_core::advance::walk::{self, AnswerInput, AnswerValue, CheckState, WalkSubject};
use vigil_core::advance::AdvanceError;
use vigil_core::incident::{Category, IncidentLog, LocationSource, Severity};
use vigil_core::testing::RawConnection;
use vigil_testkit::fixtures::{answer, check};

fn issue_answer(item: &str, photos: Vec<String>) -> AnswerInput {
    AnswerInput {
        note: "East stair final exit chained shut".into(),
        position: Some(p(51.5158, -0.0917)),
        photos,
        answered_at_ms: Some(1_717_400_000_123),
        ..answer(item, check(CheckState::Issue), "PS Hale")
    }
}

fn incident_count(vault: &vigil_core::Vault) -> i64 {
    vault
        .db()
        .unwrap()
        .raw_connection()
        .query_row("SELECT count(*) FROM incident_entries", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_issue_becomes_a_signed_incident_with_its_context_and_photos() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let (venue, w) = venue_walk(db);

    let photo = IncidentLog::new(&mut vault)
        .store_attachment(
            &mut &b"jpeg bytes of a chained door"[..],
            "image/jpeg",
            None,
        )
        .unwrap();
    let db = vault.db_mut().unwrap();
    walk::answer_item(
        db,
        &w.id,
        &issue_answer("fire_exits", vec![photo.id.clone(), photo.id.clone()]),
    )
    .unwrap();

    let id = raise_incident_from_item(
        &mut vault,
        &RaiseIncident {
            walk_id: w.id.clone(),
            item_id: "fire_exits".into(),
            category: Category::SecurityBreach,
            severity: Some(Severity::High),
        },
    )
    .unwrap();

    let log = IncidentLog::new(&mut vault);
    let view = log.get(&id).unwrap();
    let r = &view.current;
    assert_eq!(r.category, Category::SecurityBreach);
    assert_eq!(r.severity, Some(Severity::High));
    assert!(r.narrative.contains("Fire exits walked"), "{}", r.narrative);
    assert!(r.narrative.contains(&w.id));
    assert!(r.narrative.contains("East stair final exit chained shut"));
    let loc = r.location.as_ref().unwrap();
    assert_eq!((loc.latitude, loc.longitude), (51.5158, -0.0917));
    assert_eq!(loc.source, LocationSource::Manual);
    assert_eq!(r.venue_id.as_deref(), Some(venue.id.as_str()));
    assert_eq!(r.route_id, None);
    assert_eq!(r.officer.as_deref(), Some("PS Hale"));
    assert_eq!(r.occurred.utc.timestamp_millis(), 1_717_400_000_123);
    assert_eq!(r.tags, vec![RAISED_TAG.to_string(), ISSUE_TAG.to_string()]);
    // The photo is cited once, with its content hash.
    assert_eq!(r.attachments, vec![photo]);
    // The log still verifies with the new entry in it.
    assert!(log.verify().unwrap().ok);
}

#[test]
fn a_route_item_links_the_route_and_a_location_answer_gives_the_position() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let route = a_route(db);
    let subject = WalkSubject::Route {
        route_id: route.id.clone(),
    };
    let w = walk::start_walk(db, "vigil.route-recon", None, &subject, "PS Hale").unwrap();
    let t = walk::get_walk(db, &w.id).unwrap().template;
    let (_, item) = t
        .items()
        .find(|(_, i)| matches!(i.kind, vigil_core::advance::ItemKind::Location))
        .expect("the route template has a location item");
    walk::answer_item(
        db,
        &w.id,
        &answer(
            &item.id,
            AnswerValue::Location {
                position: p(51.5120, -0.1100),
            },
            "DC Rowe",
        ),
    )
    .unwrap();
    let id = raise_incident_from_item(
        &mut vault,
        &RaiseIncident {
            walk_id: w.id.clone(),
            item_id: item.id.clone(),
            category: Category::HostileSurveillance,
            severity: None,
        },
    )
    .unwrap();
    let view = IncidentLog::new(&mut vault).get(&id).unwrap();
    assert_eq!(view.current.route_id.as_deref(), Some(route.id.as_str()));
    assert_eq!(view.current.venue_id, None);
    assert_eq!(view.current.severity, None);
    assert_eq!(view.current.tags, vec![RAISED_TAG.to_string()]);
    let loc = view.current.location.unwrap();
    assert_eq!((loc.latitude, loc.longitude), (51.5120, -0.1100));
    assert_eq!(view.current.officer.as_deref(), Some("DC Rowe"));
}

#[test]
fn refused_without_an_answer_an_unknown_item_or_an_unknown_photo_and_nothing_is_logged() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let (_, w) = venue_walk(db);
    walk::answer_item(
        db,
        &w.id,
        &issue_answer(
            "fire_exits",
            vec!["0123456789abcdef0123456789abcdef".into()],
        ),
    )
    .unwrap();
    let req = |item: &str| RaiseIncident {
        walk_id: w.id.clone(),
        item_id: item.into(),
        category: Category::Other,
        severity: None,
    };
    let before = incident_count(&vault);

    // Unanswered item.
    assert!(matches!(
        raise_incident_from_item(&mut vault, &req("toilets")),
        Err(AdvanceError::NotFound { .. })
    ));
    // Not an item of this checklist.
    assert!(matches!(
        raise_incident_from_item(&mut vault, &req("no_such_item")),
        Err(AdvanceError::UnknownItem { .. })
    ));
    // A photo id that is not sealed here: refused rather than silently dropped.
    match raise_incident_from_item(&mut vault, &req("fire_exits")) {
        Err(AdvanceError::InvalidInput { field, .. }) => assert_eq!(field, "photos[0]"),
        other => panic!("{other:?}"),
    }
    // Unknown walk.
    assert!(matches!(
        raise_incident_from_item(
            &mut vault,
            &RaiseIncident {
                walk_id: "no-such-walk".into(),
                ..req("fire_exits")
            }
        ),
        Err(AdvanceError::NotFound { .. })
    ));
    assert_eq!(incident_count(&vault), before);
}
