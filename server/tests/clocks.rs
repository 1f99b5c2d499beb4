//! Clocks: devices whose clocks are an hour off still converge, stamps written before the
//! server's time was known are rebased, a stamp in 2099 is refused, and a server whose
//! clock steps back keeps answering with non-decreasing times and increasing cursors.
//! Real servers on loopback, real encrypted stores on disk.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{
    edit_venue, log, new_venue, post_json, sync_until_quiet, vehicle_walk, Device, TestServer,
};
use serde_json::json;
use vigil_core::advance::venue;
use vigil_core::advance::walk::{self, CheckState};
use vigil_core::clock::hlc::MAX_FORWARD_DRIFT_MS;
use vigil_core::clock::Hlc;
use vigil_core::incident::{IncidentFilter, IncidentLog, Page};
use vigil_core::sync::protocol::{
    EntryOutcome, ErrorBody, PullPage, PullRequest, PushBatch, PushEntry, PushResult,
};
use vigil_core::sync::InboxState;
use vigil_core::testing::RawConnection;
use vigil_server::ShiftedClock;
use vigil_testkit::fixtures;

const HOUR: i64 = 3_600_000;

fn incident_ids(d: &mut Device) -> Vec<String> {
    let mut ids: Vec<String> = IncidentLog::new(&mut d.vault)
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap()
        .into_iter()
        .map(|s| s.incident_id)
        .collect();
    ids.sort();
    ids
}

fn answer(d: &mut Device, walk_id: &str, item: &str, state: CheckState) {
    let mut input = fixtures::answer(item, fixtures::check(state), "Officer");
    if state == CheckState::Issue {
        input.note = "Tyre worn".into();
    }
    walk::answer_item(d.db(), walk_id, &input).unwrap();
}

fn answers(d: &mut Device, walk_id: &str) -> Vec<(String, String)> {
    let mut a: Vec<(String, String)> = walk::get_walk(d.db(), walk_id)
        .unwrap()
        .answers
        .into_iter()
        .map(|a| (a.item_id, serde_json::to_string(&a.value).unwrap()))
        .collect();
    a.sort();
    a
}

