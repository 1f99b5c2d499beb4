//! Incident entries from the team's other devices. A pulled `incident.entry` is verified
//! against its author's registered key and against the author's chain as stored here
//! (sequence contiguous, `prev_hash` linking to the stored head) before it is stored; a
//! forged, edited or out-of-chain entry is refused and never stored. Stored remote entries
//! feed the same views and search as local ones.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Deserialize;

use super::canonical::{link_hash, EntryBody, EntryKind};
use super::chain::{self, OUTBOX_KIND_ENTRY};
use super::query;
use crate::clock::now_ms;
use crate::crypto::signing;
use crate::sync::apply::{ApplyError, RemoteApplier};
use crate::sync::protocol::Change;

/// The outbox payload of `incident.entry` (see `chain::append`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryPayload {
    device_id: String,
    seq: u64,
    entry_id: String,
    prev_hash: String,
    hash: String,
    signature: String,
    body: String,
}

/// Why an `incident.entry` is refused. The messages name the check that failed and
/// never quote the entry's content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryRefusal {
    /// The payload is not `{device_id, seq, entry_id, prev_hash, hash, signature, body}`
    /// with 32-byte hashes, a 64-byte signature and a seq of at least 1.
    #[error("malformed incident entry")]
    Malformed,
    #[error("incident entry names another device than its sender")]
    OtherDevice,
    /// `seq` is at or below the given head: a repeat of the head itself (`same_as_head`)
    /// or an entry competing with one already in the chain. The caller decides (the
    /// device compares with what it stored; the server refuses it as a rewrite).
    #[error("incident entry at a sequence already in the chain")]
    AtOrBelowHead { seq: u64, same_as_head: bool },
    /// `seq` skips past head + 1: entries in between are missing.
    #[error("incident entry does not follow the chain head: missing entries, expected sequence {expected}")]
    Gap { expected: u64 },
    /// `seq` is head + 1 but `prev_hash` is not the head's hash.
    #[error("incident entry does not follow the chain head: prev_hash is not the head's hash")]
    NotLinked,
    #[error("incident entry signature does not verify")]
    BadSignature,
    #[error("incident entry hash does not match its body")]
    HashMismatch,
    #[error("incident entry body is not a canonical entry")]
    NotCanonical,
    #[error("incident entry id or incident id disagrees with its body")]
    IdMismatch,
}

/// An `incident.entry` that passed [`check_entry`]: the next link of its device's chain.
#[derive(Clone, Debug)]
pub struct CheckedEntry {
    pub device_id: String,
    pub seq: u64,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub signature: Vec<u8>,
    pub body: EntryBody,
    /// The body's exact bytes (what the hash covers).
    pub body_bytes: Vec<u8>,
}

fn hex_n<const N: usize>(s: &str) -> Result<[u8; N], EntryRefusal> {
    hex::decode(s)
        .ok()
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(EntryRefusal::Malformed)
}

/// The one check of an `incident.entry` payload, shared by the device (entries pulled
/// from teammates) and the team server (entries pushed to it): the payload names
/// `sender`; its `seq` and `prev_hash` follow `head` (`(0, zeros)` before the first
/// entry); the Ed25519 signature over `hash` verifies under `public_key`; `hash` is
/// the entry hash of (seq, prev_hash, device, body bytes); the body is a canonical
/// entry whose ids are the payload's `entry_id` and `incident_id`. Pure: no store.
/// Checked in this order, the first failure is returned.
pub fn check_entry(
    payload: &serde_json::Value,
    sender: &str,
    incident_id: &str,
    public_key: &[u8],
    head: (u64, [u8; 32]),
) -> Result<CheckedEntry, EntryRefusal> {
    let p = EntryPayload::deserialize(payload).map_err(|_| EntryRefusal::Malformed)?;
    if p.device_id != sender {
        return Err(EntryRefusal::OtherDevice);
    }
    let prev_hash = hex_n::<32>(&p.prev_hash)?;
    let hash = hex_n::<32>(&p.hash)?;
    let signature = hex_n::<64>(&p.signature)?.to_vec();
    if p.seq == 0 {
        return Err(EntryRefusal::Malformed);
    }
    let (head_seq, head_hash) = head;
    if p.seq <= head_seq {
        return Err(EntryRefusal::AtOrBelowHead {
            seq: p.seq,
            same_as_head: p.seq == head_seq && hash == head_hash,
        });
    }
    if p.seq != head_seq + 1 {
        return Err(EntryRefusal::Gap {
            expected: head_seq + 1,
        });
    }
    if prev_hash != head_hash {
        return Err(EntryRefusal::NotLinked);
    }
    if !signing::verify(public_key, &hash, &signature) {
        return Err(EntryRefusal::BadSignature);
    }
    let body_bytes = p.body.into_bytes();
    if link_hash(
        p.seq,
        &prev_hash,
        &p.device_id,
        &p.entry_id,
        incident_id,
        &body_bytes,
    ) != hash
    {
        return Err(EntryRefusal::HashMismatch);
    }
    let body = EntryBody::decode(&body_bytes).ok_or(EntryRefusal::NotCanonical)?;
    if body.entry_id != p.entry_id || body.incident_id != incident_id {
        return Err(EntryRefusal::IdMismatch);
    }
    Ok(CheckedEntry {
        device_id: p.device_id,
        seq: p.seq,
        prev_hash,
        hash,
        signature,
        body,
        body_bytes,
    })
}

