//! Sealed attachments: streamed round trips over several chunks, and tampering.

use crate::support;

use std::io::Read;

use support::*;
use vigil_core::incident::attachment::CHUNK;
use vigil_core::incident::{Category, IncidentError, IncidentLog, ReportPatch};
use vigil_core::testing::RawConnection;

const TAG: usize = 16;

/// Deterministic pseudo-random content.
fn content(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A reader that hands out odd-sized pieces, like a network or camera stream.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 4093 + 1021;
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

#[test]
fn round_trips_across_chunks_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    for len in [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 200 * 1024 + 317] {
        let data = content(len);
        let captured = at(2024, 9, 1, 12, 0);
        let r = log
            .store_attachment(
                &mut Trickle {
                    data: &data,
                    step: 0,
                },
                "video/mp4",
                Some(captured),
            )
            .unwrap();
        assert_eq!(r.size, len as u64);
        assert_eq!(r.sha256, sha256_hex(&data));
        assert_eq!(r.captured_at, Some(captured));
        let file = dir.path().join("attachments").join(&r.id);
        let chunks = len.div_ceil(CHUNK);
        assert_eq!(
            std::fs::metadata(&file).unwrap().len() as usize,
            len + chunks * TAG
        );
        // Sealed: the plaintext does not appear in the file.
        if len >= 32 {
            let sealed = std::fs::read(&file).unwrap();
            assert!(!sealed.windows(32).any(|w| w == &data[..32]));
        }
        let mut out = Vec::new();
        let back = log.read_attachment(&r.id, &mut out).unwrap();
        assert_eq!(back, r);
        assert_eq!(out, data, "len {len}");
    }
    // No leftover partial files.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("attachments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 6);
    assert!(names.iter().all(|n| n.len() == 32 && !n.contains('.')));
}

fn stored(
    len: usize,
) -> (
    tempfile::TempDir,
    vigil_core::Vault,
    String,
    std::path::PathBuf,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let data = content(len);
    let r = IncidentLog::new(&mut v)
        .store_attachment(&mut &data[..], "image/jpeg", None)
        .unwrap();
    let path = dir.path().join("attachments").join(&r.id);
    (dir, v, r.id, path)
}

fn read(v: &mut vigil_core::Vault, id: &str) -> Result<Vec<u8>, IncidentError> {
    let mut out = Vec::new();
    IncidentLog::new(v)
        .read_attachment(id, &mut out)
        .map(|_| out)
}

#[test]
fn a_flipped_byte_anywhere_is_detected() {
    let len = 200 * 1024 + 317;
    let (_d, mut v, id, path) = stored(len);
    let original = std::fs::read(&path).unwrap();
    for pos in [
        0,
        100,
        CHUNK + TAG - 1,
        CHUNK + TAG,
        2 * (CHUNK + TAG) + 5,
        original.len() - 1,
    ] {
        let mut bad = original.clone();
        bad[pos] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        assert!(
            matches!(read(&mut v, &id), Err(IncidentError::AttachmentCorrupt)),
            "flip at {pos}"
        );
    }
    std::fs::write(&path, &original).unwrap();
    assert_eq!(read(&mut v, &id).unwrap(), content(len));
}

#[test]
fn truncation_extension_and_swapped_chunks_are_detected() {
    let len = 3 * CHUNK + 999;
    let (_d, mut v, id, path) = stored(len);
    let original = std::fs::read(&path).unwrap();
    let block = CHUNK + TAG;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut at a chunk boundary", original[..3 * block].to_vec()),
        ("cut mid-chunk", original[..2 * block + 77].to_vec()),
        ("cut to a bare tag", original[..3 * block + TAG].to_vec()),
        ("emptied", vec![]),
        ("extended", [original.clone(), vec![0u8; 40]].concat()),
        ("chunks 0 and 1 swapped", {
            let mut s = original[block..2 * block].to_vec();
            s.extend_from_slice(&original[..block]);
            s.extend_from_slice(&original[2 * block..]);
            s
        }),
        ("last chunk dropped and a middle one repeated", {
            let mut s = original[..3 * block].to_vec();
            s.extend_from_slice(&original[block..2 * block]);
            s
        }),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).unwrap();
        assert!(
            matches!(read(&mut v, &id), Err(IncidentError::AttachmentCorrupt)),
            "{what}"
        );
    }
    std::fs::remove_file(&path).unwrap();
    assert!(
        matches!(read(&mut v, &id), Err(IncidentError::AttachmentCorrupt)),
        "deleted"
    );
}

#[test]
fn a_file_swapped_with_another_attachment_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let a = log
        .store_attachment(&mut &content(5000)[..], "image/jpeg", None)
        .unwrap();
    let b = log
        .store_attachment(&mut &content(5000)[..], "image/jpeg", None)
        .unwrap();
    let att = dir.path().join("attachments");
    std::fs::copy(att.join(&b.id), att.join(&a.id)).unwrap();
    assert!(matches!(
        read(&mut v, &a.id),
        Err(IncidentError::AttachmentCorrupt)
    ));
    assert_eq!(read(&mut v, &b.id).unwrap(), content(5000));
    assert!(matches!(
        read(&mut v, "00"),
        Err(IncidentError::UnknownAttachment)
    ));
}

#[test]
fn an_empty_attachment_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let before = counts(&v);
    let err = IncidentLog::new(&mut v)
        .store_attachment(&mut std::io::empty(), "audio/aac", None)
        .unwrap_err();
    assert!(matches!(err, IncidentError::AttachmentEmpty));
    assert_eq!(counts(&v), before);
}

#[test]
fn attachments_are_referenced_from_signed_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let q = log.quick_log(Category::SecurityBreach, None).unwrap();
    let photo = content(70_000);
    let (r, receipt) = log
        .attach(
            &q.incident_id,
            &mut &photo[..],
            "image/jpeg",
            Some(at(2024, 9, 2, 8, 30)),
        )
        .unwrap();
    assert_eq!(receipt.seq, 2);
    let view = log.get(&q.incident_id).unwrap();
    assert_eq!(view.current.attachments, vec![r.clone()]);
    assert_eq!(view.history[1].reason.as_deref(), Some("attachment added"));
    let before = counts(&v);
    assert_eq!(before.outbox, 3, "entry, attachment, amendment");
    let kinds: Vec<String> = v
        .db()
        .unwrap()
        .raw_connection()
        .prepare("SELECT kind FROM outbox ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        ["incident.entry", "incident.attachment", "incident.entry"]
    );
    // The outbox never carries the file key.
    let payload: String = v
        .db()
        .unwrap()
        .raw_connection()
        .query_row(
            "SELECT payload FROM outbox WHERE kind = 'incident.attachment'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!payload.contains("key"));
    // A reference to an attachment this store does not hold, or with another hash, is refused.
    let mut log = IncidentLog::new(&mut v);
    let mut forged = r.clone();
    forged.sha256 = "0".repeat(64);
    let err = log
        .amend(
            &q.incident_id,
            "swap photo",
            ReportPatch {
                attachments: Some(vec![forged]),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(
        err,
        IncidentError::InvalidInput {
            field: "attachment",
            ..
        }
    ));
    assert_eq!(counts(&v), before);
    assert!(IncidentLog::new(&mut v).verify().unwrap().ok);
}
