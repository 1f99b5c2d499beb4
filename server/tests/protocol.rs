//! The server's HTTP contract, exercised over loopback with hand-built, really signed
//! requests: enrollment, push outcomes and statuses, pull scoping, paging and resync.

use crate::common;

use std::io::{Read, Write};

use common::{error_body, post_json, pull_all, TestServer};
use serde_json::json;
use vigil_core::clock::Hlc;
use vigil_core::crypto::signing::DeviceKey;
use vigil_core::sync::protocol::{
    EnrollRequest, EnrollResponse, EntryOutcome, PullPage, PullRequest, PushBatch, PushEntry,
    PushResult, SCHEMA_VERSION,
};
use vigil_core::sync::Transport;

struct RawDevice {
    id: String,
    key: DeviceKey,
}

fn enroll(server: &TestServer, t: &dyn Transport, team: &str) -> RawDevice {
    let (key, _) = DeviceKey::generate().unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let req = EnrollRequest {
        schema_version: SCHEMA_VERSION,
        code: server.code(team),
        device_id: id.clone(),
        public_key: hex::encode(key.public_key()),
        officer: "Officer A".into(),
    };
    let (status, body) = post_json(t, "/v1/enroll", &req);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let resp: EnrollResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(resp.team_id, team);
    RawDevice { id, key }
}

fn entry(dev: &RawDevice, seq: u64, payload: serde_json::Value) -> PushEntry {
    PushEntry {
        seq,
        op_id: uuid::Uuid::new_v4().to_string(),
        hlc: Hlc {
            physical_ms: vigil_core::clock::now_ms(),
            counter: seq as u32,
            device: dev.id.clone(),
        },
        kind: "note".into(),
        entity_id: format!("n{seq}"),
        payload,
    }
}

fn push(t: &dyn Transport, batch: &PushBatch) -> (u16, Vec<u8>) {
    post_json(t, "/v1/push", batch)
}

fn outcomes(body: &[u8]) -> Vec<EntryOutcome> {
    let r: PushResult = serde_json::from_slice(body).unwrap();
    r.results.into_iter().map(|r| r.outcome).collect()
}

#[test]
fn healthz_answers() {
    let server = TestServer::start();
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("ok"));
}

#[test]
fn enrollment_codes_are_one_time_and_retries_are_idempotent() {
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let (key, _) = DeviceKey::generate().unwrap();
    let code = server.code(&team);
    let mut req = EnrollRequest {
        schema_version: SCHEMA_VERSION,
        code: code.to_lowercase(),
        device_id: "dev-1".into(),
        public_key: hex::encode(key.public_key()),
        officer: "A".into(),
    };
    assert_eq!(post_json(&t, "/v1/enroll", &req).0, 200);
    // The same device retrying (its answer was lost) gets the same answer.
    assert_eq!(post_json(&t, "/v1/enroll", &req).0, 200);
    // Another device cannot reuse the code.
    req.device_id = "dev-2".into();
    let (status, body) = post_json(&t, "/v1/enroll", &req);
    assert_eq!(status, 401);
    assert_eq!(error_body(&body).error, "invalid_code");
    // Made-up codes and malformed keys are refused.
    req.code = "AAAA-BBBB-CCCC-DDDD".into();
    assert_eq!(post_json(&t, "/v1/enroll", &req).0, 401);
    req.code = server.code(&team);
    req.public_key = "abcd".into();
    assert_eq!(post_json(&t, "/v1/enroll", &req).0, 400);
    // A device id already taken is a conflict, and the code stays unused.
    req.public_key = hex::encode(key.public_key());
    req.device_id = "dev-1".into();
    let (status, body) = post_json(&t, "/v1/enroll", &req);
    assert_eq!(status, 409);
    assert_eq!(error_body(&body).error, "device_exists");
    req.device_id = "dev-3".into();
    assert_eq!(post_json(&t, "/v1/enroll", &req).0, 200);
}