fn refuse(reason: &str) -> ApplyError {
    ApplyError::Invalid(reason.to_string())
}

/// Registers the key a pulled change carries for its author, or checks it against the
/// one registered before. Returns the key to verify with.
pub fn learn_key(tx: &Transaction<'_>, change: &Change) -> Result<Vec<u8>, ApplyError> {
    let offered = match &change.public_key {
        None => None,
        Some(h) => {
            let k = hex::decode(h).map_err(|_| refuse("author key is not hex"))?;
            if k.len() != 32 {
                return Err(refuse("author key is not 32 bytes"));
            }
            Some(k)
        }
    };
    match (chain::registered_key(tx, &change.device_id)?, offered) {
        (Some(known), Some(k)) if known != k => {
            Err(refuse("author key differs from the registered one"))
        }
        (Some(known), _) => Ok(known),
        (None, Some(k)) => {
            tx.execute(
                "INSERT INTO device_keys(device_id, public_key, first_seen_ms) VALUES (?1, ?2, ?3)",
                params![change.device_id, k, now_ms() as i64],
            )?;
            Ok(k)
        }
        (None, None) => Err(refuse("author key unknown")),
    }
}

/// Verifies and stores remote incident entries (`incident.entry`). Register it for the
/// `incident.` prefix; other incident kinds (attachment metadata) are kept in the inbox.
pub struct IncidentEntryApplier;

impl IncidentEntryApplier {
    /// An entry at a seq already stored for its device: accepted without effect when it
    /// is the very entry stored there, refused otherwise.
    fn repeat(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        let (seq, hash) = match (change.payload.get("seq"), change.payload.get("hash")) {
            (Some(s), Some(h)) => (s.as_u64(), h.as_str().and_then(|h| hex::decode(h).ok())),
            _ => (None, None),
        };
        let (Some(seq), Some(hash)) = (seq, hash) else {
            return Err(refuse("malformed incident entry"));
        };
        let stored: Option<Vec<u8>> = tx
            .query_row(
                "SELECT hash FROM incident_entries WHERE device_id = ?1 AND seq = ?2",
                params![change.device_id, seq as i64],
                |r| r.get(0),
            )
            .optional()?;
        match stored {
            Some(h) if h == hash => Ok(()),
            _ => Err(refuse(
                "conflicts with an entry already stored for this device",
            )),
        }
    }
}

