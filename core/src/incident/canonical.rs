//! The one canonical encoding of a log entry, and the hash that is signed.
//!
//! * `body` = `serde_json::to_vec(&EntryBody)`: compact JSON (no whitespace), fields in
//!   the declaration order of the structs in this module and model.rs, instants as
//!   RFC 3339 UTC with milliseconds and `Z`. The stored bytes are the evidence: readers
//!   never re-encode them, and a body that does not re-encode to itself is malformed.
//! * `hash` = SHA-256( "VIGIL-ENTRY-V1" || u64be(seq) || prev_hash[32]
//!   || u32be(len(device_id)) || device_id (UTF-8) || u32be(len(body)) || body )
//! * `signature` = Ed25519(device key, hash)   (the 32 hash bytes are the message)
//!
//! docs/INCIDENT_LOG.md describes the same for other languages.

use chrono::{DateTime, Utc};
use ring::digest;
use serde::{Deserialize, Serialize};

use super::model::{ts, Report, ReportPatch};

pub const ENTRY_DOMAIN: &[u8] = b"VIGIL-ENTRY-V1";
pub const BODY_VERSION: u32 = 1;
pub const ZERO_HASH: [u8; 32] = [0u8; 32];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Report,
    Amendment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Report => "report",
            EntryKind::Amendment => "amendment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "report" => Some(EntryKind::Report),
            "amendment" => Some(EntryKind::Amendment),
            _ => None,
        }
    }
}

/// A correction: which entry it corrects, why, and what changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amendment {
    /// The entry corrected: the incident's report or an earlier amendment.
    pub amends: String,
    pub reason: String,
    pub patch: ReportPatch,
}

/// What one entry says. Exactly one of `report` / `amendment` is set, matching `kind`.
/// An incident's id is the entry id of its report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    pub v: u32,
    pub entry_id: String,
    pub incident_id: String,
    pub kind: EntryKind,
    #[serde(with = "ts")]
    pub recorded_at: DateTime<Utc>,
    /// Name or callsign of the officer who wrote this entry.
    pub author: Option<String>,
    pub report: Option<Report>,
    pub amendment: Option<Amendment>,
}

impl EntryBody {
    pub fn encode(&self) -> Vec<u8> {
        // Serializing these plain structs into a Vec cannot fail (no maps with
        // non-string keys, no failing Serialize impls); an empty body would be refused
        // by decode and verify, never silently accepted.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Strict decoding: known fields only, version 1, kind consistent with content,
    /// and the bytes must be exactly the canonical encoding of what they decode to.
    pub fn decode(bytes: &[u8]) -> Option<EntryBody> {
        let body: EntryBody = serde_json::from_slice(bytes).ok()?;
        let consistent = body.v == BODY_VERSION
            && match body.kind {
                EntryKind::Report => {
                    body.report.is_some()
                        && body.amendment.is_none()
                        && body.entry_id == body.incident_id
                }
                EntryKind::Amendment => body.report.is_none() && body.amendment.is_some(),
            };
        (consistent && body.encode() == bytes).then_some(body)
    }
}

/// The entry hash (see the module documentation).
pub fn entry_hash(seq: u64, prev_hash: &[u8; 32], device_id: &str, body: &[u8]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(ENTRY_DOMAIN);
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev_hash);
    ctx.update(&(device_id.len() as u32).to_be_bytes());
    ctx.update(device_id.as_bytes());
    ctx.update(&(body.len() as u32).to_be_bytes());
    ctx.update(body);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::model::{Category, Report};

    #[test]
    fn hash_matches_the_documented_layout() {
        let body = br#"{"v":1}"#;
        let mut manual = Vec::new();
        manual.extend_from_slice(b"VIGIL-ENTRY-V1");
        manual.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        manual.extend_from_slice(&[0u8; 32]);
        manual.extend_from_slice(&[0, 0, 0, 3]);
        manual.extend_from_slice(b"dev");
        manual.extend_from_slice(&[0, 0, 0, 7]);
        manual.extend_from_slice(body);
        assert_eq!(entry_hash(1, &ZERO_HASH, "dev", body), sha256(&manual));
        // Known answer (computed independently with Python's hashlib), also in
        // docs/INCIDENT_LOG.md, so other implementations can check themselves.
        assert_eq!(
            hex::encode(entry_hash(1, &ZERO_HASH, "dev", body)),
            "4257ad073b10b751b6faa438c952bcb772f1d722923cdc35b56d56ccf6493222"
        );
    }

    /// The worked example of docs/INCIDENT_LOG.md.
    const DOC_BODY: &str = r#"{"v":1,"entry_id":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","incident_id":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","kind":"report","recorded_at":"2024-05-01T12:06:10.123Z","author":"Bravo 2","report":{"occurred":{"utc":"2024-05-01T12:05:00.000Z","offset_minutes":60,"zone":"Europe/London"},"category":"hostile_surveillance","severity":"medium","location":{"latitude":51.501364,"longitude":-0.14189,"accuracy_m":8.5,"source":"gps"},"narrative":"Grey van opposite the entrance for 40 minutes.","people":[],"vehicles":[{"registration":"AB12 CDE","make":null,"colour":"grey","direction":null}],"actions_taken":[],"police_reference":null,"witnesses":[],"tags":["repeat"],"venue_id":"venue-1","route_id":null,"officer":"Bravo 2","attachments":[]},"amendment":null}"#;
    const DOC_AMENDMENT: &str = r#"{"v":1,"entry_id":"0190f5e9-8a11-7c02-b5e3-4f9d1c2e7a60","incident_id":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","kind":"amendment","recorded_at":"2024-05-01T12:31:02.500Z","author":"Bravo 2","report":null,"amendment":{"amends":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","reason":"colour misread in low light","patch":{"severity":"high","tags":["repeat","confirmed"],"venue_id":null}}}"#;

    #[test]
    fn the_documented_examples_are_canonical_and_hash_as_documented() {
        assert_eq!(DOC_BODY.len(), 753);
        assert!(EntryBody::decode(DOC_BODY.as_bytes()).is_some());
        assert!(EntryBody::decode(DOC_AMENDMENT.as_bytes()).is_some());
        let h = entry_hash(
            1,
            &ZERO_HASH,
            "3b0c8f4e-6a3d-4c59-9b7e-1f2a3c4d5e6f",
            DOC_BODY.as_bytes(),
        );
        assert_eq!(
            hex::encode(h),
            "8e8567951698644774afbd019cb2837f902090c98d24e9788ac4ddb11eaed546"
        );
        // Field order is part of the encoding: the same patch in another order is refused.
        let reordered = DOC_AMENDMENT.replace(
            r#"{"severity":"high","tags":["repeat","confirmed"],"venue_id":null}"#,
            r#"{"severity":"high","venue_id":null,"tags":["repeat","confirmed"]}"#,
        );
        assert_ne!(reordered, DOC_AMENDMENT);
        assert!(EntryBody::decode(reordered.as_bytes()).is_none());
    }

    #[test]
    fn bodies_decode_only_from_their_canonical_bytes() {
        let id = crate::incident::model::new_id();
        let body = EntryBody {
            v: 1,
            entry_id: id.clone(),
            incident_id: id,
            kind: EntryKind::Report,
            recorded_at: crate::incident::model::now(),
            author: None,
            report: Some(Report::quick(Category::Media, None)),
            amendment: None,
        };
        let bytes = body.encode();
        assert_eq!(EntryBody::decode(&bytes), Some(body));
        let mut spaced = bytes.clone();
        spaced.insert(1, b' ');
        assert!(EntryBody::decode(&spaced).is_none());
    }
}
