//! Custom checklist templates: validation names the bad field; a refused import stores
//! nothing; walks keep the template they started with.

use crate::advance_support;

use advance_support::*;
use serde_json::json;
use vigil_core::advance::template::{self, ChecklistTemplate};
use vigil_core::advance::walk::{self, WalkSubject};
use vigil_core::advance::AdvanceError;

fn custom(version: u32, items: serde_json::Value) -> serde_json::Value {
    json!({
        "format": "vigil.checklist-template/1",
        "id": "team.embassy-visit",
        "version": version,
        "title": "Embassy visit",
        "kind": "venue",
        "sections": [
            { "id": "arrival", "title": "Arrival", "items": [
                { "id": "gate", "label": "Vehicle gate procedure", "kind": "text", "required": true }
            ]},
            { "id": "inside", "title": "Inside", "items": items }
        ]
    })
}

fn template_error(doc: &serde_json::Value) -> (String, String) {
    match ChecklistTemplate::from_json(&doc.to_string()).unwrap_err() {
        AdvanceError::Template { path, reason } => (path, reason),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_item_kind_is_named_by_path() {
    let doc = custom(
        1,
        json!([
            { "id": "a", "label": "A", "kind": "check" },
            { "id": "b", "label": "B", "kind": "check" },
            { "id": "c", "label": "C", "kind": "check" },
            { "id": "d", "label": "D", "kind": "dropdown" }
        ]),
    );
    let (path, reason) = template_error(&doc);
    assert_eq!(path, "sections[1].items[3].kind");
    assert!(
        reason.contains("unknown item kind \"dropdown\""),
        "{reason}"
    );
    let err = ChecklistTemplate::from_json(&doc.to_string()).unwrap_err();
    assert!(err
        .to_string()
        .contains("sections[1].items[3].kind: unknown item kind \"dropdown\""));
}

#[test]
fn duplicate_item_ids_across_sections_are_refused() {
    let doc = custom(
        1,
        json!([{ "id": "gate", "label": "Again", "kind": "check" }]),
    );
    let (path, reason) = template_error(&doc);
    assert_eq!(path, "sections[1].items[0].id");
    assert!(reason.contains("duplicate item id \"gate\""), "{reason}");
    assert!(reason.contains("sections[0].items[0]"), "{reason}");
}

#[test]
fn other_mistakes_are_named() {
    let cases = [
        (
            custom(
                1,
                json!([{ "id": "x", "label": "X", "kind": "choice", "options": ["Only"] }]),
            ),
            "sections[1].items[0].options",
        ),
        (
            custom(
                1,
                json!([{ "id": "x", "label": "X", "kind": "check", "requierd": true }]),
            ),
            "sections[1].items[0].requierd",
        ),
        (
            custom(1, json!([{ "id": "x", "label": "  ", "kind": "check" }])),
            "sections[1].items[0].label",
        ),
        (
            custom(
                1,
                json!([{ "id": "Bad Id", "label": "X", "kind": "check" }]),
            ),
            "sections[1].items[0].id",
        ),
        (
            custom(
                1,
                json!([{ "id": "x", "label": "X", "kind": "number", "min": 5, "max": 1 }]),
            ),
            "sections[1].items[0].min",
        ),
        (custom(1, json!([])), "sections[1].items"),
        (
            custom(0, json!([{ "id": "x", "label": "X", "kind": "check" }])),
            "version",
        ),
    ];
    for (doc, want) in cases {
        let (path, _) = template_error(&doc);
        assert_eq!(path, want);
    }
    let mut doc = custom(1, json!([{ "id": "x", "label": "X", "kind": "check" }]));
    doc["format"] = json!("vigil.checklist-template/9");
    assert_eq!(template_error(&doc).0, "format");
    assert!(matches!(
        ChecklistTemplate::from_json("{ not json").unwrap_err(),
        AdvanceError::Template { .. }
    ));
}

#[test]
fn import_stores_once_and_refusals_change_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let good = custom(
        1,
        json!([{ "id": "x", "label": "X", "kind": "check", "required": true }]),
    );
    let t = template::import_template(db, &good.to_string()).unwrap();
    assert_eq!(t.id, "team.embassy-visit");
    assert_eq!(outbox_kinds(db), vec!["checklist.template.import"]);
    // Importing the identical document again is a no-op.
    template::import_template(db, &good.to_string()).unwrap();
    let before = footprint(db);

    let bad = custom(
        1,
        json!([{ "id": "gate", "label": "Dup", "kind": "check" }]),
    );
    assert!(template::import_template(db, &bad.to_string()).is_err());
    // Same id and version, different content: refused.
    let changed = custom(1, json!([{ "id": "y", "label": "Y", "kind": "check" }]));
    match template::import_template(db, &changed.to_string()).unwrap_err() {
        AdvanceError::Template { path, .. } => assert_eq!(path, "version"),
        other => panic!("{other:?}"),
    }
    // A custom template may not take a built-in id.
    let mut squat = good.clone();
    squat["id"] = json!("vigil.venue-advance");
    assert!(template::import_template(db, &squat.to_string()).is_err());
    assert_eq!(footprint(db), before);

    let names: Vec<String> = template::list_templates(db)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(names.contains(&"team.embassy-visit".to_string()));
    assert!(names.contains(&"vigil.hotel-room".to_string()));
}

#[test]
fn a_walk_keeps_the_template_it_started_with() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let venue = a_venue(db);
    let v1 = custom(
        1,
        json!([{ "id": "x", "label": "Old label", "kind": "check" }]),
    );
    template::import_template(db, &v1.to_string()).unwrap();
    let subject = WalkSubject::Venue {
        venue_id: venue.id.clone(),
    };
    let w = walk::start_walk(db, "team.embassy-visit", None, &subject, "PS Hale").unwrap();
    let v2 = custom(
        2,
        json!([{ "id": "x", "label": "New label", "kind": "text" }]),
    );
    template::import_template(db, &v2.to_string()).unwrap();
    let again = walk::get_walk(db, &w.id).unwrap();
    assert_eq!(again.template.version, 1);
    assert_eq!(again.template.item("x").unwrap().label, "Old label");
    let latest = walk::start_walk(db, "team.embassy-visit", None, &subject, "PS Hale").unwrap();
    assert_eq!(latest.template.version, 2);
}