/// Nothing quarantined, nothing refused or failed in the inbox.
fn all_clean(d: &mut Device) {
    let st = d.status();
    assert_eq!(
        st.quarantined,
        0,
        "{:?}",
        vigil_core::store::outbox::quarantined(d.db().raw_connection())
    );
    let bad: Vec<_> = d
        .inbox()
        .into_iter()
        .filter(|e| e.state != InboxState::Applied && e.change.kind != "incident.attachment")
        .map(|e| (e.change.kind, e.state, e.note))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn devices_an_hour_ahead_and_behind_converge_and_the_later_real_edit_wins() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut devs: Vec<Device> = (0..3).map(|_| Device::new(&server.url())).collect();
    // Device 0 an hour ahead, device 1 an hour behind, device 2 right: set before enrolling.
    devs[0].shift_clock(HOUR);
    devs[1].shift_clock(-HOUR);
    for (i, d) in devs.iter_mut().enumerate() {
        d.enroll(&server, &team, &format!("Officer {i}"));
    }
    // The offset was learned at enrollment.
    let offsets: Vec<i64> = devs
        .iter_mut()
        .map(|d| d.status().clock_offset_ms)
        .collect();
    assert!((offsets[0] + HOUR).abs() < 5_000, "{offsets:?}");
    assert!((offsets[1] - HOUR).abs() < 5_000, "{offsets:?}");
    assert!(offsets[2].abs() < 5_000, "{offsets:?}");

    // Shared start, made on the device an hour behind.
    let v = new_venue(&mut devs[1], "Grand Hotel");
    let (_, w, checks) = vehicle_walk(&mut devs[0]);
    for d in devs.iter_mut() {
        d.sync().unwrap();
    }
    for d in devs.iter_mut() {
        d.sync().unwrap();
        assert_eq!(venue::get_venue(d.db(), &v).unwrap().name, "Grand Hotel");
        assert!(walk::get_walk(d.db(), &w).is_ok());
    }

    // Each device's learned offset is off by up to its request's round trip (more on a busy
    // machine, where every test shares one process). "Later" below means later by more
    // than the spread of those errors, so the order this test asserts is the real one.
    let shifts = [HOUR, -HOUR, 0];
    let errors: Vec<i64> = devs
        .iter_mut()
        .zip(shifts)
        .map(|(d, shift)| d.status().clock_offset_ms + shift)
        .collect();
    let spread = errors.iter().max().unwrap() - errors.iter().min().unwrap();
    assert!(spread < 5_000, "learned offsets too far off: {errors:?}");
    let gap = Duration::from_millis(spread.unsigned_abs() + 20);

    // Offline work. The device an hour ahead edits first, the one behind later: without
    // the learned offset the one ahead would win every conflict.
    let i0 = log(&mut devs[0], "Grey van opposite the entrance");
    let i1 = log(&mut devs[1], "Drone over the car park");
    let i2 = log(&mut devs[2], "Photographer at the side gate");
    edit_venue(&mut devs[0], &v, |i| {
        i.name = "Name from the fast clock".into()
    });
    edit_venue(&mut devs[2], &v, |i| {
        i.address = Some("1 The Strand".into())
    });
    answer(&mut devs[0], &w, &checks[0], CheckState::Ok);
    answer(&mut devs[2], &w, &checks[1], CheckState::Ok);
    std::thread::sleep(gap);
    edit_venue(&mut devs[1], &v, |i| {
        i.name = "Name from the slow clock".into();
        i.notes = "Loading bay at the rear".into();
    });
    answer(&mut devs[1], &w, &checks[0], CheckState::Issue);
    answer(&mut devs[1], &w, &checks[2], CheckState::NotApplicable);
    std::thread::sleep(gap);
    // And a later edit of the address by the fast device beats the right one's.
    edit_venue(&mut devs[0], &v, |i| {
        i.address = Some("2 The Strand".into())
    });

    sync_until_quiet(&mut devs);

    let expected_incidents = incident_ids(&mut devs[0]);
    let mut want = vec![i0, i1, i2];
    want.sort();
    assert_eq!(expected_incidents, want);
    let expected_answers = answers(&mut devs[0], &w);
    assert_eq!(expected_answers.len(), 3);
    let first = expected_answers.iter().find(|a| a.0 == checks[0]).unwrap();
    assert!(
        first.1.contains("issue"),
        "the later answer (slow clock) wins"
    );
    let venue0 = venue::get_venue(devs[0].db(), &v).unwrap();
    assert_eq!(venue0.name, "Name from the slow clock");
    assert_eq!(venue0.notes, "Loading bay at the rear");
    assert_eq!(venue0.address.as_deref(), Some("2 The Strand"));
    for d in devs.iter_mut() {
        assert_eq!(incident_ids(d), expected_incidents);
        assert_eq!(answers(d, &w), expected_answers);
        assert_eq!(venue::get_venue(d.db(), &v).unwrap(), venue0);
        let report = IncidentLog::new(&mut d.vault).verify().unwrap();
        assert!(report.ok, "{report:?}");
        all_clean(d);
        // Every stamp this device made is on the team's time, not its own clock's.
        let last = d.db().clock().last().physical_ms;
        assert!(last.abs_diff(vigil_core::clock::now_ms()) < 60_000);
    }
}

