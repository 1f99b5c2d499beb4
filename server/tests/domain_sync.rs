//! End to end through the default domain appliers: real encrypted stores, the real engine
//! and HTTP transport, the real server on loopback. Devices log incidents, answer one
//! checklist walk and edit one venue offline, then sync in various orders.

use crate::common;

use common::{
    edit_venue, entry_inbox, log, new_venue, sync_until_quiet, vehicle_walk, Device, TestServer,
};
use serde_json::json;
use vigil_core::advance::venue;
use vigil_core::advance::walk::{self, AnswerValue, CheckState, Walk, WalkSubject};
use vigil_core::incident::{IncidentFilter, IncidentLog, Page, ReportPatch};
use vigil_core::sync::InboxState;
use vigil_core::testing::RawConnection;
use vigil_testkit::fixtures::{self, check};

fn amend(d: &mut Device, incident: &str, text: &str) {
    let patch = ReportPatch {
        narrative: Some(text.into()),
        ..ReportPatch::default()
    };
    IncidentLog::new(&mut d.vault)
        .amend(incident, "more detail", patch)
        .unwrap();
}

/// Every incident's current view and history (by entry id), sorted by incident id.
fn incidents(d: &mut Device) -> Vec<(String, String, Vec<String>)> {
    let log = IncidentLog::new(&mut d.vault);
    let mut out: Vec<_> = log
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap()
        .into_iter()
        .map(|s| {
            let v = log.get(&s.incident_id).unwrap();
            (
                s.incident_id,
                serde_json::to_string(&v.current).unwrap(),
                v.history.into_iter().map(|h| h.entry_id).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

fn answer(d: &mut Device, walk_id: &str, item: &str, value: AnswerValue) {
    let mut input = fixtures::answer(item, value, "Officer");
    if input.value == check(CheckState::Issue) {
        input.note = "Tyre worn".into();
    }
    walk::answer_item(d.db(), walk_id, &input).unwrap();
}

fn walk_of(d: &mut Device, id: &str) -> Walk {
    walk::get_walk(d.db(), id).unwrap()
}

fn no_failures(d: &mut Device) {
    let bad: Vec<_> = d
        .inbox()
        .into_iter()
        .filter(|e| e.state != InboxState::Applied && e.change.kind != "incident.attachment")
        .map(|e| (e.change.kind, e.state, e.note))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn three_devices_converge_on_incidents_answers_and_venue_fields() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut devs: Vec<Device> = (0..3).map(|_| Device::new(&server.url())).collect();
    for (i, d) in devs.iter_mut().enumerate() {
        d.enroll(&server, &team, &format!("Officer {i}"));
    }

    // Shared starting point: a venue and a walk, made on device 0 and synced to all.
    let v = new_venue(&mut devs[0], "Grand Hotel");
    let (template, w, checks) = vehicle_walk(&mut devs[0]);
    for d in devs.iter_mut() {
        d.sync().unwrap();
    }
    for d in devs.iter_mut() {
        assert_eq!(venue::get_venue(d.db(), &v).unwrap().name, "Grand Hotel");
        assert_eq!(walk_of(d, &w).template, template);
    }

    // Offline work on every device.
    let i0 = log(&mut devs[0], "Grey van opposite the entrance");
    amend(&mut devs[0], &i0, "Grey van left at 14:05");
    let i1 = log(&mut devs[1], "Drone over the car park");
    let i2 = log(&mut devs[2], "Photographer at the side gate");
    answer(&mut devs[0], &w, &checks[0], check(CheckState::Ok));
    answer(&mut devs[0], &w, &checks[1], check(CheckState::Ok));
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Device 1 answers item 0 later than device 0: its answer wins that item.
    answer(&mut devs[1], &w, &checks[0], check(CheckState::Issue));
    answer(
        &mut devs[2],
        &w,
        &checks[2],
        check(CheckState::NotApplicable),
    );
    edit_venue(&mut devs[0], &v, |i| i.name = "The Grand Hotel".into());
    edit_venue(&mut devs[1], &v, |i| {
        i.notes = "Loading bay at the rear".into()
    });
    edit_venue(&mut devs[2], &v, |i| {
        i.address = Some("1 The Strand".into())
    });

    // Sync in a scrambled order, several rounds, until nothing moves.
    sync_until_quiet(&mut devs);

    // Incidents: the same on every device, verified chains of all three devices.
    let expected = incidents(&mut devs[0]);
    assert_eq!(expected.len(), 3);
    let ids: Vec<&String> = expected.iter().map(|(id, _, _)| id).collect();
    for id in [&i0, &i1, &i2] {
        assert!(ids.contains(&id));
    }
    let amended = expected.iter().find(|(id, _, _)| *id == i0).unwrap();
    assert_eq!(amended.2.len(), 2, "the report and its amendment");
    assert!(amended.1.contains("left at 14:05"));
    for d in devs.iter_mut() {
        assert_eq!(incidents(d), expected);
        let report = IncidentLog::new(&mut d.vault).verify().unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.remote.len(), 2);
        assert!(report.remote.iter().all(|r| r.ok));
        let total: u64 =
            report.entries_checked + report.remote.iter().map(|r| r.entries_checked).sum::<u64>();
        assert_eq!(total, 4, "every entry once");
        let found = IncidentLog::new(&mut d.vault)
            .search("drone", &Page::default())
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].incident_id, i1);
        no_failures(d);
    }

    // Answers: item by item, the latest writer.
    let answers = |d: &mut Device| {
        let mut a: Vec<(String, String, String)> = walk_of(d, &w)
            .answers
            .into_iter()
            .map(|a| {
                (
                    a.item_id,
                    serde_json::to_string(&a.value).unwrap(),
                    a.hlc.to_string(),
                )
            })
            .collect();
        a.sort();
        a
    };
    let expected = answers(&mut devs[0]);
    assert_eq!(expected.len(), 3);
    let first = expected.iter().find(|a| a.0 == checks[0]).unwrap();
    assert!(first.1.contains("issue"), "device 1 answered item 0 last");
    for d in devs.iter_mut() {
        assert_eq!(answers(d), expected);
    }

    // The venue: each field from the device that edited it.
    let expected = venue::get_venue(devs[0].db(), &v).unwrap();
    assert_eq!(expected.name, "The Grand Hotel");
    assert_eq!(expected.notes, "Loading bay at the rear");
    assert_eq!(expected.address.as_deref(), Some("1 The Strand"));
    for d in devs.iter_mut() {
        assert_eq!(venue::get_venue(d.db(), &v).unwrap(), expected);
    }
}

#[test]
fn a_tampered_remote_incident_entry_is_refused_and_the_chain_goes_on() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let first = log(&mut a, "Man photographing the entrance");
    let genuine = a
        .pending()
        .into_iter()
        .find(|e| e.kind == "incident.entry")
        .unwrap();
    a.sync().unwrap();

    // A forged second entry: the genuine entry's hash and signature over an edited body,
    // linked to the head. Sent through a's own (validly signed) push.
    let mut forged = genuine.payload.clone();
    forged["seq"] = json!(2);
    forged["prev_hash"] = genuine.payload["hash"].clone();
    forged["body"] = json!(genuine.payload["body"]
        .as_str()
        .unwrap()
        .replace("photographing", "waving at"));
    a.emit("incident.entry", &first, forged);
    // A copy of the genuine entry claiming to be another device's.
    let mut relabelled = genuine.payload.clone();
    relabelled["device_id"] = json!("someone-else");
    a.emit("incident.entry", &first, relabelled);
    a.sync().unwrap();
    // The server verifies on ingest: both are refused there and never reach the team.
    let refused: Vec<String> = vigil_core::store::outbox::quarantined(a.db().raw_connection())
        .unwrap()
        .into_iter()
        .map(|e| e.last_error.unwrap_or_default())
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(
        refused[0].contains("does not match its body"),
        "{refused:?}"
    );
    assert!(refused[1].contains("another device"), "{refused:?}");
    // The real second entry of a's chain still follows the first.
    amend(&mut a, &first, "He left on foot");
    a.sync().unwrap();

    b.sync().unwrap();
    let inbox = entry_inbox(&mut b);
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    assert_eq!(inbox[0], (InboxState::Applied, None));
    assert_eq!(inbox[1], (InboxState::Applied, None));

    let view = IncidentLog::new(&mut b.vault).get(&first).unwrap();
    assert_eq!(view.history.len(), 2);
    assert!(view.current.narrative.contains("He left on foot"));
    assert!(IncidentLog::new(&mut b.vault)
        .search("waving", &Page::default())
        .unwrap()
        .is_empty());
    let report = IncidentLog::new(&mut b.vault).verify().unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.remote.len(), 1);
    assert_eq!(report.remote[0].entries_checked, 2);
}

