//! Property: whatever offline edits two or three devices make and in whatever order they
//! sync, once each has synced after the last edit they all hold the same set of changes,
//! each exactly once, the server holds each device's entries gap-free, and every device
//! shows one shared checklist walk identically: answered, completed and signed off on
//! any device, answers racing completions and sign-offs. Real server, real encrypted
//! stores; a fixed seed and few cases to stay fast and deterministic.

use crate::common;

use std::collections::BTreeSet;

use common::{Device, TestServer};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::json;
use vigil_core::advance::template::ChecklistTemplate;
use vigil_core::advance::walk::{self, AnswerInput, CheckState, WalkSubject};
use vigil_core::advance::AdvanceError;
use vigil_core::sync::InboxState;
use vigil_testkit::fixtures::{answer, check};

#[derive(Clone, Debug)]
enum Op {
    /// Device `d` writes `n` changes while offline.
    Edit { d: usize, n: u8 },
    /// Device `d` syncs.
    Sync { d: usize },
    /// Device `d` answers item `item` of the shared walk (0 ok, 1 issue, 2 n/a).
    Answer { d: usize, item: usize, state: u8 },
    /// Device `d` completes the shared walk (refused while an item is unanswered).
    Complete { d: usize },
    /// Device `d` signs the shared walk off (refused unless completed there).
    SignOff { d: usize },
    /// Device `d` answers what it has unanswered, completes and signs off, in one go.
    Finish { d: usize },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..devices, 1u8..4).prop_map(|(d, n)| Op::Edit { d, n }),
        2 => (0..devices).prop_map(|d| Op::Sync { d }),
        3 => (0..devices, 0..ITEMS.len(), 0u8..3).prop_map(|(d, item, state)| Op::Answer { d, item, state }),
        2 => (0..devices).prop_map(|d| Op::Complete { d }),
        2 => (0..devices).prop_map(|d| Op::SignOff { d }),
        2 => (0..devices).prop_map(|d| Op::Finish { d }),
    ]
}

const ITEMS: [&str; 2] = ["exits", "tyres"];

fn template() -> ChecklistTemplate {
    ChecklistTemplate::from_json(
        r#"{"format": "vigil.checklist-template/1", "id": "test.car", "version": 1,
            "title": "Car", "kind": "vehicle", "sections": [{"id": "s", "title": "Car",
            "items": [{"id": "exits", "label": "Exits", "kind": "check", "required": true},
                      {"id": "tyres", "label": "Tyres", "kind": "check", "required": true}]}]}"#,
    )
    .unwrap()
}

fn ok_answer(item: &str, officer: &str) -> AnswerInput {
    answer(item, check(CheckState::Ok), officer)
}