#[test]
fn changes_written_an_hour_ahead_before_enrolling_are_rebased_and_reach_the_team() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut fast = Device::new(&server.url());
    let mut right = Device::new(&server.url());
    fast.shift_clock(HOUR);
    // Offline, before ever talking to the server: a venue, an edit and an incident.
    let v = new_venue(&mut fast, "Harbour Hotel");
    edit_venue(&mut fast, &v, |i| i.notes = "Side door unlocked".into());
    let inc = log(&mut fast, "Man filming the convoy");
    let ahead = fast.pending();
    assert!(ahead
        .iter()
        .all(|e| e.hlc.physical_ms > vigil_core::clock::now_ms() + MAX_FORWARD_DRIFT_MS));

    fast.enroll(&server, &team, "Fast");
    right.enroll(&server, &team, "Right");
    // Enrolling taught the offset and rebased the stamps: the outbox now lies within the
    // team's time, in the same order, payload stamps included.
    let rebased = fast.pending();
    assert_eq!(rebased.len(), ahead.len());
    let now = vigil_core::clock::now_ms();
    for (a, b) in ahead.iter().zip(&rebased) {
        assert_eq!((a.seq, &a.op_id), (b.seq, &b.op_id));
        assert!(b.hlc.physical_ms <= now + 1_000, "{} vs {now}", b.hlc);
        assert!(b.hlc.physical_ms + 30 * 60_000 > now);
        assert!(!b
            .payload
            .to_string()
            .contains(&format!("{:013}", a.hlc.physical_ms)));
    }
    assert!(rebased.windows(2).all(|p| p[0].hlc < p[1].hlc));
    let venue_row = rebased.iter().find(|e| e.kind == "venue.upsert").unwrap();
    assert!(
        venue_row.payload["updated"]
            .as_str()
            .unwrap()
            .parse::<Hlc>()
            .unwrap()
            .physical_ms
            <= now + 1_000
    );

    let r = fast.sync().unwrap();
    assert_eq!((r.pushed, r.quarantined), (ahead.len() as u64, 0));
    right.sync().unwrap();
    assert_eq!(incident_ids(&mut right), vec![inc.clone()]);
    let got = venue::get_venue(right.db(), &v).unwrap();
    assert_eq!(got.notes, "Side door unlocked");
    // A later edit on the right clock wins: the rebased stamps are not in the future.
    std::thread::sleep(Duration::from_millis(20));
    edit_venue(&mut right, &v, |i| i.notes = "Side door now locked".into());
    right.sync().unwrap();
    fast.sync().unwrap();
    for d in [&mut fast, &mut right] {
        assert_eq!(
            venue::get_venue(d.db(), &v).unwrap().notes,
            "Side door now locked"
        );
        assert_eq!(incident_ids(d), vec![inc.clone()]);
        let report = IncidentLog::new(&mut d.vault).verify().unwrap();
        assert!(report.ok, "{report:?}");
        all_clean(d);
    }
}

fn hlc(ms: u64, device: &str) -> Hlc {
    Hlc {
        physical_ms: ms,
        counter: 0,
        device: device.into(),
    }
}

#[test]
fn a_stamp_in_2099_is_refused_by_the_server_and_by_a_device() {
    const Y2099: u64 = 4_070_908_800_000; // 2099-01-01T00:00:00Z
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    let id = a.id();
    let now = vigil_core::clock::now_ms();
    let entry = |seq: u64, ms: u64| PushEntry {
        seq,
        op_id: format!("op-2099-{seq}"),
        hlc: hlc(ms, &id),
        kind: "note".into(),
        entity_id: format!("n{seq}"),
        payload: json!({"text": "x"}),
    };
    let batch = PushBatch::signed(
        &id,
        vec![entry(1, Y2099), entry(2, now)],
        a.db().device_key(),
    );
    let t = server.transport();
    let (status, body) = post_json(&t, "/v1/push", &batch);
    assert_eq!(status, 200);
    let result: PushResult = serde_json::from_slice(&body).unwrap();
    assert!(result
        .server_time_ms
        .is_some_and(|s| s.abs_diff(now) < 60_000));
    assert_eq!(
        result.results[0].outcome,
        EntryOutcome::Rejected {
            reason: "clock stamp too far in the future".into()
        }
    );
    assert_eq!(result.results[1].outcome, EntryOutcome::Applied);
    let stored: Vec<String> = server
        .team_changes(&team)
        .into_iter()
        .map(|c| c.op_id)
        .collect();
    assert_eq!(stored, vec!["op-2099-2".to_string()]);

    // A server that let one through (older, or broken): stored behind the checks.
    let record = server.storage.device(&id).unwrap().unwrap();
    let outcomes = server
        .storage
        .push(&record, &[entry(3, Y2099)], now, &|_, _| Ok(None))
        .unwrap();
    assert_eq!(outcomes, vec![EntryOutcome::Applied]);
    let before = b.db().clock().last().clone();
    let r = b.sync().unwrap();
    assert_eq!((r.pulled, r.refused), (2, 1));
    let inbox = b.inbox();
    let far = inbox
        .iter()
        .find(|e| e.change.op_id == "op-2099-3")
        .unwrap();
    assert_eq!(far.state, InboxState::Refused);
    assert!(far.note.as_deref().unwrap_or("").contains("ahead"));
    let near = inbox
        .iter()
        .find(|e| e.change.op_id == "op-2099-2")
        .unwrap();
    assert_eq!(near.state, InboxState::Stored);
    // The local clock did not move towards 2099.
    let after = b.db().clock().last().clone();
    assert!(after.physical_ms < now + 60_000, "{before} -> {after}");
    let next = b.db().write(|w| w.stamp()).unwrap();
    assert!(next.physical_ms < now + 60_000);
}

