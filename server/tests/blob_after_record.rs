//! Protocol 3 on the server (issue 21): a record may arrive before the blob it names; the
//! server applies it, says in the device's answers which blobs it still waits for, and
//! tells teammates the blob is coming (`409 blob_pending`) until it is whole. And a put
//! cut in the middle keeps the bytes that arrived, so the device resends only the rest.

use crate::common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use common::{post_json, Device, TestServer};
use ring::digest;
use serde_json::json;
use vigil_core::clock::now_ms;
use vigil_core::clock::Hlc;
use vigil_core::sync::protocol::{
    encode_blob_put, paths, BlobOp, BlobRef, BlobRequest, BlobStatusReply, EntryOutcome, PushBatch,
    PushEntry, PushResult, SERVER_TIME_HEADER,
};
use vigil_core::sync::Transport;

fn entry(device: &str, seq: u64, payload: serde_json::Value) -> PushEntry {
    PushEntry {
        seq,
        op_id: format!("op-{seq}"),
        hlc: Hlc {
            physical_ms: now_ms(),
            counter: seq as u32,
            device: device.to_string(),
        },
        kind: "note".into(),
        entity_id: format!("n{seq}"),
        payload,
    }
}

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn name_of(data: &[u8]) -> BlobRef {
    BlobRef {
        sha256: hex::encode(digest::digest(&digest::SHA256, data)),
        size: data.len() as u64,
    }
}

fn request(d: &mut Device, op: BlobOp, blob: &BlobRef, offset: u64, chunk: &[u8]) -> BlobRequest {
    let db = d.db();
    let chunk_sha = match op {
        BlobOp::Put => hex::encode(digest::digest(&digest::SHA256, chunk)),
        _ => String::new(),
    };
    BlobRequest::signed(
        db.device_id(),
        op,
        blob,
        offset,
        chunk.len() as u64,
        chunk_sha,
        now_ms(),
        db.device_key(),
    )
}

fn get(server: &TestServer, d: &mut Device, blob: &BlobRef) -> (u16, Vec<u8>, Option<String>) {
    let req = {
        let db = d.db();
        BlobRequest::signed(
            db.device_id(),
            BlobOp::Get,
            blob,
            0,
            blob.size,
            String::new(),
            now_ms(),
            db.device_key(),
        )
    };
    let r = server
        .transport()
        .post(paths::BLOB_GET, serde_json::to_vec(&req).unwrap())
        .unwrap();
    let time = r.header(SERVER_TIME_HEADER).map(str::to_string);
    (r.status, r.body, time)
}

fn put(server: &TestServer, d: &mut Device, blob: &BlobRef, offset: u64, chunk: &[u8]) -> u16 {
    let req = request(d, BlobOp::Put, blob, offset, chunk);
    server
        .transport()
        .post_octets(paths::BLOB_PUT, encode_blob_put(&req, chunk))
        .unwrap()
        .status
}

fn status(server: &TestServer, d: &mut Device, blob: &BlobRef) -> BlobStatusReply {
    let req = request(d, BlobOp::Status, blob, 0, &[]);
    let (code, body) = post_json(&server.transport(), paths::BLOB_STATUS, &req);
    assert_eq!(code, 200);
    serde_json::from_slice(&body).unwrap()
}