#[test]
fn replayed_batch_gets_duplicates_and_no_double_effect() {
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    let entries = vec![
        entry(&dev, 1, json!({"text": "one"})),
        entry(&dev, 2, json!({"text": "two"})),
    ];
    let batch = PushBatch::signed(&dev.id, entries, &dev.key);
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 200);
    assert_eq!(
        outcomes(&body),
        vec![EntryOutcome::Applied, EntryOutcome::Applied]
    );
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 200);
    for o in outcomes(&body) {
        assert_eq!(
            o,
            EntryOutcome::Duplicate {
                original: Box::new(EntryOutcome::Applied)
            }
        );
    }
    assert_eq!(server.team_changes(&team).len(), 2);
    // A replay overlapping new entries: old ones duplicate, the new one applies.
    let mut entries = batch.entries.clone();
    entries.push(entry(&dev, 3, json!({"text": "three"})));
    let (status, body) = push(&t, &PushBatch::signed(&dev.id, entries, &dev.key));
    assert_eq!(status, 200);
    let o = outcomes(&body);
    assert!(matches!(o[0], EntryOutcome::Duplicate { .. }));
    assert_eq!(o[2], EntryOutcome::Applied);
    assert_eq!(server.team_changes(&team).len(), 3);
    // A different operation under a consumed seq is refused, not applied.
    let (status, body) = push(
        &t,
        &PushBatch::signed(&dev.id, vec![entry(&dev, 2, json!({}))], &dev.key),
    );
    assert_eq!(status, 200);
    assert!(matches!(outcomes(&body)[0], EntryOutcome::Rejected { .. }));
    assert_eq!(server.team_changes(&team).len(), 3);
}

#[test]
fn gap_is_refused_with_the_expected_seq_and_nothing_stored() {
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    let batch = PushBatch::signed(
        &dev.id,
        vec![entry(&dev, 1, json!({})), entry(&dev, 3, json!({}))],
        &dev.key,
    );
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 409);
    let err = error_body(&body);
    assert_eq!(err.error, "sequence_gap");
    assert_eq!(err.expected_seq, Some(2));
    // The whole batch was rolled back, seq 1 included.
    assert!(server.team_changes(&team).is_empty());
    let (status, body) = push(
        &t,
        &PushBatch::signed(&dev.id, vec![entry(&dev, 2, json!({}))], &dev.key),
    );
    assert_eq!(status, 409);
    assert_eq!(error_body(&body).expected_seq, Some(1));
}

#[test]
fn forged_signature_is_401_and_nothing_stored() {
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    let mut batch = PushBatch::signed(&dev.id, vec![entry(&dev, 1, json!({"a": 1}))], &dev.key);
    batch.entries[0].payload = json!({"a": 2});
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 401);
    assert_eq!(error_body(&body).error, "bad_signature");
    // Signed by another key.
    let (other, _) = DeviceKey::generate().unwrap();
    let batch = PushBatch::signed(&dev.id, vec![entry(&dev, 1, json!({}))], &other);
    assert_eq!(push(&t, &batch).0, 401);
    assert!(server.team_changes(&team).is_empty());
    // A pull signed by another key is refused too.
    let (status, _, _) = pull_all(&t, &dev.id, &other);
    assert_eq!(status, 401);
}

#[test]
fn unknown_and_revoked_devices() {
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let (key, _) = DeviceKey::generate().unwrap();
    let stranger = RawDevice {
        id: "nobody".into(),
        key,
    };
    let (status, body) = push(
        &t,
        &PushBatch::signed(
            &stranger.id,
            vec![entry(&stranger, 1, json!({}))],
            &stranger.key,
        ),
    );
    assert_eq!(status, 401);
    assert_eq!(error_body(&body).error, "unknown_device");
    assert_eq!(pull_all(&t, &stranger.id, &stranger.key).0, 401);

    let dev = enroll(&server, &t, &team);
    server.storage.revoke_device(&dev.id).unwrap();
    let (status, body) = push(
        &t,
        &PushBatch::signed(&dev.id, vec![entry(&dev, 1, json!({}))], &dev.key),
    );
    assert_eq!(status, 403);
    assert_eq!(error_body(&body).error, "revoked");
    let (status, _, body) = pull_all(&t, &dev.id, &dev.key);
    assert_eq!(status, 403);
    assert_eq!(error_body(&body).error, "revoked");
    assert!(server.team_changes(&team).is_empty());
}

