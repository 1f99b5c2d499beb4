//! Walking checklists: from every built-in template, answering, progress, issues,
//! completion, sign-off and its verification, the incident hook.

use crate::advance_support;

use advance_support::*;
use vigil_core::advance::template::{builtin_templates, ItemKind, TemplateItem, TemplateKind};
use vigil_core::advance::venue::Contact;
use vigil_core::advance::walk::{
    self, verify_snapshot, AnswerInput, AnswerValue, CheckState, SignedSnapshot, WalkState,
    WalkSubject,
};
use vigil_core::advance::AdvanceError;
use vigil_core::store::Database;
use vigil_core::testing::RawConnection;

/// A valid answer for any item kind.
fn value_for(item: &TemplateItem) -> AnswerValue {
    match &item.kind {
        ItemKind::Check => AnswerValue::Check {
            state: CheckState::Ok,
        },
        ItemKind::Text => AnswerValue::Text {
            text: "Checked with the duty manager".into(),
        },
        ItemKind::Number { min, .. } => AnswerValue::Number {
            value: min.unwrap_or(0.0) + 1.0,
        },
        ItemKind::Choice { options } => AnswerValue::Choice {
            option: options[0].clone(),
        },
        ItemKind::Location => AnswerValue::Location {
            position: p(51.5157, -0.0919),
        },
        ItemKind::Photo => AnswerValue::Photo {
            attachments: vec!["att-0001".into()],
        },
        ItemKind::Contact => AnswerValue::Contact {
            contact: Contact {
                name: "Duty manager".into(),
                phone: Some("+44 20 7946 0001".into()),
                ..Default::default()
            },
        },
    }
}

fn input(item_id: &str, value: AnswerValue) -> AnswerInput {
    vigil_testkit::fixtures::answer(item_id, value, "PS Hale")
}

fn subject_for(db: &mut Database, kind: TemplateKind) -> WalkSubject {
    match kind {
        TemplateKind::Venue | TemplateKind::Hotel => WalkSubject::Venue {
            venue_id: a_venue(db).id,
        },
        TemplateKind::Route => WalkSubject::Route {
            route_id: a_route(db).id,
        },
        _ => WalkSubject::Other {
            label: "Car 2".into(),
        },
    }
}

#[test]
fn every_builtin_template_can_be_walked_to_a_verified_sign_off() {
    let templates = builtin_templates();
    assert_eq!(templates.len(), 4);
    for t in templates {
        let (_d, mut vault) = new_vault();
        let db = vault.db_mut().unwrap();
        let subject = subject_for(db, t.kind);
        let w = walk::start_walk(db, &t.id, None, &subject, "PS Hale").unwrap();
        let total = t.items().count() as u32;
        let required = t.items().filter(|(_, i)| i.required).count() as u32;
        let p0 = w.progress();
        assert_eq!((p0.answered, p0.total), (0, total), "{}", t.id);
        assert_eq!((p0.required_answered, p0.required_total), (0, required));

        // Answer every required item but the last; the first as an issue.
        let req: Vec<TemplateItem> = t
            .items()
            .filter(|(_, i)| i.required)
            .map(|(_, i)| i.clone())
            .collect();
        for (n, item) in req.iter().enumerate().take(req.len() - 1) {
            let mut a = input(&item.id, value_for(item));
            if n == 0 {
                a.issue = true;
                a.note = "Needs fixing before the visit".into();
                a.position = Some(p(51.5156, -0.0920));
            }
            walk::answer_item(db, &w.id, &a).unwrap();
        }
        let last = req.last().unwrap();
        let err = walk::complete_walk(db, &w.id, "PS Hale").unwrap_err();
        match &err {
            AdvanceError::RequiredUnanswered { missing } => {
                assert_eq!(missing, &vec![last.id.clone()])
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains(&last.id));
        // Sign-off before completion is refused too.
        assert!(matches!(
            walk::sign_off_walk(db, &w.id, "PS Hale"),
            Err(AdvanceError::WrongWalkState { .. })
        ));

        walk::answer_item(db, &w.id, &input(&last.id, AnswerValue::NotApplicable)).unwrap();
        let w2 = walk::get_walk(db, &w.id).unwrap();
        let pr = w2.progress();
        assert_eq!(pr.required_answered, required);
        assert_eq!(pr.answered, required);
        assert_eq!(pr.issues, 1);
        let issues = w2.issues();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].item_id, req[0].id);
        assert_eq!(issues[0].label, req[0].label);

        let done = walk::complete_walk(db, &w.id, "PS Hale").unwrap();
        assert_eq!(done.state, WalkState::Completed);
        let signed = walk::sign_off_walk(db, &w.id, "PS Hale").unwrap();
        verify_snapshot(&signed).unwrap();
        assert_eq!(walk::get_signoff(db, &w.id).unwrap(), signed);
        assert_eq!(
            walk::get_walk(db, &w.id).unwrap().state,
            WalkState::SignedOff
        );
        // Sealed: no more answers, no second sign-off.
        assert!(matches!(
            walk::answer_item(db, &w.id, &input(&last.id, AnswerValue::NotApplicable)),
            Err(AdvanceError::WrongWalkState { .. })
        ));
        assert!(walk::sign_off_walk(db, &w.id, "PS Hale").is_err());
        let kinds = outbox_kinds(db);
        assert_eq!(
            kinds.iter().filter(|k| *k == "checklist.answer").count() as u32,
            required
        );
        assert!(kinds.contains(&"checklist.walk.start".to_string()));
        assert!(kinds.contains(&"checklist.walk.complete".to_string()));
        assert_eq!(kinds.last().unwrap(), "checklist.walk.signoff");
    }
}

