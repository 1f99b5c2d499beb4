//! Checklist templates are read strictly and within limits: a key given twice is refused
//! (it was "last wins"), as are too many sections, items or options and oversized
//! documents (200,000 items were accepted); nothing is stored on refusal.

use crate::advance_support;

use advance_support::*;
use serde_json::json;
use vigil_core::advance::template::{
    self, ChecklistTemplate, MAX_ITEMS, MAX_OPTIONS, MAX_SECTIONS, MAX_TEMPLATE_BYTES,
};
use vigil_core::advance::AdvanceError;

fn doc(sections: serde_json::Value) -> serde_json::Value {
    json!({
        "format": "vigil.checklist-template/1",
        "id": "team.limits",
        "version": 1,
        "title": "Limits",
        "kind": "venue",
        "sections": sections
    })
}

fn items(n: usize, prefix: &str) -> serde_json::Value {
    (0..n)
        .map(|i| json!({ "id": format!("{prefix}{i}"), "label": "L", "kind": "check" }))
        .collect()
}

fn too_large(text: &str) -> (&'static str, u64) {
    match ChecklistTemplate::from_json(text) {
        Err(AdvanceError::TooLarge { what, limit }) => (what, limit),
        Err(other) => panic!("expected TooLarge, got {other:?}"),
        Ok(_) => panic!("expected TooLarge, got a template"),
    }
}

#[test]
fn a_key_given_twice_is_refused_wherever_it_is() {
    let base = doc(json!([{ "id": "s", "title": "S", "items": items(1, "i") }])).to_string();
    assert!(ChecklistTemplate::from_json(&base).is_ok());
    for (twice, key) in [
        // At the top: which title would the store keep?
        (
            base.replacen(
                "\"title\":\"Limits\"",
                "\"title\":\"Limits\",\"title\":\"Other\"",
                1,
            ),
            "title",
        ),
        // Inside an item.
        (
            base.replacen("\"label\":\"L\"", "\"label\":\"L\",\"label\":\"M\"", 1),
            "label",
        ),
        (
            base.replacen(
                "\"kind\":\"check\"",
                "\"kind\":\"check\",\"kind\":\"text\"",
                1,
            ),
            "kind",
        ),
    ] {
        assert_ne!(twice, base, "the replacement applied");
        match ChecklistTemplate::from_json(&twice).unwrap_err() {
            AdvanceError::Template { path, reason } => {
                assert_eq!(path, "(document)");
                assert!(
                    reason.contains(&format!("duplicate key \"{key}\"")),
                    "{reason}"
                );
                assert!(reason.contains("line 1"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn too_many_sections_items_or_options_are_refused() {
    let sections: serde_json::Value = (0..=MAX_SECTIONS)
        .map(|s| json!({ "id": format!("s{s}"), "title": "S", "items": items(1, &format!("s{s}i")) }))
        .collect();
    assert_eq!(
        too_large(&doc(sections).to_string()),
        ("sections in a template", MAX_SECTIONS as u64)
    );
    // Items over two sections, each within any per-section reading.
    let half = MAX_ITEMS / 2 + 1;
    let two = json!([
        { "id": "a", "title": "A", "items": items(half, "a") },
        { "id": "b", "title": "B", "items": items(half, "b") }
    ]);
    assert_eq!(
        too_large(&doc(two).to_string()),
        ("items in a template", MAX_ITEMS as u64)
    );
    // 200,000 items: refused by size before anything is read.
    let huge = doc(json!([{ "id": "s", "title": "S", "items": items(200_000, "i") }])).to_string();
    assert_eq!(
        too_large(&huge),
        ("template bytes", MAX_TEMPLATE_BYTES as u64)
    );
    let options: Vec<String> = (0..=MAX_OPTIONS).map(|i| format!("o{i}")).collect();
    let choice = json!([{ "id": "s", "title": "S", "items": [
        { "id": "c", "label": "C", "kind": "choice", "options": options }
    ]}]);
    assert_eq!(
        too_large(&doc(choice).to_string()),
        ("options of a choice item", MAX_OPTIONS as u64)
    );
    // At the limits, a template is read.
    let at: serde_json::Value = (0..MAX_SECTIONS)
        .map(|s| {
            json!({ "id": format!("s{s}"), "title": "S",
                    "items": items(MAX_ITEMS / MAX_SECTIONS, &format!("s{s}i")) })
        })
        .collect();
    let t = ChecklistTemplate::from_json(&doc(at).to_string()).unwrap();
    assert_eq!(t.items().count(), MAX_ITEMS);
}

#[test]
fn text_beyond_its_length_is_refused_by_path() {
    let long = "x".repeat(301);
    let d = doc(json!([{ "id": "s", "title": "S", "items": [
        { "id": "i", "label": long, "kind": "check" }
    ]}]));
    match ChecklistTemplate::from_json(&d.to_string()).unwrap_err() {
        AdvanceError::Template { path, reason } => {
            assert_eq!(path, "sections[0].items[0].label");
            assert!(reason.contains("longer than 300"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn refused_imports_store_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let good = doc(json!([{ "id": "s", "title": "S", "items": items(2, "i") }])).to_string();
    template::import_template(db, &good).unwrap();
    let before = footprint(db);
    let twice = good.replacen("\"version\":1", "\"version\":2,\"version\":3", 1);
    assert!(template::import_template(db, &twice).is_err());
    let many = doc(json!([{ "id": "s", "title": "S", "items": items(MAX_ITEMS + 1, "i") }]));
    assert!(matches!(
        template::import_template(db, &many.to_string()),
        Err(AdvanceError::TooLarge { .. })
    ));
    assert_eq!(footprint(db), before);
}