#[test]
fn malformed_and_oversized_bodies() {
    let server = TestServer::start_with_limit(4096);
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    for bad in [&b"not json"[..], b"{}", b"{\"schema_version\":1}", b""] {
        let r = t.post("/v1/push", bad.to_vec()).unwrap();
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(bad));
        assert_eq!(error_body(&r.body).error, "malformed");
    }
    // The error names where the request went wrong, never what it held.
    let r = t
        .post(
            "/v1/push",
            br#"{"schema_version":"SECRET-MARKER"}"#.to_vec(),
        )
        .unwrap();
    assert_eq!(r.status, 400);
    assert!(!String::from_utf8_lossy(&r.body).contains("SECRET-MARKER"));
    let mut wrong_version = PushBatch::signed(&dev.id, vec![entry(&dev, 1, json!({}))], &dev.key);
    wrong_version.schema_version = 99;
    let (status, body) = push(&t, &wrong_version);
    assert_eq!(status, 400);
    assert_eq!(error_body(&body).error, "unsupported_version");
    let big = PushBatch::signed(
        &dev.id,
        vec![entry(&dev, 1, json!({"text": "x".repeat(10_000)}))],
        &dev.key,
    );
    let (status, body) = push(&t, &big);
    assert_eq!(status, 413);
    assert_eq!(error_body(&body).error, "too_large");
    assert!(server.team_changes(&team).is_empty());
}

#[test]
fn invalid_entries_are_rejected_one_by_one_while_the_rest_applies() {
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    let mut foreign_clock = entry(&dev, 3, json!({}));
    foreign_clock.hlc.device = "someone-else".into();
    let mut reserved = entry(&dev, 4, json!({}));
    reserved.kind = "vigil.admin".into();
    let mut future = entry(&dev, 5, json!({}));
    future.hlc.physical_ms += 24 * 3600 * 1000;
    let batch = PushBatch::signed(
        &dev.id,
        vec![
            entry(&dev, 1, json!({"ok": true})),
            entry(&dev, 2, json!(42)),
            foreign_clock,
            reserved,
            future,
            entry(&dev, 6, json!({"ok": true})),
        ],
        &dev.key,
    );
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 200);
    let o = outcomes(&body);
    assert_eq!(o[0], EntryOutcome::Applied);
    for (i, expected) in [
        (1, "payload must be a JSON object"),
        (2, "clock stamp of another device"),
        (3, "invalid kind"),
        (4, "clock stamp too far in the future"),
    ] {
        assert_eq!(
            o[i],
            EntryOutcome::Rejected {
                reason: expected.into()
            }
        );
    }
    assert_eq!(o[5], EntryOutcome::Applied);
    let stored: Vec<u64> = server.team_changes(&team).iter().map(|c| c.seq).collect();
    assert_eq!(stored, vec![1, 6]);
    // The rejections are stored results too.
    let (_, body) = push(&t, &batch);
    assert_eq!(
        outcomes(&body)[1],
        EntryOutcome::Duplicate {
            original: Box::new(EntryOutcome::Rejected {
                reason: "payload must be a JSON object".into()
            })
        }
    );
}

#[test]
fn repeats_and_reused_op_ids_inside_one_batch_are_answered_entry_by_entry() {
    // The server decides a whole batch before writing it: what an entry refers to that
    // an earlier entry of the same batch recorded must be seen exactly as if stored.
    let server = TestServer::start();
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    let one = entry(&dev, 1, json!({"n": 1}));
    let two = entry(&dev, 2, json!(2));
    let mut other_op_at_one = entry(&dev, 1, json!({"n": "other"}));
    other_op_at_one.entity_id = "x".into();
    let mut op_of_one = entry(&dev, 3, json!({"n": 3}));
    op_of_one.op_id = one.op_id.clone();
    let batch = PushBatch::signed(
        &dev.id,
        vec![
            one.clone(),
            two.clone(),
            one.clone(),
            two.clone(),
            other_op_at_one,
            op_of_one,
            entry(&dev, 4, json!({"n": 4})),
            entry(&dev, 5, json!({"n": 5})),
        ],
        &dev.key,
    );
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let not_object = EntryOutcome::Rejected {
        reason: "payload must be a JSON object".into(),
    };
    let expected = vec![
        EntryOutcome::Applied,
        not_object.clone(),
        EntryOutcome::Duplicate {
            original: Box::new(EntryOutcome::Applied),
        },
        EntryOutcome::Duplicate {
            original: Box::new(not_object.clone()),
        },
        EntryOutcome::Rejected {
            reason: "sequence number already used by another operation".into(),
        },
        EntryOutcome::Rejected {
            reason: "op id already used".into(),
        },
        EntryOutcome::Applied,
        EntryOutcome::Applied,
    ];
    assert_eq!(outcomes(&body), expected);
    // Stored in batch order, so the team pulls them in seq order.
    let stored: Vec<(u64, u64)> = server
        .team_changes(&team)
        .iter()
        .map(|c| (c.seq, c.server_seq))
        .collect();
    assert_eq!(
        stored.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![1, 4, 5]
    );
    assert!(stored.windows(2).all(|w| w[0].1 < w[1].1));
    // Sent again, every consumed seq answers from what was stored; seq 3's op id was
    // already used, so nothing was recorded for it and its repeat is another operation.
    let (status, body) = push(&t, &batch);
    assert_eq!(status, 200);
    let again = outcomes(&body);
    let dup = |o: &EntryOutcome| EntryOutcome::Duplicate {
        original: Box::new(o.clone()),
    };
    assert_eq!(again[0], dup(&EntryOutcome::Applied));
    assert_eq!(again[1], dup(&not_object));
    assert_eq!(again[2], dup(&EntryOutcome::Applied));
    assert_eq!(again[3], dup(&not_object));
    assert_eq!(again[4], expected[4]);
    assert_eq!(
        again[5],
        EntryOutcome::Rejected {
            reason: "sequence number already used by another operation".into(),
        }
    );
    assert_eq!(again[6], dup(&EntryOutcome::Applied));
    assert_eq!(again[7], dup(&EntryOutcome::Applied));
    assert_eq!(server.team_changes(&team).len(), 3);
}

