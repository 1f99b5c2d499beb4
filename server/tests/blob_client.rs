//! The device side of blob uploads (issue 19): the device trusts the server's status, never
//! sends an empty or out-of-range chunk, and when the server's state makes no sense (every
//! byte held but not complete, more bytes than the blob) it starts that blob again from
//! zero instead of failing. A blob refused for good holds back only the change that needs
//! it; the others go, and the blocked one shows in the status with its reason.
//!
//! A transport in the test rewrites the server's `status` answers to the nonsense states a
//! previous server release could be left in after a crash; the real server does the rest.

use crate::common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use common::{Device, TestServer};
use vigil_core::incident::{AttachmentRef, IncidentLog};
use vigil_core::sync::protocol::{decode_blob_put, paths, BlobStatusReply};
use vigil_core::sync::transport::HttpTransport;
use vigil_core::sync::{Response, Transport, TransportError};

/// What the server's copy is made to look like.
#[derive(Clone, Copy)]
enum Lie {
    /// Every byte held, not complete.
    WholeNotComplete,
    /// More bytes than the blob has.
    TooMany,
}

/// The real transport; the first `lies` status answers are rewritten; every put's
/// `(offset, length, size)` is recorded.
struct Liar {
    inner: HttpTransport,
    lie: Lie,
    lies: AtomicU32,
    puts: Arc<Mutex<Vec<(u64, u64, u64)>>>,
}

impl Transport for Liar {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        let mut r = self.inner.post(path, body)?;
        if path == paths::BLOB_STATUS
            && self
                .lies
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            let mut reply: BlobStatusReply = serde_json::from_slice(&r.body).unwrap();
            reply.complete = false;
            reply.received = match self.lie {
                Lie::WholeNotComplete => reply.blob.size,
                Lie::TooMany => reply.blob.size + 7,
            };
            r.body = serde_json::to_vec(&reply).unwrap();
        }
        Ok(r)
    }

    fn post_octets(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        if path == paths::BLOB_PUT {
            let (req, chunk) = decode_blob_put(&body).unwrap();
            assert_eq!(req.length, chunk.len() as u64);
            self.puts
                .lock()
                .unwrap()
                .push((req.offset, req.length, req.blob.size));
        }
        self.inner.post_octets(path, body)
    }
}

fn nonsense_is_restarted_from_zero(lie: Lie) {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let bytes = vigil_testkit::photo(3, 700 * 1024);
    let (_, aref) = a.log_with_photo(&bytes);
    let puts = Arc::new(Mutex::new(Vec::new()));
    a.engine = vigil_core::team::engine(Box::new(Liar {
        inner: server.transport(),
        lie,
        // Three answers in a row make no sense: the device stops asking and restarts.
        lies: AtomicU32::new(3),
        puts: puts.clone(),
    }));
    let r = a.sync().expect("the upload goes through");
    assert_eq!((r.attachments_uploaded, r.quarantined), (1, 0));
    assert_eq!(a.status().pending, 0);
    let puts = puts.lock().unwrap().clone();
    assert!(!puts.is_empty());
    for (offset, length, size) in &puts {
        assert!(*length > 0, "an empty chunk was sent: {puts:?}");
        assert!(offset + length <= *size, "a chunk out of range: {puts:?}");
    }
    assert_eq!(puts[0].0, 0, "started from zero");

    b.sync().unwrap();
    let mut out = Vec::new();
    IncidentLog::new(&mut b.vault)
        .read_attachment(&aref.id, &mut out)
        .unwrap();
    assert_eq!(out, bytes, "byte for byte on the teammate's device");
}

#[test]
fn a_whole_but_incomplete_copy_is_restarted_from_zero() {
    nonsense_is_restarted_from_zero(Lie::WholeNotComplete);
}

#[test]
fn a_copy_longer_than_the_blob_is_restarted_from_zero() {
    nonsense_is_restarted_from_zero(Lie::TooMany);
}

/// A blob refused for good (its file is gone from the device) blocks only the change that
/// announces it: the incidents logged before and after go through, and the blocked change
/// shows in the status with its reason.
#[test]
fn a_blob_refused_for_good_blocks_only_its_own_change() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let mut a = Device::new(&server.url());
    a.enroll(&server, &team, "A");
    let (_, aref) = a.log_with_photo(&vigil_testkit::photo(5, 40 * 1024));
    let after = common::log(&mut a, "Grey van opposite the entrance");
    assert!(!after.is_empty());
    // The sealed file disappears from the device before it was sent.
    let dir = a.db().attachments_dir().unwrap().to_path_buf();
    let mut removed = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().contains(&aref.id) {
            std::fs::remove_file(p).unwrap();
            removed += 1;
        }
    }
    assert_eq!(removed, 1);
    let r = a.sync().expect("the rest goes through");
    assert_eq!(r.quarantined, 1);
    assert!(r.pushed >= 2, "{r:?}");
    let st = a.status();
    assert_eq!((st.pending, st.quarantined), (0, 1));
    assert_eq!(st.blocked.len(), 1);
    assert!(st.blocked[0].seq.is_some());
    assert_eq!(st.blocked[0].kind, "incident.attachment");
    assert_eq!(
        st.blocked[0].reason,
        "attachment file missing on this device"
    );
    let kinds: Vec<String> = server
        .team_changes(&team)
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert!(kinds.iter().filter(|k| *k == "incident.entry").count() >= 3);
}

/// Text first (issue 21): with "text only", the incidents and their attachment records
/// reach a teammate while the photos wait on the device; the teammate's sync meanwhile
/// succeeds (the photos are "coming"), and once a full sync runs they arrive byte for byte.
#[test]
fn text_goes_first_and_photos_follow() {
    let server = TestServer::start();
    let (mut a, mut b, _) = server.pair();
    let photos: Vec<Vec<u8>> = (0..3)
        .map(|i| vigil_testkit::photo(10 + i, 200 * 1024))
        .collect();
    let refs: Vec<AttachmentRef> = photos.iter().map(|p| a.log_with_photo(p).1).collect();

    a.engine = vigil_core::team::engine(Box::new(server.transport())).text_only(true);
    let r = a.sync().unwrap();
    assert_eq!((r.quarantined, r.attachments_uploaded), (0, 0));
    let st = a.status();
    assert_eq!(st.pending, 0, "every change went, photos or not");
    assert_eq!(st.attachments_to_upload, 3);
    assert!(st.upload_bytes > 3 * 200 * 1024, "sealed files: {st:?}");

    // The teammate gets the text now; the photos are coming, which is not a failure.
    let r = b.sync().unwrap();
    assert_eq!((r.attachments_downloaded, r.attachments_failed), (0, 0));
    assert_eq!(b.status().attachments_to_download, 3);
    let listed = IncidentLog::new(&mut b.vault)
        .list(&Default::default(), &Default::default())
        .unwrap();
    assert_eq!(listed.len(), 3);

    // A full sync sends the photos; the teammate's next sync fetches them.
    a.engine = vigil_core::team::engine(Box::new(server.transport()));
    let r = a.sync().unwrap();
    assert_eq!(r.attachments_uploaded, 3);
    assert_eq!(a.status().attachments_to_upload, 0);
    let r = b.sync().unwrap();
    assert_eq!(r.attachments_downloaded, 3);
    for (aref, bytes) in refs.iter().zip(&photos) {
        let mut out = Vec::new();
        IncidentLog::new(&mut b.vault)
            .read_attachment(&aref.id, &mut out)
            .unwrap();
        assert_eq!(&out, bytes);
    }
}
