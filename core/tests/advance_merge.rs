//! Answers from several officers: the merge is a join (commutative, associative,
//! idempotent), property-tested; remote answers apply through it.

use crate::advance_support;

use advance_support::*;
use proptest::prelude::*;
use vigil_core::advance::merge::{apply_remote_answers, merge_answer, merge_answers};
use vigil_core::advance::walk::{self, Answer, AnswerValue, CheckState, WalkSubject};
use vigil_core::clock::Hlc;
use vigil_testkit::fixtures::{self, check};

fn answer(walk: u8, item: u8, ms: u64, counter: u32, device: u8, state: u8, note: u8) -> Answer {
    let device = format!("dev-{device}");
    Answer {
        walk_id: format!("w{walk}"),
        item_id: format!("i{item}"),
        value: AnswerValue::Check {
            state: [CheckState::Ok, CheckState::Issue, CheckState::NotApplicable]
                [state as usize % 3],
        },
        note: format!("n{note}"),
        issue: state % 3 == 1,
        position: None,
        photos: vec![],
        officer: "PS Hale".into(),
        answered_at_ms: ms,
        device_id: device.clone(),
        hlc: Hlc {
            physical_ms: ms,
            counter,
            device,
        },
    }
}

fn arb_answer() -> impl Strategy<Value = Answer> {
    // Small ranges so that keys and stamps collide often, ties included.
    (0u8..2, 0u8..3, 0u64..4, 0u32..2, 0u8..3, 0u8..3, 0u8..3)
        .prop_map(|(w, i, ms, c, d, s, n)| answer(w, i, ms, c, d, s, n))
}

fn arb_set() -> impl Strategy<Value = Vec<Answer>> {
    proptest::collection::vec(arb_answer(), 0..12)
}

proptest! {
    #[test]
    fn pairwise_merge_is_commutative_associative_idempotent(
        a in arb_answer(), b in arb_answer(), c in arb_answer()
    ) {
        prop_assert_eq!(merge_answer(&a, &b), merge_answer(&b, &a));
        prop_assert_eq!(
            merge_answer(&merge_answer(&a, &b), &c),
            merge_answer(&a, &merge_answer(&b, &c))
        );
        prop_assert_eq!(merge_answer(&a, &a), a);
    }

    #[test]
    fn set_merge_is_commutative_associative_idempotent(
        a in arb_set(), b in arb_set(), c in arb_set()
    ) {
        prop_assert_eq!(merge_answers(&a, &b), merge_answers(&b, &a));
        prop_assert_eq!(
            merge_answers(&merge_answers(&a, &b), &c),
            merge_answers(&a, &merge_answers(&b, &c))
        );
        let m = merge_answers(&a, &[]);
        prop_assert_eq!(merge_answers(&m, &m), m.clone());
        // One record per item, and each is the latest stamp seen for it.
        for x in &m {
            let latest = a.iter()
                .filter(|y| y.walk_id == x.walk_id && y.item_id == x.item_id)
                .map(|y| &y.hlc)
                .max();
            prop_assert_eq!(Some(&x.hlc), latest);
        }
    }
}

#[test]
fn device_id_breaks_a_clock_tie() {
    let a = answer(0, 0, 5, 0, 1, 0, 0);
    let b = answer(0, 0, 5, 0, 2, 1, 1);
    assert_eq!(merge_answer(&a, &b).device_id, "dev-2");
    assert_eq!(merge_answer(&b, &a).device_id, "dev-2");
}

#[test]
fn remote_answers_merge_item_by_item() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let subject = WalkSubject::Other {
        label: "Car 2".into(),
    };
    let w = walk::start_walk(db, "vigil.vehicle-check", None, &subject, "PS Hale").unwrap();
    let ok = fixtures::answer("underside", check(CheckState::Ok), "PS Hale");
    let mine = walk::answer_item(db, &w.id, &ok).unwrap();
    let outbox_before = outbox_kinds(db).len();

    let remote = |item: &str, ms: u64, state: CheckState, note: &str| Answer {
        walk_id: w.id.clone(),
        item_id: item.into(),
        value: AnswerValue::Check { state },
        note: note.into(),
        issue: state == CheckState::Issue,
        position: None,
        photos: vec![],
        officer: "PC Ward".into(),
        answered_at_ms: ms,
        device_id: "other-device".into(),
        hlc: Hlc {
            physical_ms: ms,
            counter: 0,
            device: "other-device".into(),
        },
    };
    // Older than mine: loses. Newer on another item: applied. Wrong kind: rejected.
    let older = remote("underside", 1, CheckState::Issue, "loose panel");
    let newer_other_item = remote("tampering", mine.hlc.physical_ms + 1, CheckState::Ok, "");
    let mut wrong_kind = remote("fuel_level", mine.hlc.physical_ms, CheckState::Ok, "");
    wrong_kind.value = AnswerValue::Text {
        text: "full".into(),
    };
    let report =
        apply_remote_answers(db, &[older.clone(), newer_other_item.clone(), wrong_kind]).unwrap();
    assert_eq!(report.applied, 1);
    assert_eq!(report.kept_local, 1);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].item_id, "fuel_level");

    let after = walk::get_walk(db, &w.id).unwrap();
    assert_eq!(after.answer("underside").unwrap(), &mine);
    assert_eq!(after.answer("tampering").unwrap(), &newer_other_item);
    // Applying the same batch again changes nothing (idempotent).
    let rows = answer_rows(db);
    let again = apply_remote_answers(db, &[older, newer_other_item.clone()]).unwrap();
    assert_eq!(again.applied, 0);
    assert_eq!(answer_rows(db), rows);
    // Remote changes are not re-queued as local ones.
    assert_eq!(outbox_kinds(db).len(), outbox_before);

    // Having seen the remote stamp, a local answer now outranks it.
    let na = fixtures::answer("tampering", AnswerValue::NotApplicable, "PS Hale");
    let local = walk::answer_item(db, &w.id, &na).unwrap();
    assert!(local.hlc > newer_other_item.hlc);
    // A stamp from far in the future is refused, not applied.
    let future = remote("tyres", 4_102_444_800_000, CheckState::Ok, "");
    let r = apply_remote_answers(db, &[future]).unwrap();
    assert_eq!(r.rejected.len(), 1);
    assert!(walk::get_walk(db, &w.id).unwrap().answer("tyres").is_none());
}