#[test]
fn an_entry_whose_predecessor_never_arrived_is_refused() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let first = log(&mut a, "Car followed us from the hotel");
    amend(&mut a, &first, "Blue saloon");
    let entries: Vec<_> = a
        .pending()
        .into_iter()
        .filter(|e| e.kind == "incident.entry")
        .collect();
    // Only the second entry reaches the server (re-sent by hand as a fresh change; the
    // originals are dropped from the outbox by sending them under another kind first).
    let second = entries[1].payload.clone();
    a.db()
        .raw_connection()
        .execute(
            "UPDATE outbox SET kind = 'note' WHERE kind = 'incident.entry'",
            [],
        )
        .unwrap();
    a.emit("incident.entry", &first, second);
    a.sync().unwrap();
    // The server's anchored head of a is still empty: the entry is refused on ingest.
    let refused = vigil_core::store::outbox::quarantined(a.db().raw_connection()).unwrap();
    assert_eq!(refused.len(), 1);
    assert!(refused[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("missing entries"));
    b.sync().unwrap();
    assert!(b
        .inbox()
        .into_iter()
        .all(|e| e.change.kind != "incident.entry"));
    assert!(IncidentLog::new(&mut b.vault)
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap()
        .is_empty());
}

/// A two-item walk for the sign-off tests: both items required checks.
fn small_walk(d: &mut Device) -> Walk {
    let template = vigil_core::advance::template::ChecklistTemplate::from_json(
        r#"{"format": "vigil.checklist-template/1", "id": "test.car", "version": 1,
            "title": "Car", "kind": "vehicle", "sections": [{"id": "s", "title": "Car",
            "items": [{"id": "fire_exits", "label": "Fire exits", "kind": "check", "required": true},
                      {"id": "tyres", "label": "Tyres", "kind": "check", "required": true}]}]}"#,
    )
    .unwrap();
    walk::start_walk_with(
        d.db(),
        &template,
        &WalkSubject::Other {
            label: "Car 2".into(),
        },
        "Officer",
    )
    .unwrap()
}