fn signed_walk() -> (tempfile::TempDir, vigil_core::Vault, SignedSnapshot) {
    let (d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let t = builtin_templates()
        .into_iter()
        .find(|t| t.id == "vigil.vehicle-check")
        .unwrap();
    let subject = WalkSubject::Other {
        label: "Car 2".into(),
    };
    let w = walk::start_walk_with(db, &t, &subject, "PS Hale").unwrap();
    for (_, item) in t.items().filter(|(_, i)| i.required) {
        walk::answer_item(db, &w.id, &input(&item.id, value_for(item))).unwrap();
    }
    walk::complete_walk(db, &w.id, "PS Hale").unwrap();
    let s = walk::sign_off_walk(db, &w.id, "PS Hale").unwrap();
    (d, vault, s)
}

#[test]
fn a_modified_snapshot_fails_verification() {
    let (_d, _vault, s) = signed_walk();
    verify_snapshot(&s).unwrap();

    // Change an answer in the snapshot and fix the hash: the signature fails.
    let mut edited = s.clone();
    edited.snapshot = s
        .snapshot
        .replacen("\"state\":\"ok\"", "\"state\":\"issue\"", 1);
    assert_ne!(edited.snapshot, s.snapshot);
    assert!(matches!(
        verify_snapshot(&edited),
        Err(AdvanceError::SnapshotInvalid(_))
    ));
    let digest = ring::digest::digest(&ring::digest::SHA256, edited.snapshot.as_bytes());
    edited.sha256 = hex::encode(digest.as_ref());
    match verify_snapshot(&edited) {
        Err(AdvanceError::SnapshotInvalid(why)) => assert_eq!(why, "bad signature"),
        other => panic!("{other:?}"),
    }
    // Another device's key does not verify it.
    let (_d2, vault2, other) = signed_walk();
    let _ = vault2;
    let mut swapped = s.clone();
    swapped.public_key = other.public_key.clone();
    assert!(verify_snapshot(&swapped).is_err());
    // Re-encoded (not canonical) JSON is refused even with a matching hash.
    let mut pretty = s.clone();
    let v: serde_json::Value = serde_json::from_str(&s.snapshot).unwrap();
    pretty.snapshot = serde_json::to_string_pretty(&v).unwrap();
    pretty.sha256 = hex::encode(
        ring::digest::digest(&ring::digest::SHA256, pretty.snapshot.as_bytes()).as_ref(),
    );
    assert!(verify_snapshot(&pretty).is_err());
}

#[test]
fn the_stored_sign_off_cannot_be_rewritten() {
    let (_d, mut vault, s) = signed_walk();
    let db = vault.db_mut().unwrap();
    let r = db.raw_connection().execute(
        "UPDATE adv_signoffs SET snapshot = 'x' WHERE walk_id = ?1",
        [&s.walk_id],
    );
    assert!(r.is_err());
    assert!(db
        .raw_connection()
        .execute("DELETE FROM adv_signoffs WHERE walk_id = ?1", [&s.walk_id])
        .is_err());
    assert_eq!(walk::get_signoff(db, &s.walk_id).unwrap(), s);
}

#[test]
fn wrong_answers_are_typed_and_change_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let subject = subject_for(db, TemplateKind::Venue);
    let w = walk::start_walk(db, "vigil.venue-advance", None, &subject, "PS Hale").unwrap();
    walk::answer_item(
        db,
        &w.id,
        &input(
            "fire_exits",
            AnswerValue::Check {
                state: CheckState::Ok,
            },
        ),
    )
    .unwrap();
    let before = footprint(db);
    let rows = answer_rows(db);

    // A text answer to a check item.
    match walk::answer_item(
        db,
        &w.id,
        &input(
            "fire_exits",
            AnswerValue::Text {
                text: "fine".into(),
            },
        ),
    )
    .unwrap_err()
    {
        AdvanceError::WrongAnswerKind { item, expected } => {
            assert_eq!(item, "fire_exits");
            assert_eq!(expected, "check");
        }
        other => panic!("{other:?}"),
    }
    // A number to a choice, an option that does not exist, a number out of range.
    assert!(matches!(
        walk::answer_item(
            db,
            &w.id,
            &input("armed_working", AnswerValue::Number { value: 1.0 })
        ),
        Err(AdvanceError::WrongAnswerKind { .. })
    ));
    assert!(matches!(
        walk::answer_item(
            db,
            &w.id,
            &input(
                "armed_working",
                AnswerValue::Choice {
                    option: "Maybe".into()
                }
            )
        ),
        Err(AdvanceError::InvalidInput { .. })
    ));
    assert!(matches!(
        walk::answer_item(
            db,
            &w.id,
            &input("foot_route_minutes", AnswerValue::Number { value: -3.0 })
        ),
        Err(AdvanceError::InvalidInput { .. })
    ));
    // An issue without a note says nothing useful: refused.
    match walk::answer_item(
        db,
        &w.id,
        &input(
            "fire_exits",
            AnswerValue::Check {
                state: CheckState::Issue,
            },
        ),
    )
    .unwrap_err()
    {
        AdvanceError::InvalidInput { field, .. } => assert_eq!(field, "note"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        walk::answer_item(
            db,
            &w.id,
            &input("no_such_item", AnswerValue::NotApplicable)
        ),
        Err(AdvanceError::UnknownItem { .. })
    ));
    assert!(matches!(
        walk::answer_item(
            db,
            "no-such-walk",
            &input("fire_exits", AnswerValue::NotApplicable)
        ),
        Err(AdvanceError::NotFound { .. })
    ));
    assert_eq!(footprint(db), before);
    assert_eq!(answer_rows(db), rows);
}