/// A pull signed by hand (cursor chosen by the test), at `issued_ms`; on a stale refusal
/// it retries once at the time the error body told.
fn raw_pull(server: &TestServer, d: &mut Device, cursor: u64, issued_ms: u64) -> (PullPage, u64) {
    let t = server.transport();
    let id = d.id();
    let req = PullRequest::signed(&id, cursor, 500, issued_ms, d.db().device_key());
    let (status, body) = post_json(&t, "/v1/pull", &req);
    if status == 200 {
        let page: PullPage = serde_json::from_slice(&body).unwrap();
        return (page, issued_ms);
    }
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    let err: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(err.error, "stale_request");
    let told = err
        .server_time_ms
        .expect("error bodies tell the server's time");
    let req = PullRequest::signed(&id, cursor, 500, told, d.db().device_key());
    let (status, body) = post_json(&t, "/v1/pull", &req);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    (serde_json::from_slice(&body).unwrap(), told)
}

#[test]
fn a_server_clock_stepping_back_and_forward_keeps_times_and_cursors_monotonic() {
    let clock = Arc::new(ShiftedClock::new(0));
    let server = TestServer::start_with_clock(clock.clone());
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    let mut b = Device::new(&server.url());
    let mut watcher = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    b.enroll(&server, &team, "B");
    watcher.enroll(&server, &team, "W");

    let mut cursor = 0u64;
    let mut last_time = 0u64;
    let mut issued = vigil_core::clock::now_ms();
    let mut seen: Vec<String> = Vec::new();
    let mut emitted: Vec<String> = Vec::new();
    let steps: [Option<i64>; 6] = [None, Some(-2 * HOUR), None, None, Some(30 * 60_000), None];
    for (round, step) in steps.iter().enumerate() {
        if let Some(offset) = step {
            clock.set_offset_ms(*offset);
        }
        for (name, d) in [("a", &mut a), ("b", &mut b)] {
            for k in 0..2 {
                let seq = d.emit("note", &format!("{name}-{round}-{k}"), json!({"r": round}));
                emitted.push(
                    d.pending()
                        .into_iter()
                        .find(|e| e.seq == seq)
                        .unwrap()
                        .op_id,
                );
            }
            let r = d
                .sync()
                .unwrap_or_else(|e| panic!("round {round}: {name} failed: {e}"));
            assert_eq!(r.quarantined, 0, "round {round}");
            assert_eq!(d.status().quarantined, 0);
        }
        // The watcher pulls by hand so the cursors and times can be checked.
        issued = issued.max(last_time);
        let (page, at) = raw_pull(&server, &mut watcher, cursor, issued);
        issued = at;
        assert!(!page.resync_from_scratch);
        assert_eq!(page.changes.len(), 4, "round {round}");
        let seqs: Vec<u64> = page.changes.iter().map(|c| c.server_seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
        assert!(
            page.next_cursor > cursor,
            "round {round}: cursor went {cursor} -> {}",
            page.next_cursor
        );
        assert!(seqs[0] > cursor);
        cursor = page.next_cursor;
        let t = page
            .server_time_ms
            .expect("pull pages tell the server's time");
        assert!(t >= last_time, "round {round}: server time went back");
        last_time = t;
        seen.extend(page.changes.into_iter().map(|c| c.op_id));
    }
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "each change seen once");
    let mut s = seen.clone();
    s.sort();
    emitted.sort();
    assert_eq!(s, emitted);
    // Each device got the other's changes exactly once, all stored.
    for d in [&mut a, &mut b] {
        d.sync().unwrap();
        let inbox = d.inbox();
        assert_eq!(inbox.len(), 12);
        let ops: HashSet<String> = inbox.iter().map(|e| e.change.op_id.clone()).collect();
        assert_eq!(ops.len(), 12);
        assert!(inbox.iter().all(|e| e.state == InboxState::Stored));
        assert_eq!(d.status().last_error, None);
    }
}