/// Refusals a device may rightly give to a walk operation; anything else fails the test.
fn expected_refusal(r: Result<(), AdvanceError>) {
    match r {
        Ok(())
        | Err(AdvanceError::WrongWalkState { .. })
        | Err(AdvanceError::RequiredUnanswered { .. }) => {}
        Err(e) => panic!("unexpected refusal: {e}"),
    }
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>, Vec<usize>)> {
    (2usize..=3).prop_flat_map(|devices| {
        (
            Just(devices),
            proptest::collection::vec(op(devices), 1..24),
            Just((0..devices).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        rng_seed: RngSeed::Fixed(0x5167_0017),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_offline_edits_and_sync_orders_converge((n, ops, final_order) in scenario()) {
        let server = TestServer::start();
        let team = server.new_team("Property");
        let mut devs: Vec<Device> = (0..n).map(|_| Device::new(&server.url())).collect();
        for (i, d) in devs.iter_mut().enumerate() {
            d.enroll(&server, &team, &format!("officer {i}"));
        }
        // The shared walk, started on device 0 and known to all before the edits.
        let w = walk::start_walk_with(
            devs[0].db(),
            &template(),
            &WalkSubject::Other { label: "Car 2".into() },
            "officer 0",
        )
        .unwrap();
        for d in devs.iter_mut() {
            d.sync().expect("sync");
        }
        let mut signed_somewhere = false;
        let mut written: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
        let mut counter = 0u32;
        for o in &ops {
            match *o {
                Op::Edit { d, n } => {
                    for _ in 0..n {
                        counter += 1;
                        let entity = format!("d{d}-{counter}");
                        devs[d].emit("note", &entity, json!({"by": d, "k": counter}));
                        written[d].insert(entity);
                    }
                }
                Op::Sync { d } => {
                    devs[d].sync().expect("sync");
                }
                Op::Answer { d, item, state } => {
                    let state = [CheckState::Ok, CheckState::Issue, CheckState::NotApplicable]
                        [state as usize];
                    let input = AnswerInput {
                        value: check(state),
                        note: if state == CheckState::Issue { "worn".into() } else { String::new() },
                        ..ok_answer(ITEMS[item], &format!("officer {d}"))
                    };
                    expected_refusal(walk::answer_item(devs[d].db(), &w.id, &input).map(|_| ()));
                }
                Op::Complete { d } => {
                    let officer = format!("officer {d}");
                    expected_refusal(walk::complete_walk(devs[d].db(), &w.id, &officer).map(|_| ()));
                }
                Op::SignOff { d } => {
                    let officer = format!("officer {d}");
                    let r = walk::sign_off_walk(devs[d].db(), &w.id, &officer);
                    signed_somewhere |= r.is_ok();
                    expected_refusal(r.map(|_| ()));
                }
                Op::Finish { d } => {
                    let officer = format!("officer {d}");
                    let current = walk::get_walk(devs[d].db(), &w.id).unwrap();
                    for item in current.missing_required() {
                        let r = walk::answer_item(devs[d].db(), &w.id, &ok_answer(&item, &officer));
                        expected_refusal(r.map(|_| ()));
                    }
                    expected_refusal(walk::complete_walk(devs[d].db(), &w.id, &officer).map(|_| ()));
                    let r = walk::sign_off_walk(devs[d].db(), &w.id, &officer);
                    signed_somewhere |= r.is_ok();
                    expected_refusal(r.map(|_| ()));
                }
            }
        }
        // Everyone syncs once in a random order (pushes), then once more (pulls the rest).
        for &d in final_order.iter().chain(final_order.iter()) {
            devs[d].sync().expect("final sync");
        }
        let all: BTreeSet<String> = written.iter().flatten().cloned().collect();
        // Every device shows the same walk, and the same sign-offs (the first sealed one
        // the walk's). Answers that arrived after a sign-off are refused, saying so;
        // nothing else is refused.
        let expected = walk::get_walk(devs[0].db(), &w.id).unwrap();
        let expected_seals = walk::list_signoffs(devs[0].db(), &w.id).unwrap();
        prop_assert_eq!(expected.state == walk::WalkState::SignedOff, signed_somewhere);
        for (i, d) in devs.iter_mut().enumerate() {
            prop_assert_eq!(&walk::get_walk(d.db(), &w.id).unwrap(), &expected, "device {} walk", i);
            prop_assert_eq!(&walk::list_signoffs(d.db(), &w.id).unwrap(), &expected_seals);
            for e in d.inbox() {
                if e.state != InboxState::Applied && e.state != InboxState::Stored {
                    let note = e.note.clone().unwrap_or_default();
                    prop_assert!(
                        e.change.kind == "checklist.answer" && note.contains("signed off"),
                        "device {} refused {} ({:?}): {}", i, e.change.kind, e.state, note
                    );
                }
            }
        }
        for (i, d) in devs.iter_mut().enumerate() {
            prop_assert_eq!(d.status().pending, 0);
            let inbox: Vec<String> = d
                .inbox()
                .into_iter()
                .filter(|e| e.change.kind == "note")
                .map(|e| e.change.entity_id)
                .collect();
            let unique: BTreeSet<String> = inbox.iter().cloned().collect();
            prop_assert_eq!(inbox.len(), unique.len(), "device {} received a change twice", i);
            let view: BTreeSet<String> = unique.union(&written[i]).cloned().collect();
            prop_assert_eq!(&view, &all, "device {} diverged", i);
        }
        let changes = server.team_changes(&team);
        prop_assert_eq!(changes.iter().filter(|c| c.kind == "note").count(), all.len());
        for d in devs.iter_mut() {
            let id = d.id();
            let mut seqs: Vec<u64> = changes.iter().filter(|c| c.device_id == id).map(|c| c.seq).collect();
            seqs.sort();
            prop_assert_eq!(seqs.clone(), (1..=seqs.len() as u64).collect::<Vec<_>>());
        }
    }
}
