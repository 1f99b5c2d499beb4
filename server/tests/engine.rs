//! End to end: real encrypted device stores, the real engine and HTTP transport, the real
//! server on loopback; faults from the tests' own proxy or by stopping the server.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Device, TestServer};
use rusqlite::Transaction;
use serde_json::json;
use vigil_core::sync::protocol::Change;
use vigil_core::sync::{Appliers, ApplyError, InboxState, RemoteApplier, SyncError};
use vigil_core::testing::RawConnection;
use vigil_testkit::proxy::{Fault, FaultProxy};

fn payloads(d: &mut Device) -> Vec<serde_json::Value> {
    d.inbox().into_iter().map(|e| e.change.payload).collect()
}

#[test]
fn two_devices_converge_and_nothing_repeats() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    let mut b = Device::new(&server.url());
    a.enroll(&server, &team, "Officer A");
    b.enroll(&server, &team, "Officer B");
    assert!(a.status().enrolled);
    assert_eq!(a.status().team_id.as_deref(), Some(team.as_str()));

    for i in 0..3 {
        a.emit(
            "note",
            &format!("a{i}"),
            json!({"text": format!("from a {i}")}),
        );
    }
    for i in 0..2 {
        b.emit(
            "note",
            &format!("b{i}"),
            json!({"text": format!("from b {i}")}),
        );
    }
    assert_eq!(a.status().pending, 3);
    let ra = a.sync().unwrap();
    assert_eq!(ra.pushed, 3);
    assert_eq!(a.status().pending, 0);
    let rb = b.sync().unwrap();
    assert_eq!((rb.pushed, rb.pulled), (2, 3));
    let ra = a.sync().unwrap();
    assert_eq!((ra.pushed, ra.pulled), (0, 2));

    let mut pa = payloads(&mut a);
    pa.sort_by_key(|v| v.to_string());
    assert_eq!(
        pa,
        vec![json!({"text": "from b 0"}), json!({"text": "from b 1"})]
    );
    assert_eq!(payloads(&mut b).len(), 3);
    assert!(b.inbox().iter().all(|e| e.state == InboxState::Stored));
    // Nothing more to do: a second round moves nothing.
    assert_eq!(b.sync().unwrap(), Default::default());
    assert_eq!(server.team_changes(&team).len(), 5);
    let st = b.status();
    assert!(st.last_success_ms.is_some());
    assert_eq!(st.last_error, None);
    assert_eq!(st.next_attempt_ms, None);
}

#[test]
fn sync_before_enrollment_and_double_enrollment_are_refused() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    assert!(matches!(a.sync(), Err(SyncError::NotEnrolled)));
    let url = server.url();
    let err = a
        .engine
        .enroll(a.vault.db_mut().unwrap(), &url, "WRONG-CODE", "A")
        .unwrap_err();
    assert!(matches!(err, SyncError::EnrollmentRefused { ref code } if code == "invalid_code"));
    a.enroll(&server, &team, "A");
    let code = server.code(&team);
    let err = a
        .engine
        .enroll(a.vault.db_mut().unwrap(), &url, &code, "A")
        .unwrap_err();
    assert!(matches!(err, SyncError::AlreadyEnrolled));
}

#[test]
fn server_down_loses_nothing_and_schedules_a_retry() {
    let mut server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    a.emit("note", "n1", json!({"text": "one"}));
    a.emit("note", "n2", json!({"text": "two"}));
    server.stop();
    let before = vigil_core::clock::now_ms();
    let err = a.sync().unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let st = a.status();
    assert_eq!(st.pending, 2);
    assert!(st.last_error.is_some());
    assert!(st.next_attempt_ms.is_some_and(|t| t >= before));
    assert!(a
        .pending()
        .iter()
        .all(|e| e.attempts == 1 && e.last_error.is_some()));
    // A second failure keeps counting.
    assert!(a.sync().unwrap_err().is_transient());
    assert!(a.pending().iter().all(|e| e.attempts == 2));

    server.restart();
    let r = a.sync().unwrap();
    assert_eq!(r.pushed, 2);
    let st = a.status();
    assert_eq!(
        (st.pending, st.last_error, st.next_attempt_ms),
        (0, None, None)
    );
    assert_eq!(server.team_changes(&team).len(), 2);
}

