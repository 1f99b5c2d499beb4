//! Incident chain anchoring on the team server: real servers on loopback, real encrypted
//! device stores, real signatures. The server verifies each incident entry on ingest
//! against the device's enrolled key and its anchored chain head, refuses forged,
//! edited, out-of-chain and rewritten entries one by one, and keeps the latest head.

use crate::common;

use common::{copy_dir, log, Device, TestServer};
use serde_json::json;
use vigil_core::crypto::signing::DeviceKey;
use vigil_core::incident::anchor;
use vigil_core::incident::canonical::{entry_hash, Amendment, EntryBody, EntryKind};
use vigil_core::incident::chain;
use vigil_core::incident::export::{Bundle, BUNDLE_DOMAIN_V2};
use vigil_core::incident::model::{new_id, now};
use vigil_core::incident::{
    verify_bundle, BundleProblem, ExportScope, IncidentLog, ProblemKind, ReportPatch,
};
use vigil_core::testing::RawConnection;
use vigil_server::service::{REASON_BELOW_HEAD, REASON_REWRITTEN};

const BAD_SIGNATURE: &str = "incident entry signature does not verify";
const EDITED: &str = "incident entry hash does not match its body";
const NOT_FOLLOWING: &str = "incident entry does not follow the chain head";

fn amend(d: &mut Device, incident: &str, text: &str) -> u64 {
    let patch = ReportPatch {
        narrative: Some(text.into()),
        ..ReportPatch::default()
    };
    IncidentLog::new(&mut d.vault)
        .amend(incident, "more detail", patch)
        .unwrap()
        .seq
}

fn local_head(d: &mut Device) -> (u64, [u8; 32]) {
    let id = d.id();
    chain::head(d.db().raw_connection(), &id).unwrap()
}

fn local_hash_at(d: &mut Device, seq: u64) -> [u8; 32] {
    let id = d.id();
    let h: Vec<u8> = d
        .db()
        .raw_connection()
        .query_row(
            "SELECT hash FROM incident_entries WHERE device_id = ?1 AND seq = ?2",
            rusqlite::params![id, seq as i64],
            |r| r.get(0),
        )
        .unwrap();
    h.try_into().unwrap()
}

fn server_head(server: &TestServer, device: &str) -> Option<(u64, [u8; 32])> {
    server
        .storage
        .chain_head(device)
        .unwrap()
        .map(|h| (h.seq, h.hash))
}

/// An amendment body of `incident`, canonical.
fn amendment_body(incident: &str, text: &str) -> Vec<u8> {
    EntryBody {
        v: 1,
        entry_id: new_id(),
        incident_id: incident.to_string(),
        kind: EntryKind::Amendment,
        recorded_at: now(),
        author: None,
        report: None,
        amendment: Some(Amendment {
            amends: incident.to_string(),
            reason: "forged".into(),
            patch: ReportPatch {
                narrative: Some(text.into()),
                ..ReportPatch::default()
            },
        }),
    }
    .encode()
}

/// An `incident.entry` payload at `seq` after `prev`, signed with the device's own key
/// (so only what the test then changes is wrong).
fn signed_payload(d: &mut Device, seq: u64, prev: [u8; 32], body: &[u8]) -> serde_json::Value {
    let id = d.id();
    let hash = entry_hash(seq, &prev, &id, body);
    let sig = d.db().device_key().sign(&hash);
    let parsed: serde_json::Value = serde_json::from_slice(body).unwrap();
    json!({
        "device_id": id,
        "seq": seq,
        "entry_id": parsed["entry_id"],
        "prev_hash": hex::encode(prev),
        "hash": hex::encode(hash),
        "signature": hex::encode(sig),
        "body": String::from_utf8(body.to_vec()).unwrap(),
    })
}

/// The server's reasons for this device's quarantined outbox entries, oldest first.
fn refusals(d: &mut Device) -> Vec<(String, String)> {
    vigil_core::store::outbox::quarantined(d.db().raw_connection())
        .unwrap()
        .into_iter()
        .map(|e| (e.op_id, e.last_error.unwrap_or_default()))
        .collect()
}