impl RemoteApplier for IncidentEntryApplier {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        if change.kind != OUTBOX_KIND_ENTRY {
            return Err(refuse("not an incident entry"));
        }
        let key = learn_key(tx, change)?;
        let head = chain::head(tx, &change.device_id)?;
        let e = match check_entry(
            &change.payload,
            &change.device_id,
            &change.entity_id,
            &key,
            head,
        ) {
            Ok(e) => e,
            Err(EntryRefusal::AtOrBelowHead { .. }) => {
                // Delivered again (a resync from scratch): fine when it is the very entry
                // stored at that seq.
                return self.repeat(tx, change);
            }
            Err(r) => return Err(ApplyError::Invalid(r.to_string())),
        };
        let body = &e.body;
        if chain::by_id(tx, &body.entry_id)?.is_some() {
            return Err(refuse("entry id already used"));
        }
        chain::store_link(
            tx,
            &chain::Link {
                device_id: &e.device_id,
                seq: e.seq,
                prev: &e.prev_hash,
                hash: &e.hash,
                signature: &e.signature,
                body,
                bytes: &e.body_bytes,
            },
        )?;
        // The report may be missing here (it was refused): the entry is still stored, so
        // its author's chain continues; the view follows when a report exists.
        let has_report = body.kind == EntryKind::Report
            || chain::by_id(tx, &body.incident_id)?.is_some_and(|e| e.kind == "report");
        if has_report {
            query::refresh(tx, &body.incident_id, &body.entry_id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signing::DeviceKey;
    use crate::incident::canonical::ZERO_HASH;
    use crate::incident::model::{new_id, now, Category, Report};

    fn report_body() -> (String, Vec<u8>) {
        let id = new_id();
        let body = EntryBody {
            v: crate::incident::canonical::BODY_VERSION,
            entry_id: id.clone(),
            incident_id: id.clone(),
            kind: EntryKind::Report,
            recorded_at: now(),
            author: None,
            report: Some(Report::quick(Category::Media, None)),
            amendment: None,
        };
        (id, body.encode())
    }

    fn payload(
        key: &DeviceKey,
        seq: u64,
        prev: [u8; 32],
        id: &str,
        body: &[u8],
    ) -> serde_json::Value {
        let hash = link_hash(seq, &prev, "dev", id, id, body);
        serde_json::json!({
            "device_id": "dev", "seq": seq, "entry_id": id,
            "prev_hash": hex::encode(prev), "hash": hex::encode(hash),
            "signature": hex::encode(key.sign(&hash)),
            "body": String::from_utf8(body.to_vec()).unwrap(),
        })
    }

    #[test]
    fn check_entry_names_each_refusal() {
        let (key, _) = DeviceKey::generate().unwrap();
        let pk = key.public_key();
        let (id, body) = report_body();
        let good = payload(&key, 1, ZERO_HASH, &id, &body);
        let e = check_entry(&good, "dev", &id, &pk, (0, ZERO_HASH)).unwrap();
        assert_eq!(e.seq, 1);
        assert_eq!(e.body_bytes, body);
        let head = (1, e.hash);

        let check = |p: &serde_json::Value, head| check_entry(p, "dev", &id, &pk, head);
        assert_eq!(
            check_entry(&good, "other", &id, &pk, (0, ZERO_HASH)).unwrap_err(),
            EntryRefusal::OtherDevice
        );
        assert_eq!(
            check(&good, head).unwrap_err(),
            EntryRefusal::AtOrBelowHead {
                seq: 1,
                same_as_head: true
            }
        );
        let mut p = good.clone();
        p["extra"] = serde_json::json!(1);
        assert_eq!(
            check(&p, (0, ZERO_HASH)).unwrap_err(),
            EntryRefusal::Malformed
        );
        let p = payload(&key, 3, e.hash, &id, &body);
        assert_eq!(
            check(&p, head).unwrap_err(),
            EntryRefusal::Gap { expected: 2 }
        );
        let p = payload(&key, 2, [9; 32], &id, &body);
        assert_eq!(check(&p, head).unwrap_err(), EntryRefusal::NotLinked);
        let (other, _) = DeviceKey::generate().unwrap();
        let p = payload(&other, 1, ZERO_HASH, &id, &body);
        assert_eq!(
            check(&p, (0, ZERO_HASH)).unwrap_err(),
            EntryRefusal::BadSignature
        );
        let mut p = good.clone();
        p["body"] = serde_json::json!(p["body"].as_str().unwrap().replace("media", "other"));
        assert_eq!(
            check(&p, (0, ZERO_HASH)).unwrap_err(),
            EntryRefusal::HashMismatch
        );
        let spaced = format!(" {}", String::from_utf8(body.clone()).unwrap());
        let p = payload(&key, 1, ZERO_HASH, &id, spaced.as_bytes());
        assert_eq!(
            check(&p, (0, ZERO_HASH)).unwrap_err(),
            EntryRefusal::NotCanonical
        );
        // Version 2 commits the incident in the hash: filed under another incident, the
        // entry no longer hashes as signed.
        assert_eq!(
            check_entry(&good, "dev", "another-incident", &pk, (0, ZERO_HASH)).unwrap_err(),
            EntryRefusal::HashMismatch
        );
    }
}
