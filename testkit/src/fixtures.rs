//! What tests put in a store, built one way: the record inputs the core's API takes,
//! with every field a test does not care about left plain. A test that cares about a
//! field sets it visibly with struct update syntax
//! (`AnswerInput { note: "worn".into(), ..answer("tyres", ok(), "PS Hale") }`).

use vigil_core::advance::{AnswerInput, AnswerValue, CheckState};

/// An answer to checklist item `item_id` by `officer`, observed now: no note, no issue
/// flag, no position, no photos.
pub fn answer(item_id: &str, value: AnswerValue, officer: &str) -> AnswerInput {
    AnswerInput {
        item_id: item_id.into(),
        value,
        note: String::new(),
        issue: false,
        position: None,
        photos: vec![],
        officer: officer.into(),
        answered_at_ms: None,
    }
}

/// A check item's value in `state`.
pub fn check(state: CheckState) -> AnswerValue {
    AnswerValue::Check { state }
}