/// The server's receipt key, read back from its storage (created at the first enrollment).
fn server_public_key(server: &TestServer) -> [u8; 32] {
    let pkcs8 = server
        .storage
        .server_key(b"unused: a key exists", 0)
        .unwrap();
    DeviceKey::from_pkcs8(&pkcs8).unwrap().public_key()
}

/// The device's stored receipt: (seq, hash), after checking it against the server's key.
fn stored_receipt(server: &TestServer, d: &mut Device) -> Option<(u64, [u8; 32])> {
    let id = d.id();
    let own = d.db().device_key().public_key();
    let r = anchor::receipt(d.db().raw_connection(), &id, &own).unwrap()?;
    assert_eq!(r.server_public_key, server_public_key(server));
    assert!(r.receipt.verify(&r.server_public_key));
    assert_eq!(r.receipt.device_id, id);
    // Version 2: the server binds the key the device enrolled with.
    assert_eq!(r.receipt.version(), 2);
    assert_eq!(r.receipt.device_public_key, Some(hex::encode(own)));
    Some((r.receipt.seq, r.receipt.hash_bytes().unwrap()))
}

/// How many incident entries the server holds for `team`.
fn entries_held(server: &TestServer, team: &str) -> usize {
    let changes = server.team_changes(team);
    changes
        .iter()
        .filter(|c| c.kind == "incident.entry")
        .count()
}

#[test]
fn the_server_anchors_each_devices_chain_head() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    let first = log(&mut a, "Car followed us from the hotel");
    amend(&mut a, &first, "Blue saloon, two occupants");
    let a_id = a.id();
    assert_eq!(server_head(&server, &a_id), None);
    a.sync().unwrap();
    assert_eq!(server_head(&server, &a_id), Some(local_head(&mut a)));
    assert_eq!(local_head(&mut a).0, 2);
    // The push answer carried a countersigned receipt for that head; the device kept it.
    assert_eq!(stored_receipt(&server, &mut a), Some(local_head(&mut a)));
    let state_key = a.db().raw_connection().query_row(
        "SELECT value FROM meta WHERE key = 'sync_state'",
        [],
        |r| r.get::<_, Vec<u8>>(0),
    );
    let state: serde_json::Value = serde_json::from_slice(&state_key.unwrap()).unwrap();
    assert_eq!(
        state["server_public_key"],
        json!(hex::encode(server_public_key(&server)))
    );
    // More entries, from a teammate's amendment too: each device's head moves on its own.
    let second = log(&mut a, "Drone over the garden");
    amend(&mut a, &second, "Drone left to the north");
    b.sync().unwrap();
    amend(&mut b, &first, "Seen again at the station");
    b.sync().unwrap();
    a.sync().unwrap();
    assert_eq!(server_head(&server, &a_id), Some(local_head(&mut a)));
    assert_eq!(local_head(&mut a).0, 4);
    assert_eq!(stored_receipt(&server, &mut a), Some(local_head(&mut a)));
    let b_id = b.id();
    assert_eq!(server_head(&server, &b_id), Some(local_head(&mut b)));
    assert_eq!(stored_receipt(&server, &mut b), Some(local_head(&mut b)));
    assert!(IncidentLog::new(&mut a.vault).verify().unwrap().ok);
    assert!(refusals(&mut a).is_empty());
    assert!(refusals(&mut b).is_empty());
    assert_eq!(entries_held(&server, &team), 5);
}

