//! Attachments through sync, end to end: real encrypted stores with sealed files on disk,
//! the real engine and HTTP transport, the real server on loopback, and the tests' own
//! fault proxy. Photos arrive whole and verified, never after the record that announces
//! them is refused, and cut transfers resume where they stopped.

use crate::common;

use std::sync::{Arc, Mutex};

use common::{post_json, Device, TestServer};
use serde_json::json;
use vigil_core::clock::now_ms;
use vigil_core::clock::Hlc;
use vigil_core::incident::{IncidentError, IncidentLog};
use vigil_core::sync::protocol::{
    paths, BlobOp, BlobRef, BlobRequest, PushBatch, PushEntry, BLOB_CHUNK,
};
use vigil_core::sync::transport::{HttpTransport, Response, TransportError};
use vigil_core::sync::{SyncError, Transport};
use vigil_testkit::proxy::{Fault, FaultProxy};

#[test]
fn photos_reach_teammates_whole_verified_and_readable() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    // Sizes around the chunk: a few bytes, exactly one chunk, several chunks and a tail.
    let photos = [
        vigil_testkit::photo(1, 10),
        vigil_testkit::photo(2, BLOB_CHUNK),
        vigil_testkit::photo(3, 3 * BLOB_CHUNK + 777),
    ];
    let mut sent = Vec::new();
    for p in &photos {
        sent.push(a.log_with_photo(p));
    }
    assert_eq!(a.status().attachments_to_upload, 3);
    let r = a.sync().unwrap();
    assert_eq!(r.attachments_uploaded, 3);
    assert_eq!(r.quarantined, 0);
    assert_eq!(a.status().attachments_to_upload, 0);
    assert_eq!(a.status().pending, 0);

    let r = b.sync().unwrap();
    assert_eq!(r.attachments_downloaded, 3);
    assert_eq!(r.attachments_failed, 0);
    assert_eq!(b.status().attachments_to_download, 0);
    for ((incident, aref), bytes) in sent.iter().zip(&photos) {
        assert_eq!(&b.read_attachment(&aref.id).unwrap(), bytes);
        let view = IncidentLog::new(&mut b.vault).get(incident).unwrap();
        assert_eq!(view.current.attachments, vec![aref.clone()]);
    }
    // What the server holds is the sealed file, not the photo.
    let name = a.sealed_name(&sent[2].1.id);
    let stored = server
        .storage
        .blob_read(&team, &name.sha256, 0, 1 << 20)
        .unwrap();
    assert_eq!(stored.len() as u64, name.size);
    assert!(name.size > photos[2].len() as u64);
    assert_ne!(&stored[..4096], &photos[2][..4096]);
    // A second sync moves nothing.
    let r = b.sync().unwrap();
    assert_eq!((r.attachments_downloaded, r.pulled), (0, 0));
}

#[test]
fn a_record_naming_a_blob_the_server_lacks_is_refused_whole() {
    let server = TestServer::start();
    let (mut a, _b, team) = server.pair();
    let id = a.id();
    let blob = BlobRef {
        sha256: "ab".repeat(32),
        size: 1000,
    };
    let entry = |seq: u64, payload: serde_json::Value| PushEntry {
        seq,
        op_id: format!("op-{seq}"),
        hlc: Hlc {
            physical_ms: now_ms(),
            counter: seq as u32,
            device: id.clone(),
        },
        kind: "incident.attachment".into(),
        entity_id: "cd".repeat(16),
        payload,
    };
    // Protocol 2 (and 1): the blob must be whole before the record.
    let batch = PushBatch::signed_as(
        2,
        &id,
        vec![
            entry(1, json!({"note": "first"})),
            entry(2, json!({"blob": blob})),
        ],
        a.db().device_key(),
    );
    let (status, body) = post_json(&server.transport(), paths::PUSH, &batch);
    assert_eq!(status, 409);
    assert_eq!(common::error_body(&body).error, "blob_missing");
    // Nothing of the batch applied, not even the entry before: seq 1 is still expected.
    assert!(server.team_changes(&team).is_empty());
    let batch = PushBatch::signed(
        &id,
        vec![entry(1, json!({"note": "first"}))],
        a.db().device_key(),
    );
    let (status, _) = post_json(&server.transport(), paths::PUSH, &batch);
    assert_eq!(status, 200);
    assert_eq!(server.team_changes(&team).len(), 1);
}