#[test]
fn server_errors_and_429_honour_retry_after() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::new(&proxy.url());
    a.enroll(&server, &team, "A");
    a.emit("note", "n1", json!({"text": "one"}));

    proxy.push(Fault::Respond(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n".into(),
    ));
    let before = vigil_core::clock::now_ms();
    let err = a.sync().unwrap_err();
    let SyncError::Transient {
        next_attempt_ms, ..
    } = err
    else {
        panic!("expected a transient error, got {err:?}");
    };
    assert!(next_attempt_ms >= before + 30_000);
    // Not due yet: sync_if_due does nothing.
    let db = a.vault.db_mut().unwrap();
    assert_eq!(a.engine.sync_if_due(db).unwrap(), None);

    proxy.push(Fault::Respond(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n".into(),
    ));
    let err = a.sync().unwrap_err();
    assert!(err.is_transient());
    proxy.push(Fault::Respond(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".into(),
    ));
    assert!(a.sync().unwrap_err().is_transient());
    assert_eq!(a.status().pending, 1);
    assert!(server.team_changes(&team).is_empty());

    assert_eq!(a.sync().unwrap().pushed, 1);
    assert_eq!(server.team_changes(&team).len(), 1);
}

#[test]
fn a_stale_request_answer_is_reported_as_clock_skew() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::new(&proxy.url());
    a.enroll(&server, &team, "A");
    let body = r#"{"schema_version":1,"error":"stale_request","message":"stale"}"#;
    proxy.push(Fault::Respond(format!(
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )));
    assert!(matches!(a.sync(), Err(SyncError::ClockSkew)));
    assert!(a.status().last_error.is_some());
    assert!(a.sync().is_ok());
    assert_eq!(a.status().last_error, None);
}

#[test]
fn a_poison_entry_is_quarantined_while_the_rest_drains() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    a.emit("note", "n1", json!({"text": "one"}));
    a.emit("note", "n2", json!(["not", "an", "object"]));
    a.emit("note", "n3", json!({"text": "three"}));
    let r = a.sync().unwrap();
    assert_eq!((r.pushed, r.quarantined), (2, 1));
    let st = a.status();
    assert_eq!((st.pending, st.quarantined), (0, 1));
    let q = vigil_core::store::outbox::quarantined(a.db().raw_connection()).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entity_id, "n2");
    assert_eq!(
        q[0].last_error.as_deref(),
        Some("payload must be a JSON object")
    );
    // Later entries keep flowing: the quarantined one is not resent.
    a.emit("note", "n4", json!({"text": "four"}));
    assert_eq!(a.sync().unwrap().pushed, 1);
    b.sync().unwrap();
    let mut ids: Vec<String> = b.inbox().into_iter().map(|e| e.change.entity_id).collect();
    ids.sort();
    assert_eq!(ids, vec!["n1", "n3", "n4"]);
}

#[test]
fn an_entry_too_large_to_send_is_quarantined_and_skipped_without_a_gap() {
    let server = TestServer::start_with_limit(16 * 1024);
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    a.engine =
        vigil_core::team::engine(Box::new(server.transport())).with_max_batch_bytes(8 * 1024);
    a.enroll(&server, &team, "A");
    a.emit("note", "n1", json!({"text": "small"}));
    a.emit("note", "big", json!({"text": "x".repeat(40_000)}));
    a.emit("note", "n3", json!({"text": "small too"}));
    let r = a.sync().unwrap();
    assert_eq!((r.pushed, r.quarantined), (2, 1));
    let q = vigil_core::store::outbox::quarantined(a.db().raw_connection()).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entity_id, "big");
    assert_eq!(q[0].last_error.as_deref(), Some("too large to send"));
    let stored: Vec<u64> = server.team_changes(&team).iter().map(|c| c.seq).collect();
    assert_eq!(stored, vec![1, 3]);
    // The skip marker kept the sequence whole: new entries are accepted.
    a.emit("note", "n4", json!({"text": "after"}));
    assert_eq!(a.sync().unwrap().pushed, 1);
    assert_eq!(server.team_changes(&team).len(), 3);
    assert_eq!(a.status().quarantined, 1);
}