/// [`small_walk`] answered (the fire exits an issue, the tyres fine) and completed by
/// officer A.
fn completed_walk(a: &mut Device) -> Walk {
    let w = small_walk(a);
    answer(a, &w.id, "fire_exits", check(CheckState::Issue));
    answer(a, &w.id, "tyres", check(CheckState::Ok));
    walk::complete_walk(a.db(), &w.id, "Officer A").unwrap();
    w
}

fn signoff_of(d: &mut Device, id: &str) -> Option<walk::SignedSnapshot> {
    walk::get_signoff(d.db(), id).ok()
}

#[test]
fn a_signoff_reaches_the_other_device_and_closes_the_walk_there() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let w = completed_walk(&mut a);
    let sealed = walk::sign_off_walk(a.db(), &w.id, "Officer A").unwrap();
    a.sync().unwrap();
    b.sync().unwrap();

    // Device b holds the same sealed walk, verified under a's key.
    let on_b = walk_of(&mut b, &w.id);
    assert_eq!(on_b.state, walk::WalkState::SignedOff);
    assert_eq!(on_b, walk_of(&mut a, &w.id));
    assert_eq!(signoff_of(&mut b, &w.id), Some(sealed.clone()));
    assert_eq!(on_b.issues().len(), 1);
    no_failures(&mut b);
    // ... and refuses answers to it, saying why.
    let err = walk::answer_item(
        b.db(),
        &w.id,
        &fixtures::answer("fire_exits", check(CheckState::Ok), "B"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("signed off"), "{err}");

    // A sign-off whose signature does not verify under its sender's key is refused and
    // changes nothing.
    let w2 = small_walk(&mut a);
    answer(&mut a, &w2.id, "fire_exits", check(CheckState::Ok));
    answer(&mut a, &w2.id, "tyres", check(CheckState::Ok));
    a.sync().unwrap();
    let mut forged = sealed.clone();
    forged.walk_id = w2.id.clone();
    forged.snapshot = forged.snapshot.replace(&w.id, &w2.id);
    a.emit(
        "checklist.walk.signoff",
        &w2.id,
        serde_json::to_value(&forged).unwrap(),
    );
    a.sync().unwrap();
    b.sync().unwrap();
    let refused: Vec<_> = b
        .inbox()
        .into_iter()
        .filter(|e| e.change.kind == "checklist.walk.signoff" && e.change.entity_id == w2.id)
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].state, InboxState::Failed);
    assert!(
        refused[0]
            .note
            .as_deref()
            .unwrap()
            .contains("does not match"),
        "{:?}",
        refused[0].note
    );
    assert_eq!(walk_of(&mut b, &w2.id).state, walk::WalkState::InProgress);
    assert_eq!(walk_of(&mut b, &w2.id).answers.len(), 2);
}