#[test]
fn a_cut_upload_resumes_where_the_server_copy_ends() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    let bytes = vigil_testkit::photo(7, 3 * BLOB_CHUNK + 5);
    let (_, aref) = a.log_with_photo(&bytes);
    let name = a.sealed_name(&aref.id);

    let proxy = FaultProxy::start(server.addr);
    a.engine = vigil_core::team::engine(Box::new(
        HttpTransport::without_reuse(&proxy.url(), std::time::Duration::from_secs(5)).unwrap(),
    ));
    // Text first: the push and the pull go through, then status and the first chunk;
    // the second chunk's request is cut half way: the part of the chunk that arrived is
    // kept.
    proxy.push(Fault::Forward);
    proxy.push(Fault::Forward);
    proxy.push(Fault::Forward);
    proxy.push(Fault::Forward);
    proxy.push(Fault::CutRequest(BLOB_CHUNK / 2));
    let err = a.sync().unwrap_err();
    assert!(matches!(err, SyncError::Transient { .. }), "{err:?}");
    // The server learns of the cut when the connection closes, maybe after the device.
    let held = common::poll(
        || server.storage.blob(&team, &name.sha256).unwrap().unwrap(),
        |h| h.received != BLOB_CHUNK as u64,
    );
    // What arrived of the second chunk: the cut request minus its HTTP and frame headers.
    let kept = held.received - BLOB_CHUNK as u64;
    assert!(
        kept > (BLOB_CHUNK / 2 - 2048) as u64 && kept < (BLOB_CHUNK / 2) as u64,
        "{held:?}"
    );
    assert!(!held.complete);
    // The records went ahead of their file (protocol 3); the file is still to upload.
    assert_eq!(a.status().pending, 0);
    assert_eq!(a.status().attachments_to_upload, 1);
    assert_eq!(server.team_changes(&team).len(), 3);

    // The next chunk goes on from there (after the pull and a status); it is stored but
    // its answer is lost on the way back.
    proxy.push(Fault::Forward);
    proxy.push(Fault::Forward);
    proxy.push(Fault::CutResponse(10));
    let err = a.sync().unwrap_err();
    assert!(matches!(err, SyncError::Transient { .. }), "{err:?}");
    let again = server.storage.blob(&team, &name.sha256).unwrap().unwrap();
    assert_eq!(again.received, held.received + BLOB_CHUNK as u64);

    let r = a.sync().unwrap();
    assert_eq!(r.attachments_uploaded, 1);
    assert_eq!(r.pushed, 0, "the records went with the first sync");
    assert!(
        server
            .storage
            .blob(&team, &name.sha256)
            .unwrap()
            .unwrap()
            .complete
    );
    b.sync().unwrap();
    assert_eq!(b.read_attachment(&aref.id).unwrap(), bytes);
}

#[test]
fn a_cut_download_resumes_from_the_partial_file() {
    let server = TestServer::start();
    let (mut a, mut b, _team) = server.pair();
    // Three ranges of at most 1 MiB.
    let bytes = vigil_testkit::photo(9, 2 * 1024 * 1024 + 4321);
    let (_, aref) = a.log_with_photo(&bytes);
    a.sync().unwrap();

    let proxy = FaultProxy::start(server.addr);
    b.engine = vigil_core::team::engine(Box::new(
        HttpTransport::without_reuse(&proxy.url(), std::time::Duration::from_secs(5)).unwrap(),
    ));
    // pull (one page), then the first range whole, the second cut in its body.
    proxy.push(Fault::Forward);
    proxy.push(Fault::Forward);
    proxy.push(Fault::CutResponse(300_000));
    let err = b.sync().unwrap_err();
    assert!(matches!(err, SyncError::Transient { .. }), "{err:?}");
    assert_eq!(b.status().attachments_to_download, 1);
    assert!(matches!(
        b.read_attachment(&aref.id),
        Err(IncidentError::AttachmentNotDownloaded)
    ));
    let part = b
        .vault
        .paths()
        .attachments
        .join(format!("{}.download", aref.id));
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 1024 * 1024);

    let r = b.sync().unwrap();
    assert_eq!(r.attachments_downloaded, 1);
    assert!(!part.exists());
    assert_eq!(b.read_attachment(&aref.id).unwrap(), bytes);
}