#[test]
fn a_pull_refused_as_stale_after_the_device_clock_moved_recovers_by_itself() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    let mut b = Device::new(&server.url());
    let wall = a.shift_clock(0);
    a.enroll(&server, &team, "A");
    b.enroll(&server, &team, "B");
    b.emit("note", "n1", json!({"t": 1}));
    b.sync().unwrap();
    assert!(a.status().clock_offset_ms.abs() < 5_000);

    // The phone's clock moves an hour ahead after the offset was learned. Nothing to push:
    // the pull goes first, is refused as stale, the server's time is learned, and the
    // retry succeeds within the same sync.
    wall.set_offset_ms(HOUR);
    let r = a.sync().unwrap();
    assert_eq!(r.pulled, 1);
    assert!((a.status().clock_offset_ms + HOUR).abs() < 5_000);
    assert_eq!(a.status().last_error, None);

    // Then it jumps back an hour behind, and the officer writes before syncing: the
    // stamp is two hours behind the team (harmless) ... and then it jumps two hours
    // ahead and writes again: the server's time is asked before pushing, the stamps far
    // ahead are rebased, nothing is refused.
    wall.set_offset_ms(-HOUR);
    a.emit("note", "n2", json!({"t": 2}));
    wall.set_offset_ms(2 * HOUR);
    a.emit("note", "n3", json!({"t": 3}));
    let pending = a.pending();
    assert!(pending[1].hlc.physical_ms > vigil_core::clock::now_ms() + HOUR as u64 / 2);
    let r = a.sync().unwrap();
    assert_eq!((r.pushed, r.quarantined), (2, 0));
    assert!((a.status().clock_offset_ms + 2 * HOUR).abs() < 5_000);
    b.sync().unwrap();
    let got: Vec<_> = b.inbox().into_iter().map(|e| e.change.entity_id).collect();
    assert_eq!(got, vec!["n2".to_string(), "n3".to_string()]);
    let stamps: Vec<u64> = b.inbox().iter().map(|e| e.change.hlc.physical_ms).collect();
    let now = vigil_core::clock::now_ms();
    assert!(stamps.iter().all(|ms| *ms <= now + 1_000), "{stamps:?}");
    assert_eq!(b.status().quarantined, 0);
}

#[test]
fn a_server_restarted_with_its_clock_stepped_back_starts_from_what_it_recorded() {
    let mut server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    a.emit("note", "n1", json!({}));
    a.sync().unwrap();
    let recorded = vigil_core::clock::now_ms();
    server.stop();

    // Same database, the machine's clock now two hours behind.
    let ctx = Arc::new(vigil_server::Ctx::with_clock(
        server.storage.clone(),
        Arc::new(ShiftedClock::new(-2 * HOUR)),
    ));
    assert!(
        ctx.now_ms() + 5_000 >= recorded,
        "starts at the recorded high-water"
    );
    let bg = vigil_server::BackgroundServer::start_ctx(
        ctx,
        server.addr,
        vigil_server::api::DEFAULT_BODY_LIMIT,
    )
    .unwrap();
    // The device keeps syncing: pushes are not refused, pulls are not stale.
    a.emit("note", "n2", json!({}));
    let r = a.sync().unwrap();
    assert_eq!((r.pushed, r.quarantined), (1, 0));
    let (page, _) = raw_pull(&server, &mut a, 0, vigil_core::clock::now_ms());
    assert_eq!(page.changes.len(), 2);
    assert!(page.server_time_ms.unwrap() + 5_000 >= recorded);
    bg.stop();
}
