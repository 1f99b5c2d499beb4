//! Property: whatever offline edits two or three devices make and in whatever order they
//! sync, once each has synced after the last edit they all hold the same set of changes,
//! each exactly once, and the server holds each device's entries gap-free. Real server,
//! real encrypted stores; few cases to stay fast.

mod common;

use std::collections::BTreeSet;

use common::{Device, TestServer};
use proptest::prelude::*;
use serde_json::json;

#[derive(Clone, Debug)]
enum Op {
    /// Device `d` writes `n` changes while offline.
    Edit { d: usize, n: u8 },
    /// Device `d` syncs.
    Sync { d: usize },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..devices, 1u8..4).prop_map(|(d, n)| Op::Edit { d, n }),
        (0..devices).prop_map(|d| Op::Sync { d }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>, Vec<usize>)> {
    (2usize..=3).prop_flat_map(|devices| {
        (
            Just(devices),
            proptest::collection::vec(op(devices), 1..16),
            Just((0..devices).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_offline_edits_and_sync_orders_converge((n, ops, final_order) in scenario()) {
        let server = TestServer::start();
        let team = server.new_team("Property");
        let mut devs: Vec<Device> = (0..n).map(|_| Device::new(&server.url())).collect();
        for (i, d) in devs.iter_mut().enumerate() {
            d.enroll(&server, &team, &format!("officer {i}"));
        }
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
            }
        }
        // Everyone syncs once in a random order (pushes), then once more (pulls the rest).
        for &d in final_order.iter().chain(final_order.iter()) {
            devs[d].sync().expect("final sync");
        }
        let all: BTreeSet<String> = written.iter().flatten().cloned().collect();
        for (i, d) in devs.iter_mut().enumerate() {
            prop_assert_eq!(d.status().pending, 0);
            let inbox: Vec<String> = d.inbox().into_iter().map(|e| e.change.entity_id).collect();
            let unique: BTreeSet<String> = inbox.iter().cloned().collect();
            prop_assert_eq!(inbox.len(), unique.len(), "device {} received a change twice", i);
            let view: BTreeSet<String> = unique.union(&written[i]).cloned().collect();
            prop_assert_eq!(&view, &all, "device {} diverged", i);
        }
        let changes = server.team_changes(&team);
        prop_assert_eq!(changes.len(), all.len());
        for (i, d) in devs.iter_mut().enumerate() {
            let id = d.id();
            let mut seqs: Vec<u64> = changes.iter().filter(|c| c.device_id == id).map(|c| c.seq).collect();
            seqs.sort();
            prop_assert_eq!(seqs, (1..=written[i].len() as u64).collect::<Vec<_>>());
        }
    }
}