#[test]
fn a_blob_damaged_on_the_server_is_never_installed_and_the_record_stays_on_sqlite() {
    use vigil_core::testing::RawConnection;
    common::sqlite_only();
    let server = TestServer::start();
    let (mut a, mut b, _team) = server.pair();
    let bytes = vigil_testkit::photo(11, 5000);
    let (incident, aref) = a.log_with_photo(&bytes);
    a.sync().unwrap();
    // Damage the stored chunk behind the server's back.
    let db = server.raw_db();
    db.execute("UPDATE blob_chunks SET data = zeroblob(len)", [])
        .unwrap();
    let r = b.sync().unwrap();
    assert_eq!((r.attachments_downloaded, r.attachments_failed), (0, 1));
    assert!(matches!(
        b.read_attachment(&aref.id),
        Err(IncidentError::AttachmentNotDownloaded)
    ));
    let reason: Option<String> = b
        .db()
        .raw_connection()
        .query_row(
            "SELECT transfer_error FROM incident_attachments WHERE id = ?1",
            [&aref.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        reason.as_deref(),
        Some("downloaded attachment failed its integrity check")
    );
    // The record itself arrived and still names the attachment; nothing half-written
    // was left behind.
    let view = IncidentLog::new(&mut b.vault).get(&incident).unwrap();
    assert_eq!(view.current.attachments, vec![aref.clone()]);
    let dir = b.vault.paths().attachments.clone();
    assert!(!dir.join(&aref.id).exists());
    assert!(!dir.join(format!("{}.download", aref.id)).exists());
    assert_eq!(b.status().attachments_to_download, 1);
}

#[test]
fn blobs_are_team_scoped_and_signed() {
    let server = TestServer::start();
    let (mut a, _b, team) = server.pair();
    let other_team = server.new_team("Bravo");
    let mut c = Device::new(&server.url());
    c.enroll(&server, &other_team, "C");
    let (_, aref) = a.log_with_photo(&vigil_testkit::photo(13, 2000));
    a.sync().unwrap();
    let name = a.sealed_name(&aref.id);
    let t = server.transport();
    let get = |d: &mut Device, issued: u64| {
        let id = d.id();
        BlobRequest::signed(
            &id,
            BlobOp::Get,
            &name,
            0,
            name.size,
            String::new(),
            issued,
            d.db().device_key(),
        )
    };
    // The uploader's team reads it...
    let req = get(&mut a, now_ms());
    let r = t
        .post(paths::BLOB_GET, serde_json::to_vec(&req).unwrap())
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len() as u64, name.size);
    // ...another team's device does not even learn it exists.
    let (status, body) = post_json(&t, paths::BLOB_GET, &get(&mut c, now_ms()));
    assert_eq!(status, 404);
    assert_eq!(common::error_body(&body).error, "not_found");
    // A request signed by another key, or replayed ten minutes later, is refused.
    let mut forged = get(&mut c, now_ms());
    forged.device_id = a.id();
    let (status, body) = post_json(&t, paths::BLOB_GET, &forged);
    assert_eq!(
        (status, common::error_body(&body).error.as_str()),
        (401, "bad_signature")
    );
    let (status, body) = post_json(&t, paths::BLOB_GET, &get(&mut a, now_ms() - 600_000));
    assert_eq!(
        (status, common::error_body(&body).error.as_str()),
        (401, "stale_request")
    );
    // A chunk whose bytes do not match its signed digest is refused and changes nothing.
    let header = BlobRequest::signed(
        &a.id(),
        BlobOp::Put,
        &BlobRef {
            sha256: "12".repeat(32),
            size: 3,
        },
        0,
        3,
        "34".repeat(32),
        now_ms(),
        a.db().device_key(),
    );
    let body = vigil_core::sync::protocol::encode_blob_put(&header, b"abc");
    let r = t.post_octets(paths::BLOB_PUT, body).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(common::error_body(&r.body).error, "malformed");
    assert!(server
        .storage
        .blob(&team, &"12".repeat(32))
        .unwrap()
        .is_none());
}

/// A real HTTP transport that records the size of every request body it sends.
struct Sizes {
    inner: HttpTransport,
    seen: Arc<Mutex<Vec<(String, usize)>>>,
}

impl Transport for Sizes {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        self.seen
            .lock()
            .unwrap()
            .push((path.to_string(), body.len()));
        self.inner.post(path, body)
    }

    fn post_octets(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        self.seen
            .lock()
            .unwrap()
            .push((path.to_string(), body.len()));
        self.inner.post_octets(path, body)
    }
}