#[test]
fn forged_entries_are_refused_one_by_one_and_later_entries_apply() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    let incident = log(&mut a, "Grey van opposite the entrance");
    amend(&mut a, &incident, "Van moved to the side street");
    a.sync().unwrap();
    let (h, head_hash) = local_head(&mut a);
    assert_eq!(h, 2);
    let before_head = server_head(&server, &a.id());
    assert_eq!(before_head, Some((h, head_hash)));
    let prev_of_head = local_hash_at(&mut a, 1);

    // 1. A signature by another key over the right hash.
    let mut bad_sig = signed_payload(&mut a, h + 1, head_hash, &amendment_body(&incident, "x"));
    let (other, _) = vigil_core::crypto::signing::DeviceKey::generate().unwrap();
    let hash = hex::decode(bad_sig["hash"].as_str().unwrap()).unwrap();
    bad_sig["signature"] = json!(hex::encode(other.sign(&hash)));
    // 2. The body edited after signing.
    let mut edited = signed_payload(&mut a, h + 1, head_hash, &amendment_body(&incident, "x"));
    let text = edited["body"].as_str().unwrap().replace("\"x\"", "\"y\"");
    edited["body"] = json!(text);
    // 3. Skips a sequence number.
    let gap = signed_payload(&mut a, h + 2, head_hash, &amendment_body(&incident, "gap"));
    // 4. Does not link to the head.
    let unlinked = signed_payload(&mut a, h + 1, [7u8; 32], &amendment_body(&incident, "u"));
    // 5. A second entry at the anchored seq, with another hash.
    let rewrite = signed_payload(&mut a, h, prev_of_head, &amendment_body(&incident, "r"));
    let forged = [
        (bad_sig, BAD_SIGNATURE),
        (edited, EDITED),
        (gap, NOT_FOLLOWING),
        (unlinked, NOT_FOLLOWING),
        (rewrite, REASON_REWRITTEN),
    ];
    for (payload, _) in &forged {
        a.emit("incident.entry", &incident, payload.clone());
    }
    // 6. Then a genuine amendment: the next link of the real chain, in the same batch.
    let real = amend(&mut a, &incident, "Driver got out and filmed the gate");
    assert_eq!(real, h + 1);
    let pending = a.pending();
    assert_eq!(pending.len(), 6);
    let report = a.sync().unwrap();
    assert_eq!(report.pushed, 1);
    assert_eq!(report.quarantined, 5);

    let refused = refusals(&mut a);
    assert_eq!(refused.len(), 5);
    for ((op, reason), (want_op, (_, want))) in refused.iter().zip(pending.iter().zip(&forged)) {
        assert_eq!(op, &want_op.op_id);
        assert!(
            reason.starts_with(want),
            "{reason} should start with {want}"
        );
    }
    // Nothing of the forged entries is stored; the genuine one is, and moved the head.
    let changes = server.team_changes(&team);
    for p in &pending[..5] {
        assert!(changes.iter().all(|c| c.op_id != p.op_id));
    }
    assert!(changes.iter().any(|c| c.op_id == pending[5].op_id));
    assert_eq!(server_head(&server, &a.id()), Some(local_head(&mut a)));
    assert_eq!(local_head(&mut a).0, h + 1);

    // A batch of forged entries only leaves the head where it was.
    let anchored = server_head(&server, &a.id());
    let (h, head_hash) = local_head(&mut a);
    let mut forged_again =
        signed_payload(&mut a, h + 1, head_hash, &amendment_body(&incident, "z"));
    forged_again["signature"] = json!(hex::encode([1u8; 64]));
    a.emit("incident.entry", &incident, forged_again);
    let report = a.sync().unwrap();
    assert_eq!(report.quarantined, 1);
    assert_eq!(server_head(&server, &a.id()), anchored);

    // The teammate holds exactly the genuine chain.
    b.sync().unwrap();
    let a_id = a.id();
    let held: Vec<u64> = chain::all(b.db().raw_connection())
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == a_id)
        .map(|e| e.seq)
        .collect();
    assert_eq!(held, vec![1, 2, 3]);
    assert!(IncidentLog::new(&mut b.vault).verify().unwrap().ok);
}

fn drop_triggers(d: &mut Device) {
    d.db()
        .raw_connection()
        .execute_batch(
            "DROP TRIGGER incident_entries_no_update; DROP TRIGGER incident_entries_no_delete;",
        )
        .unwrap();
}