#[test]
fn a_413_halves_the_batch_and_quarantines_the_entry_at_fault() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::new(&proxy.url());
    a.enroll(&server, &team, "A");
    for i in 1..=4 {
        a.emit("note", &format!("n{i}"), json!({"i": i}));
    }
    let too_large =
        r#"{"schema_version":1,"error":"too_large","message":"request body too large"}"#;
    let answer = format!(
        "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{too_large}",
        too_large.len()
    );
    // Batch of 4 refused, then 2, then entry 1 alone: entry 1 is the one at fault.
    for _ in 0..3 {
        proxy.push(Fault::Respond(answer.clone()));
    }
    let r = a.sync().unwrap();
    assert_eq!((r.pushed, r.quarantined), (3, 1));
    let q = vigil_core::store::outbox::quarantined(a.db().raw_connection()).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].entity_id, "n1");
    assert_eq!(q[0].last_error.as_deref(), Some("too large for the server"));
    let stored: Vec<u64> = server.team_changes(&team).iter().map(|c| c.seq).collect();
    assert_eq!(stored, vec![2, 3, 4]);
    assert_eq!(a.status().pending, 0);
}

#[test]
fn a_revoked_device_stops_and_says_so() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::new(&proxy.url());
    a.enroll(&server, &team, "A");
    a.emit("note", "n1", json!({}));
    let id = a.id();
    server.storage.revoke_device(&id).unwrap();
    assert!(matches!(a.sync(), Err(SyncError::Revoked)));
    let st = a.status();
    assert!(st.revoked);
    assert_eq!(st.pending, 1);
    assert!(st.last_error.is_some());
    // No further network traffic: the engine stops before calling out.
    let before = proxy.connections.load(std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(a.sync(), Err(SyncError::Revoked)));
    assert_eq!(
        proxy.connections.load(std::sync::atomic::Ordering::SeqCst),
        before
    );
}

#[test]
fn an_unknown_device_is_unauthorized() {
    // B is enrolled with another server; pointed at this one, it is a stranger.
    let server = TestServer::start();
    let other = TestServer::start();
    let other_team = other.new_team("Elsewhere");
    let mut b = Device::new(&other.url());
    b.enroll(&other, &other_team, "B");
    b.emit("note", "n1", json!({}));
    b.engine = vigil_core::team::engine(Box::new(server.transport()));
    let err = b.sync().unwrap_err();
    assert!(
        matches!(err, SyncError::Unauthorized { ref code } if code == "unknown_device"),
        "{err:?}"
    );
    assert_eq!(b.status().pending, 1);
    assert!(b.status().last_error.is_some());
}

/// The proxy cuts requests and answers and holds answers past the client's timeout; after
/// retries every entry is on the server exactly once and the outbox is empty.
#[test]
fn faults_between_client_and_server_lose_and_duplicate_nothing() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::with_timeout(&proxy.url(), Duration::from_millis(700));
    a.engine = vigil_core::team::engine(Box::new(
        vigil_core::sync::transport::HttpTransport::without_reuse(
            &proxy.url(),
            Duration::from_millis(700),
        )
        .unwrap(),
    ))
    .with_page_sizes(3, 2);
    let mut b = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    b.enroll(&server, &team, "B");
    for i in 0..10 {
        a.emit("note", &format!("a{i}"), json!({"i": i}));
    }
    for i in 0..5 {
        b.emit("note", &format!("b{i}"), json!({"i": i}));
    }
    b.sync().unwrap();

    let faults = [
        Fault::CutRequest(40),
        Fault::CutRequest(300),
        Fault::CutResponse(0),
        Fault::CutResponse(60),
        Fault::Delay(Duration::from_millis(1_500)),
    ];
    let mut transient = 0;
    for f in faults.iter().cycle().take(12) {
        proxy.push(f.clone());
        // Let one clean request through between faults so progress is made.
        match a.sync() {
            Ok(_) => {}
            Err(e) => {
                assert!(e.is_transient(), "{e:?}");
                transient += 1;
            }
        }
    }
    assert!(
        transient >= 10,
        "faults should have caused failures: {transient}"
    );
    // Drain whatever faults remain, then a clean sync.
    let mut tries = 0;
    loop {
        tries += 1;
        match a.sync() {
            Ok(_) if proxy.queued() == 0 => break,
            Ok(_) => {}
            Err(e) => assert!(e.is_transient(), "{e:?}"),
        }
        assert!(tries < 20);
    }
    assert_eq!(a.status().pending, 0);
    let mut seqs: Vec<u64> = server
        .team_changes(&team)
        .iter()
        .filter(|c| c.entity_id.starts_with('a'))
        .map(|c| c.seq)
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    // A received each of B's changes exactly once.
    let mut got: Vec<String> = a.inbox().into_iter().map(|e| e.change.entity_id).collect();
    got.sort();
    assert_eq!(got, vec!["b0", "b1", "b2", "b3", "b4"]);
    // And B gets A's ten, once each.
    b.sync().unwrap();
    assert_eq!(b.inbox().len(), 10);
}