#[test]
fn walks_need_a_real_subject_of_the_right_kind() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let route = a_route(db);
    let before = footprint(db);
    assert!(matches!(
        walk::start_walk(
            db,
            "vigil.venue-advance",
            None,
            &WalkSubject::Venue {
                venue_id: "missing".into()
            },
            "PS Hale"
        ),
        Err(AdvanceError::NotFound { .. })
    ));
    assert!(matches!(
        walk::start_walk(
            db,
            "vigil.venue-advance",
            None,
            &WalkSubject::Route {
                route_id: route.id.clone()
            },
            "PS Hale"
        ),
        Err(AdvanceError::InvalidInput { .. })
    ));
    assert!(matches!(
        walk::start_walk(
            db,
            "vigil.no-such",
            None,
            &WalkSubject::Route { route_id: route.id },
            "PS Hale"
        ),
        Err(AdvanceError::NotFound { .. })
    ));
    assert_eq!(footprint(db), before);
}

#[test]
fn incident_seed_carries_what_an_incident_needs() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let (venue, w) = venue_walk(db);
    let mut a = input(
        "fire_exits",
        AnswerValue::Check {
            state: CheckState::Issue,
        },
    );
    a.note = "East stair final exit chained shut".into();
    a.position = Some(p(51.5158, -0.0917));
    a.photos = vec!["att-chain-1".into()];
    a.answered_at_ms = Some(1_717_400_000_000);
    walk::answer_item(db, &w.id, &a).unwrap();
    let outbox_before = footprint(db);
    let seed = walk::incident_seed_from_item(db, &w.id, "fire_exits").unwrap();
    assert_eq!(seed.walk_id, w.id);
    assert_eq!(seed.venue_id.as_deref(), Some(venue.id.as_str()));
    assert_eq!(seed.route_id, None);
    assert!(seed.item_label.starts_with("Fire exits walked"));
    assert_eq!(seed.note, "East stair final exit chained shut");
    assert_eq!(seed.position, Some(p(51.5158, -0.0917)));
    assert_eq!(seed.photos, vec!["att-chain-1".to_string()]);
    assert_eq!(seed.observed_at_ms, 1_717_400_000_000);
    assert!(seed.is_issue);
    // Reading the seed writes nothing.
    assert_eq!(footprint(db), outbox_before);
    assert!(matches!(
        walk::incident_seed_from_item(db, &w.id, "toilets"),
        Err(AdvanceError::NotFound { .. })
    ));
}

#[test]
fn walks_survive_lock_and_unlock() {
    let (dir, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let subject = subject_for(db, TemplateKind::Route);
    let w = walk::start_walk(db, "vigil.route-recon", None, &subject, "PS Hale").unwrap();
    walk::answer_item(
        db,
        &w.id,
        &input("journey_minutes", AnswerValue::Number { value: 23.0 }),
    )
    .unwrap();
    vault.lock().unwrap();
    drop(vault);
    let mut vault = vigil_core::Vault::open(dir.path()).unwrap();
    vault
        .unlock_with_passphrase(vigil_testkit::PASSPHRASE, None)
        .unwrap();
    let again = walk::get_walk(vault.db().unwrap(), &w.id).unwrap();
    assert_eq!(
        again.answer("journey_minutes").unwrap().value,
        AnswerValue::Number { value: 23.0 }
    );
    assert_eq!(
        walk::list_walks(vault.db().unwrap(), Some(&subject))
            .unwrap()
            .len(),
        1
    );
}