#[test]
fn a_truncated_tail_is_refused_by_the_server() {
    let server = TestServer::start();
    let (mut a, _b, team) = server.pair();
    let incident = log(&mut a, "Approach by a man with a camera");
    amend(&mut a, &incident, "He photographed the number plates");
    amend(&mut a, &incident, "He left in a taxi");
    a.sync().unwrap();
    let anchored = server_head(&server, &a.id());
    assert_eq!(anchored.map(|h| h.0), Some(3));
    // An insider with the keys cuts the last two entries and covers the local head.
    drop_triggers(&mut a);
    let keep = local_hash_at(&mut a, 1);
    a.db()
        .raw_connection()
        .execute("DELETE FROM incident_entries WHERE seq > 1", [])
        .unwrap();
    a.db()
        .raw_connection()
        .execute(
            "UPDATE incident_chain_head SET seq = 1, hash = ?1",
            [&keep[..]],
        )
        .unwrap();
    amend(&mut a, &incident, "Nothing else happened");
    a.sync().unwrap();
    let refused = refusals(&mut a);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].1, REASON_BELOW_HEAD);
    assert_eq!(server_head(&server, &a.id()), anchored);
    assert_eq!(entries_held(&server, &team), 3);
    // Locally the cut chain links up, but it is behind the receipt the server gave.
    assert_eq!(stored_receipt(&server, &mut a), anchored);
    let r = IncidentLog::new(&mut a.vault).verify().unwrap();
    assert!(!r.ok);
    let p = r.problem.unwrap();
    assert_eq!((p.kind, p.seq), (ProblemKind::BehindReceipt, 3));
    assert!(IncidentLog::new(&mut a.vault)
        .export_bundle(&ExportScope::All)
        .is_err());
    // Writing the cut entries' seqs again does not help: another hash at the anchored seq.
    amend(&mut a, &incident, "Still nothing");
    let r = IncidentLog::new(&mut a.vault).verify().unwrap();
    let p = r.problem.unwrap();
    assert_eq!((p.kind, p.seq), (ProblemKind::ReceiptMismatch, 3));
}

#[test]
fn a_store_rolled_back_to_an_older_copy_cannot_rewrite_the_anchored_chain() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    let incident = log(&mut a, "Suspicious parcel at reception");
    a.sync().unwrap();
    let backup = tempfile::tempdir().unwrap();
    a.with_store_closed(|store| copy_dir(store, backup.path()));
    amend(&mut a, &incident, "Parcel collected by the courier");
    amend(&mut a, &incident, "Courier confirmed by phone");
    a.sync().unwrap();
    let anchored = server_head(&server, &a.id());
    assert_eq!(anchored.map(|h| h.0), Some(3));
    b.sync().unwrap();
    let a_id = a.id();
    let genuine: Vec<Vec<u8>> = chain::all(b.db().raw_connection())
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == a_id)
        .map(|e| e.hash)
        .collect();
    assert_eq!(genuine.len(), 3);

    // Restore the older copy and write another history from there.
    a.with_store_closed(|store| {
        std::fs::remove_dir_all(store).unwrap();
        copy_dir(backup.path(), store);
    });
    assert_eq!(local_head(&mut a).0, 1);
    amend(&mut a, &incident, "Parcel was never delivered");
    amend(&mut a, &incident, "Reception saw nothing");
    amend(&mut a, &incident, "All quiet");
    a.sync().unwrap();
    let refused = refusals(&mut a);
    assert_eq!(refused.len(), 3);
    // The first two reuse outbox sequence numbers the server already consumed; the third
    // is new to the outbox but does not link to the anchored head.
    assert_eq!(
        refused[0].1,
        "sequence number already used by another operation"
    );
    assert_eq!(
        refused[1].1,
        "sequence number already used by another operation"
    );
    assert!(refused[2].1.starts_with(NOT_FOLLOWING), "{refused:?}");
    assert_eq!(server_head(&server, &a.id()), anchored);
    assert_eq!(entries_held(&server, &team), 3);

    // The team's other device never stores the rewritten entries.
    b.sync().unwrap();
    let held: Vec<Vec<u8>> = chain::all(b.db().raw_connection())
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == a_id)
        .map(|e| e.hash)
        .collect();
    assert_eq!(held, genuine);
    assert!(IncidentLog::new(&mut b.vault).verify().unwrap().ok);
}