/// A domain applier: writes notes into its own table, in the pull's transaction.
struct NotesApplier;

impl RemoteApplier for NotesApplier {
    fn apply(&self, tx: &Transaction<'_>, c: &Change) -> Result<(), ApplyError> {
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS test_notes (id TEXT PRIMARY KEY, text TEXT NOT NULL)",
        )?;
        let text = c.payload["text"]
            .as_str()
            .ok_or_else(|| ApplyError::Invalid("note without text".into()))?;
        tx.execute(
            "INSERT INTO test_notes(id, text) VALUES (?1, ?2)
             ON CONFLICT(id) DO UPDATE SET text = excluded.text",
            rusqlite::params![c.entity_id, text],
        )?;
        Ok(())
    }
}

#[test]
fn registered_appliers_apply_pulled_changes_and_refuse_bad_ones() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let mut appliers = Appliers::new();
    appliers.register("note.", Arc::new(NotesApplier));
    b.engine = vigil_core::team::engine(Box::new(server.transport())).with_appliers(appliers);

    a.emit("note.text", "n1", json!({"text": "hello"}));
    a.emit("note.text", "n2", json!({"no_text": true}));
    a.emit("venue", "v1", json!({"name": "hotel"}));
    a.sync().unwrap();
    let r = b.sync().unwrap();
    // Every pulled change in exactly one bucket: n1 applied, v1 stored only (no applier),
    // n2 refused (its reason in the inbox).
    assert_eq!(
        (r.pulled, r.applied, r.stored_only, r.refused, r.already_had),
        (3, 1, 1, 1, 0)
    );
    let text: String = b
        .db()
        .raw_connection()
        .query_row("SELECT text FROM test_notes WHERE id = 'n1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(text, "hello");
    let states: Vec<(String, InboxState, Option<String>)> = b
        .inbox()
        .into_iter()
        .map(|e| (e.change.entity_id, e.state, e.note))
        .collect();
    assert_eq!(
        states,
        vec![
            ("n1".into(), InboxState::Applied, None),
            (
                "n2".into(),
                InboxState::Failed,
                Some("note without text".into())
            ),
            ("v1".into(), InboxState::Stored, None),
        ]
    );
}

#[test]
fn a_server_restored_from_an_older_copy_triggers_a_resync() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    for i in 0..3 {
        a.emit("note", &format!("n{i}"), json!({"i": i}));
    }
    a.sync().unwrap();
    b.sync().unwrap();
    assert_eq!(b.inbox().len(), 3);
    // Roll B's cursor past anything the server issued, as after a server restore.
    {
        let conn = b.db().raw_connection();
        let raw: Vec<u8> = conn
            .query_row("SELECT value FROM meta WHERE key = 'sync_state'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let mut s: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        s["pull_cursor"] = json!(999);
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'sync_state'",
            [serde_json::to_vec(&s).unwrap()],
        )
        .unwrap();
    }
    let r = b.sync().unwrap();
    // Everything came again, counted as already had; the inbox holds each change once.
    assert_eq!((r.pulled, r.already_had, r.applied), (3, 3, 0));
    assert_eq!(b.inbox().len(), 3);
    a.emit("note", "n3", json!({"i": 3}));
    a.sync().unwrap();
    assert_eq!(b.sync().unwrap().pulled, 1);
}