#[test]
fn thirty_days_offline_ten_thousand_entries_and_five_hundred_photos_drain_in_bounded_requests() {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    // A month of shifts: 500 incidents with a photo each (the log entry, the attachment
    // and the amendment that adds it: 1,500 changes), and 8,500 other changes.
    const PHOTOS: usize = 500;
    const OTHER: usize = 8_500;
    let mut refs = Vec::new();
    for i in 0..PHOTOS {
        let bytes = vigil_testkit::photo(100 + i as u64, 20_000 + (i * 97) % 40_000);
        refs.push((a.log_with_photo(&bytes).1, bytes.len()));
    }
    a.db()
        .write(|w| {
            for i in 0..OTHER {
                w.emit(
                    "note.shift",
                    &format!("day{}-{i}", i / 300),
                    &json!({"day": i / 300, "text": "x".repeat(180)}),
                )?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(a.status().pending, (3 * PHOTOS + OTHER) as u64);
    assert_eq!(a.status().attachments_to_upload, PHOTOS as u64);

    let seen = Arc::new(Mutex::new(Vec::new()));
    a.engine = vigil_core::team::engine(Box::new(Sizes {
        inner: server.transport(),
        seen: seen.clone(),
    }));
    let r = a.sync().unwrap();
    assert_eq!(r.pushed, (3 * PHOTOS + OTHER) as u64);
    assert_eq!(r.attachments_uploaded, PHOTOS as u64);
    assert_eq!(a.status().pending, 0);
    let seen = seen.lock().unwrap().clone();
    // Bounded: no request body over a batch (256 KiB) or a chunk plus its header.
    let largest = seen.iter().map(|(_, n)| *n).max().unwrap();
    assert!(largest <= BLOB_CHUNK + 1024, "{largest}");
    let pushes = seen.iter().filter(|(p, _)| p == paths::PUSH).count();
    // ... nor a batch of more entries than the engine's default.
    let most = vigil_core::sync::engine::DEFAULT_BATCH_SIZE as usize;
    assert!(pushes >= (3 * PHOTOS + OTHER) / most, "{pushes}");

    let r = b.sync().unwrap();
    assert_eq!(r.attachments_downloaded, PHOTOS as u64);
    assert_eq!(b.status().attachments_to_download, 0);
    for (aref, len) in &refs {
        // read_attachment checks the plaintext's size and SHA-256 against the signed ref.
        let back = b.read_attachment(&aref.id).unwrap();
        assert_eq!(back.len(), *len);
    }
    assert_eq!(server.team_changes(&team).len(), 3 * PHOTOS + OTHER);
}

/// What an attacker holding the server's data directory without its key file can read:
/// nothing of the records, the names or the photos.
#[test]
fn the_server_database_is_encrypted_at_rest_on_sqlite() {
    common::sqlite_only();
    let mut server = TestServer::start();
    let (mut a, mut b, _team) = server.pair();
    let marker = "MARKER-ZEBRA-7741";
    let mut log = IncidentLog::with_officer(&mut a.vault, Some("Sergeant Quill".into())).unwrap();
    let mut r = vigil_core::incident::Report::quick(
        vigil_core::incident::Category::HostileSurveillance,
        None,
    );
    r.narrative = format!("Watcher by the gate {marker}");
    let id = log.log(r).unwrap().incident_id;
    let bytes = vigil_testkit::photo(21, 70_000);
    log.attach(&id, &mut &bytes[..], "image/jpeg", None)
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    server.stop();
    let mut files = Vec::new();
    for e in std::fs::read_dir(server.data_dir()).unwrap() {
        let path = e.unwrap().path();
        files.push((path.clone(), std::fs::read(&path).unwrap()));
    }
    assert!(files.iter().any(|(p, _)| p.ends_with("vigil-server.db")));
    for (path, content) in &files {
        assert!(
            !content.starts_with(b"SQLite format 3"),
            "{path:?} is plain SQLite"
        );
        for needle in [
            marker.as_bytes(),
            b"Sergeant Quill",
            b"Watcher by the gate",
            &bytes[..64],
        ] {
            assert!(
                !content.windows(needle.len()).any(|w| w == needle),
                "{path:?} holds plaintext"
            );
        }
    }
}