fn resign(d: &mut Device, mut bundle: Bundle) -> Vec<u8> {
    let payload = serde_json::to_vec(&bundle.payload).unwrap();
    let mut msg = BUNDLE_DOMAIN_V2.to_vec();
    msg.extend_from_slice(&payload);
    bundle.signature = hex::encode(d.db().device_key().sign(&msg));
    serde_json::to_vec(&bundle).unwrap()
}

#[test]
fn bundles_carry_the_receipt_and_a_cut_or_edited_one_fails() {
    let server = TestServer::start();
    let (mut a, _b, _team) = server.pair();
    let first = log(&mut a, "Man filming the convoy");
    let second = log(&mut a, "Motorbike kept pace for two miles");
    amend(&mut a, &second, "Rider wore a red helmet");
    a.sync().unwrap();
    let anchored = stored_receipt(&server, &mut a).unwrap();
    assert_eq!(anchored.0, 3);
    // Logged after the last sync: in the bundle, not yet anchored.
    amend(&mut a, &first, "Filming stopped when approached");

    let bytes = IncidentLog::new(&mut a.vault)
        .export_bundle(&ExportScope::All)
        .unwrap();
    let report = verify_bundle(&bytes);
    assert!(report.ok, "{report:?}");
    let receipt = report.receipt.unwrap();
    assert_eq!(receipt.seq, 3);
    assert_eq!(receipt.hash, hex::encode(anchored.1));
    let bundle: Bundle = serde_json::from_slice(&bytes).unwrap();
    let anchor = bundle.payload.anchor.clone().unwrap();
    assert_eq!(
        anchor.server_public_key,
        hex::encode(server_public_key(&server))
    );

    // Scoped to the first incident: the anchored entry (of the second) is only a link,
    // without its body, and the chain still reaches it.
    let scoped = IncidentLog::new(&mut a.vault)
        .export_bundle(&ExportScope::Incidents(vec![first.clone()]))
        .unwrap();
    let r = verify_bundle(&scoped);
    assert!(r.ok, "{r:?}");
    let sb: Bundle = serde_json::from_slice(&scoped).unwrap();
    assert!(sb.payload.entries[2].body.is_none());

    // An edited receipt breaks the device's bundle signature...
    let mut edited = bundle.clone();
    edited.payload.anchor.as_mut().unwrap().receipt.anchored_ms += 1;
    let plain = serde_json::to_vec(&edited).unwrap();
    assert_eq!(
        verify_bundle(&plain).problem,
        Some(BundleProblem::BadBundleSignature)
    );
    // ...and re-signed by the insider it no longer verifies under the server key.
    assert_eq!(
        verify_bundle(&resign(&mut a, edited)).problem,
        Some(BundleProblem::BadReceipt)
    );

    // Cut before the anchored seq (re-signed with the device key): reported as such.
    let mut cut = bundle.clone();
    cut.payload.entries.truncate(2);
    cut.payload.head_seq = 2;
    cut.payload.head_hash = cut.payload.entries[1].hash.clone();
    cut.payload.incidents = vec![first.clone(), second.clone()];
    let cut_bytes = resign(&mut a, cut.clone());
    assert_eq!(
        verify_bundle(&cut_bytes).problem,
        Some(BundleProblem::BehindReceipt)
    );
    // The same cut without the receipt is self-consistent: the receipt is what shows it.
    cut.payload.anchor = None;
    let r = verify_bundle(&resign(&mut a, cut));
    assert!(r.ok, "{r:?}");
}