#[test]
fn pull_is_scoped_to_the_team_paged_and_resyncs_an_unknown_cursor() {
    let server = TestServer::start();
    let t = server.transport();
    let alpha = server.new_team("Alpha");
    let bravo = server.new_team("Bravo");
    let a = enroll(&server, &t, &alpha);
    let b = enroll(&server, &t, &bravo);
    let a_entries: Vec<_> = (1..=5).map(|s| entry(&a, s, json!({"t": "a"}))).collect();
    assert_eq!(
        push(&t, &PushBatch::signed(&a.id, a_entries, &a.key)).0,
        200
    );
    let b_entries = vec![entry(&b, 1, json!({"t": "secret"}))];
    assert_eq!(
        push(&t, &PushBatch::signed(&b.id, b_entries, &b.key)).0,
        200
    );

    let (status, page, _) = pull_all(&t, &b.id, &b.key);
    assert_eq!(status, 200);
    let page = page.unwrap();
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].device_id, b.id);

    // Team Alpha in pages of two: 2, 2, 1.
    let mut cursor = 0;
    let mut seen = vec![];
    let mut pages = 0;
    loop {
        let req = PullRequest::signed(&a.id, cursor, 2, vigil_core::clock::now_ms(), &a.key);
        let (status, body) = post_json(&t, "/v1/pull", &req);
        assert_eq!(status, 200);
        let page: PullPage = serde_json::from_slice(&body).unwrap();
        assert!(!page.resync_from_scratch);
        assert!(page.changes.len() <= 2);
        assert!(page.changes.iter().all(|c| c.device_id == a.id));
        seen.extend(page.changes.iter().map(|c| c.seq));
        cursor = page.next_cursor;
        pages += 1;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, vec![1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);

    // A cursor the server never issued (it was restored from an older copy): resync.
    let req = PullRequest::signed(&a.id, 1_000, 2, vigil_core::clock::now_ms(), &a.key);
    let (_, body) = post_json(&t, "/v1/pull", &req);
    let page: PullPage = serde_json::from_slice(&body).unwrap();
    assert!(page.resync_from_scratch);
    assert_eq!(page.next_cursor, 0);

    // A stale (replayed) pull request is refused.
    let req = PullRequest::signed(&a.id, 0, 2, 1_000, &a.key);
    let (status, body) = post_json(&t, "/v1/pull", &req);
    assert_eq!(status, 401);
    assert_eq!(error_body(&body).error, "stale_request");
}

#[test]
fn pull_pages_are_capped_by_size_but_always_make_progress() {
    let server = TestServer::start_with_limit(8 * 1024 * 1024);
    let t = server.transport();
    let team = server.new_team("Alpha");
    let dev = enroll(&server, &t, &team);
    let big = "x".repeat(1_600_000);
    for seq in 1..=3 {
        let batch = PushBatch::signed(&dev.id, vec![entry(&dev, seq, json!({"t": big}))], &dev.key);
        assert_eq!(push(&t, &batch).0, 200);
    }
    let mut sizes = vec![];
    let mut cursor = 0;
    loop {
        let req = PullRequest::signed(&dev.id, cursor, 500, vigil_core::clock::now_ms(), &dev.key);
        let (status, body) = post_json(&t, "/v1/pull", &req);
        assert_eq!(status, 200);
        let page: PullPage = serde_json::from_slice(&body).unwrap();
        sizes.push(page.changes.len());
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(sizes, vec![2, 1]);
}