#[test]
fn an_answer_racing_a_signoff_is_refused_and_both_devices_end_identical() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let w = completed_walk(&mut a);
    a.sync().unwrap();
    b.sync().unwrap();
    assert_eq!(walk_of(&mut b, &w.id).state, walk::WalkState::Completed);

    // Apart: a signs off while b, not knowing, answers the item a flagged.
    walk::sign_off_walk(a.db(), &w.id, "Officer A").unwrap();
    answer(&mut b, &w.id, "fire_exits", check(CheckState::Ok));
    for _ in 0..2 {
        b.sync().unwrap();
        a.sync().unwrap();
    }

    let on_a = walk_of(&mut a, &w.id);
    assert_eq!(on_a.state, walk::WalkState::SignedOff);
    assert_eq!(on_a.issues().len(), 1, "the walk as it was signed off");
    assert_eq!(
        walk_of(&mut b, &w.id),
        on_a,
        "both devices show the same walk"
    );
    assert_eq!(signoff_of(&mut a, &w.id), signoff_of(&mut b, &w.id));
    // a says why b's answer was not applied; b's answer is kept in a's inbox.
    let late: Vec<_> = a
        .inbox()
        .into_iter()
        .filter(|e| e.change.kind == "checklist.answer")
        .collect();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].state, InboxState::Failed);
    assert!(
        late[0].note.as_deref().unwrap().contains("signed off"),
        "{:?}",
        late[0].note
    );
}

#[test]
fn two_devices_signing_off_apart_settle_on_the_first_seal() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let w = small_walk(&mut a);
    a.sync().unwrap();
    b.sync().unwrap();
    // Both answer, complete and sign off, apart; a first.
    answer(&mut a, &w.id, "fire_exits", check(CheckState::Ok));
    answer(&mut a, &w.id, "tyres", check(CheckState::Ok));
    walk::complete_walk(a.db(), &w.id, "Officer A").unwrap();
    let first = walk::sign_off_walk(a.db(), &w.id, "Officer A").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    answer(&mut b, &w.id, "fire_exits", check(CheckState::Issue));
    answer(&mut b, &w.id, "tyres", check(CheckState::Ok));
    walk::complete_walk(b.db(), &w.id, "Officer B").unwrap();
    let second = walk::sign_off_walk(b.db(), &w.id, "Officer B").unwrap();
    // b syncs first, so its seal reaches the server first.
    for _ in 0..2 {
        b.sync().unwrap();
        a.sync().unwrap();
    }
    for d in [&mut a, &mut b] {
        assert_eq!(signoff_of(d, &w.id), Some(first.clone()));
        let all = walk::list_signoffs(d.db(), &w.id).unwrap();
        assert_eq!(all, vec![first.clone(), second.clone()], "both seals kept");
        assert_eq!(walk_of(d, &w.id).issues().len(), 0, "the walk a sealed");
        assert_eq!(walk_of(d, &w.id).completed_by.as_deref(), Some("Officer A"));
    }
    assert_eq!(walk_of(&mut a, &w.id), walk_of(&mut b, &w.id));
}