#[test]
fn a_receipt_that_does_not_verify_is_a_protocol_error_and_not_stored() {
    use vigil_core::sync::protocol::{
        ChainReceipt, EntryOutcome, EntryResult, PushResult, SCHEMA_VERSION,
    };
    use vigil_testkit::proxy::{Fault, FaultProxy};
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let proxy = FaultProxy::start(server.addr);
    let mut a = Device::new(&proxy.url());
    a.enroll(&server, &team, "A");
    log(&mut a, "Unknown car parked at the gate");
    let pending = a.pending();
    assert_eq!(pending.len(), 1);
    let (seq, hash) = local_head(&mut a);
    // A push answer whose receipt is signed by a key that is not the server's.
    let (impostor, _) = DeviceKey::generate().unwrap();
    let answer = PushResult {
        schema_version: SCHEMA_VERSION,
        results: vec![EntryResult {
            seq: pending[0].seq,
            op_id: pending[0].op_id.clone(),
            outcome: EntryOutcome::Applied,
        }],
        receipt: Some(ChainReceipt::signed(
            &a.id(),
            None,
            seq,
            &hash,
            1,
            &impostor,
        )),
        pending_blobs: Vec::new(),
        server_time_ms: None,
    };
    let body = serde_json::to_string(&answer).unwrap();
    proxy.push(Fault::Respond(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )));
    let err = a.sync().unwrap_err();
    assert!(
        matches!(&err, vigil_core::sync::SyncError::Protocol(m) if m.contains("receipt")),
        "{err:?}"
    );
    // Neither the receipt nor the acks of that answer were kept.
    let id = a.id();
    let own = a.db().device_key().public_key();
    assert!(anchor::receipt(a.db().raw_connection(), &id, &own)
        .unwrap()
        .is_none());
    assert_eq!(a.pending().len(), 1);
    // The real server's answer goes through.
    a.sync().unwrap();
    assert!(a.pending().is_empty());
    assert_eq!(stored_receipt(&server, &mut a), Some((seq, hash)));
}

#[test]
fn a_device_still_refuses_a_forged_entry_that_a_compromised_server_forwards() {
    use vigil_core::sync::protocol::{PullPage, SCHEMA_VERSION};
    use vigil_core::sync::InboxState;
    use vigil_testkit::proxy::{Fault, FaultProxy};
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    let proxy = FaultProxy::start(server.addr);
    let mut b = Device::new(&proxy.url());
    b.enroll(&server, &team, "B");
    log(&mut a, "Man photographing the entrance");
    a.sync().unwrap();
    let genuine = server
        .team_changes(&team)
        .into_iter()
        .find(|c| c.kind == "incident.entry")
        .unwrap();
    // What the honest server refused on ingest, a compromised one forwards anyway: the
    // genuine entry's hash and signature over an edited body, as the next link.
    let mut forged = genuine.clone();
    forged.server_seq += 1;
    forged.seq += 1;
    forged.op_id = uuid::Uuid::new_v4().to_string();
    forged.payload["seq"] = json!(2);
    forged.payload["prev_hash"] = genuine.payload["hash"].clone();
    forged.payload["body"] = json!(genuine.payload["body"]
        .as_str()
        .unwrap()
        .replace("photographing", "waving at"));
    let page = PullPage {
        schema_version: SCHEMA_VERSION,
        next_cursor: forged.server_seq,
        changes: vec![genuine, forged],
        has_more: false,
        resync_from_scratch: false,
        server_time_ms: None,
    };
    let body = serde_json::to_string(&page).unwrap();
    proxy.push(Fault::Respond(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )));
    b.sync().unwrap();
    let inbox = common::entry_inbox(&mut b);
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    assert_eq!(inbox[0], (InboxState::Applied, None));
    assert_eq!(inbox[1].0, InboxState::Failed);
    assert!(
        inbox[1]
            .1
            .as_deref()
            .unwrap()
            .contains("does not match its body"),
        "{inbox:?}"
    );
    let a_id = a.id();
    let held = chain::all(b.db().raw_connection())
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == a_id)
        .count();
    assert_eq!(held, 1);
    assert!(IncidentLog::new(&mut b.vault).verify().unwrap().ok);
}