fn push(server: &TestServer, d: &mut Device, entries: Vec<PushEntry>) -> PushResult {
    let id = d.id();
    let batch = PushBatch::signed(&id, entries, d.db().device_key());
    let (code, body) = post_json(&server.transport(), paths::PUSH, &batch);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn a_record_goes_before_its_blob_and_teammates_see_it_coming_until_it_arrives() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    let id = a.id();
    let photo = bytes(70_000);
    let blob = name_of(&photo);

    // The record names a blob the server has never seen: applied, and the answer says the
    // server waits for the blob.
    let r = push(
        &server,
        &mut a,
        vec![
            entry(&id, 1, json!({"text": "first"})),
            entry(&id, 2, json!({"blob": blob})),
        ],
    );
    assert!(
        r.results
            .iter()
            .all(|e| matches!(e.outcome.effective(), EntryOutcome::Applied)),
        "{r:?}"
    );
    assert_eq!(r.pending_blobs, vec![blob.clone()]);
    assert_eq!(server.team_changes(&team).len(), 2);

    // A teammate asking for it meanwhile: coming, not missing.
    let (code, body, time) = get(&server, &mut b, &blob);
    assert_eq!(code, 409);
    let err = common::error_body(&body);
    assert_eq!(err.error, "blob_pending");
    assert!(err.server_time_ms.is_some());
    assert!(time.is_none());
    // A blob nobody announced is still unknown.
    let (code, _, _) = get(&server, &mut b, &name_of(b"nobody's"));
    assert_eq!(code, 404);

    // Half of it arrives: still pending, still coming.
    assert_eq!(put(&server, &mut a, &blob, 0, &photo[..30_000]), 200);
    let r = push(
        &server,
        &mut a,
        vec![entry(&id, 3, json!({"text": "more"}))],
    );
    assert_eq!(r.pending_blobs, vec![blob.clone()]);
    assert_eq!(get(&server, &mut b, &blob).0, 409);

    // The rest: verified against its name, then readable, and no longer pending.
    assert_eq!(put(&server, &mut a, &blob, 30_000, &photo[30_000..]), 200);
    let st = status(&server, &mut a, &blob);
    assert!(st.complete && st.server_time_ms.is_some());
    let r = push(
        &server,
        &mut a,
        vec![entry(&id, 4, json!({"text": "last"}))],
    );
    assert!(r.pending_blobs.is_empty(), "{r:?}");
    let (code, got, time) = get(&server, &mut b, &blob);
    assert_eq!(code, 200);
    assert_eq!(got, photo);
    assert!(time.is_some_and(|t| t.parse::<u64>().is_ok()));
}

#[test]
fn a_blob_that_does_not_match_its_announced_name_is_discarded_and_stays_pending() {
    let server = TestServer::start();
    let (mut a, mut b, _team) = server.pair();
    let id = a.id();
    let photo = bytes(5_000);
    let blob = name_of(&photo);
    let r = push(&server, &mut a, vec![entry(&id, 1, json!({"blob": blob}))]);
    assert_eq!(r.pending_blobs, vec![blob.clone()]);
    // Other bytes under the announced name: refused whole, nothing kept.
    let mut wrong = photo.clone();
    wrong[100] ^= 1;
    let req = request(&mut a, BlobOp::Put, &blob, 0, &wrong);
    let resp = server
        .transport()
        .post_octets(paths::BLOB_PUT, encode_blob_put(&req, &wrong))
        .unwrap();
    assert_eq!(resp.status, 400);
    assert_eq!(common::error_body(&resp.body).error, "blob_mismatch");
    assert_eq!(status(&server, &mut a, &blob).received, 0);
    let r = push(&server, &mut a, vec![entry(&id, 2, json!({"text": "x"}))]);
    assert_eq!(r.pending_blobs, vec![blob.clone()]);
    assert_eq!(get(&server, &mut b, &blob).0, 409);
}

/// Sends a put whose connection is closed after `sent` bytes of its chunk.
fn cut_put(server: &TestServer, req: &BlobRequest, chunk: &[u8], sent: usize) {
    let body = encode_blob_put(req, chunk);
    let head_len = body.len() - chunk.len();
    let mut s = TcpStream::connect(server.addr).unwrap();
    write!(
        s,
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        paths::BLOB_PUT,
        server.addr,
        body.len()
    )
    .unwrap();
    s.write_all(&body[..head_len + sent]).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(s);
}

#[test]
fn a_cut_put_keeps_the_bytes_that_arrived() {
    let server = TestServer::start();
    let (mut a, _b, team) = server.pair();
    let photo = bytes(200_000);
    let blob = name_of(&photo);
    let req = request(&mut a, BlobOp::Put, &blob, 0, &photo[..150_000]);
    cut_put(&server, &req, &photo[..150_000], 61_234);
    // The server learns of the cut when the connection closes.
    let st = common::poll(|| status(&server, &mut a, &blob), |s| s.received != 0);
    assert_eq!((st.received, st.complete), (61_234, false));
    // The device goes on from there; a second cut keeps its part too.
    let req = request(&mut a, BlobOp::Put, &blob, 61_234, &photo[61_234..]);
    cut_put(&server, &req, &photo[61_234..], 1);
    let st = common::poll(|| status(&server, &mut a, &blob), |s| s.received != 61_234);
    assert_eq!(st.received, 61_235);
    assert_eq!(put(&server, &mut a, &blob, 61_235, &photo[61_235..]), 200);
    let held = server.storage.blob(&team, &blob.sha256).unwrap().unwrap();
    assert!(held.complete);
    assert_eq!(
        server
            .storage
            .blob_read(&team, &blob.sha256, 0, 1 << 20)
            .unwrap(),
        photo
    );
}
