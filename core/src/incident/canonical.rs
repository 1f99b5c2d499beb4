//! The canonical encodings of a log entry, and the hash that is signed. Two versions:
//! entries are written in version 2; version 1 entries (earlier releases) still verify
//! under the version 1 rules. The version of an entry is its body's `v`.
//!
//! * `body` = `serde_json::to_vec(&EntryBody)`: compact JSON (no whitespace), fields in
//!   the declaration order of the structs in this module and model.rs, instants as
//!   RFC 3339 UTC with milliseconds and `Z`. Version 2 writes no floats: a location is
//!   integer nanodegrees and millimetres (`latitude_nd`, `longitude_nd`, `accuracy_mm`);
//!   version 1 wrote degrees and metres as serde_json floats. The stored bytes are the
//!   evidence: readers never re-encode them, and a body that does not re-encode to
//!   itself, or breaks a rule of [`EntryBody::decode`], is malformed.
//! * version 2: `hash` = SHA-256( "VIGIL-ENTRY-V2" || u64be(seq) || prev_hash[32]
//!   || field(device_id) || field(entry_id) || field(incident_id) || SHA-256(body) ),
//!   field(x) = u32be(len(x)) || x, so an entry's incident is committed even where its
//!   body is not disclosed (a scoped bundle).
//! * version 1: `hash` = SHA-256( "VIGIL-ENTRY-V1" || u64be(seq) || prev_hash[32]
//!   || field(device_id) || field(body) )
//! * `signature` = Ed25519(device key, hash)   (the 32 hash bytes are the message)
//!
//! docs/INCIDENT_LOG.md describes the same for other languages.

use std::cell::Cell;

use chrono::{DateTime, Utc};
use ring::digest;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{
    is_lower_hex, is_uuid, ts, validate_mime, AttachmentRef, Location, LocationSource, OccurredAt,
    Report, ReportPatch,
};
use crate::crypto::hash;
/// SHA-256 of a body (and of anything else an entry commits to).
pub use crate::crypto::hash::sha256;

pub const ENTRY_DOMAIN_V1: &[u8] = b"VIGIL-ENTRY-V1";
pub const ENTRY_DOMAIN_V2: &[u8] = b"VIGIL-ENTRY-V2";
/// The body version new entries are written in.
pub const BODY_VERSION: u32 = 2;
pub const ZERO_HASH: [u8; 32] = [0u8; 32];

/// Bounds every verifier applies to a body (docs/INCIDENT_LOG.md, "What a body may hold"),
/// with [`MAX_OFFSET_MINUTES`] from the model.
use super::model::MAX_OFFSET_MINUTES;
const NANO: f64 = 1e9;
/// Version 2 accuracy bound: 10^9 mm (1000 km).
pub const MAX_ACCURACY_MM: u64 = 1_000_000_000;

thread_local! {
    /// The body version being encoded or decoded on this thread: it decides how a
    /// [`Location`] is written. 1 outside [`EntryBody`] (views, CLI output, FFI JSON keep
    /// degrees and metres).
    static NUMBER_FORM: Cell<u32> = const { Cell::new(1) };
}

fn in_version<R>(v: u32, f: impl FnOnce() -> R) -> R {
    let before = NUMBER_FORM.with(|c| c.replace(v));
    let out = f();
    NUMBER_FORM.with(|c| c.set(before));
    out
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Location")]
struct LocationV1 {
    latitude: f64,
    longitude: f64,
    accuracy_m: Option<f64>,
    source: LocationSource,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Location")]
struct LocationV2 {
    latitude_nd: i64,
    longitude_nd: i64,
    accuracy_mm: Option<u64>,
    source: LocationSource,
}

/// Degrees to nanodegrees (metres to millimetres), rounded half away from zero. Values
/// out of range are clamped here and refused by validation before they are written.
fn fixed(x: f64, scale: f64) -> i64 {
    (x * scale).round() as i64
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if NUMBER_FORM.with(Cell::get) >= 2 {
            LocationV2 {
                latitude_nd: fixed(self.latitude, NANO),
                longitude_nd: fixed(self.longitude, NANO),
                accuracy_mm: self.accuracy_m.map(|a| fixed(a, 1e3).max(0) as u64),
                source: self.source,
            }
            .serialize(s)
        } else {
            LocationV1 {
                latitude: self.latitude,
                longitude: self.longitude,
                accuracy_m: self.accuracy_m,
                source: self.source,
            }
            .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Location {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if NUMBER_FORM.with(Cell::get) >= 2 {
            let l = LocationV2::deserialize(d)?;
            Ok(Location {
                latitude: l.latitude_nd as f64 / NANO,
                longitude: l.longitude_nd as f64 / NANO,
                accuracy_m: l.accuracy_mm.map(|a| a as f64 / 1e3),
                source: l.source,
            })
        } else {
            let l = LocationV1::deserialize(d)?;
            Ok(Location {
                latitude: l.latitude,
                longitude: l.longitude,
                accuracy_m: l.accuracy_m,
                source: l.source,
            })
        }
    }
}

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

/// The version an entry's body is written in: 2 when it starts `{"v":2,`, else 1 (a
/// body that is neither is refused by [`EntryBody::decode`]).
pub fn body_version(bytes: &[u8]) -> u32 {
    if bytes.starts_with(br#"{"v":2,"#) {
        2
    } else {
        1
    }
}

impl EntryBody {
    /// The canonical bytes of this body, in its version `v`.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing these plain structs into a Vec cannot fail (no maps with
        // non-string keys, no failing Serialize impls); an empty body would be refused
        // by decode and verify, never silently accepted.
        in_version(self.v, || serde_json::to_vec(self).unwrap_or_default())
    }

    /// Strict decoding: known fields only, version 1 or 2, kind consistent with content,
    /// every bound of [`EntryBody::is_within_bounds`], and the bytes must be exactly the
    /// canonical encoding of what they decode to.
    pub fn decode(bytes: &[u8]) -> Option<EntryBody> {
        let v = body_version(bytes);
        let body: EntryBody = in_version(v, || serde_json::from_slice(bytes).ok())?;
        let consistent = body.v == v
            && match body.kind {
                EntryKind::Report => {
                    body.report.is_some()
                        && body.amendment.is_none()
                        && body.entry_id == body.incident_id
                }
                EntryKind::Amendment => body.report.is_none() && body.amendment.is_some(),
            };
        (consistent && body.is_within_bounds() && body.encode() == bytes).then_some(body)
    }

    /// What "canonical" forbids beyond the JSON shape, checked by every verifier: ids are
    /// lowercase hyphenated UUIDs; offsets within +-1080 minutes; zones 1..=64 of
    /// `[A-Za-z0-9/_+-]`; positions within WGS84 ranges, accuracy >= 0 (version 2: at
    /// most [`MAX_ACCURACY_MM`]); attachment references well-formed; an amendment has a
    /// non-empty reason and changes at least one field.
    pub fn is_within_bounds(&self) -> bool {
        let ids = is_uuid(&self.entry_id) && is_uuid(&self.incident_id);
        let content = match (&self.report, &self.amendment) {
            (Some(r), None) => report_within_bounds(r, self.v),
            (None, Some(a)) => {
                is_uuid(&a.amends)
                    && !a.reason.is_empty()
                    && !a.patch.is_empty()
                    && patch_within_bounds(&a.patch, self.v)
            }
            _ => false,
        };
        ids && content
    }
}

fn occurred_within_bounds(o: &OccurredAt) -> bool {
    o.offset_minutes.abs() <= MAX_OFFSET_MINUTES
        && o.zone.as_deref().is_none_or(|z| {
            !z.is_empty()
                && z.len() <= 64
                && z.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
        })
}

fn location_within_bounds(l: &Location, v: u32) -> bool {
    let max_accuracy = if v >= 2 {
        MAX_ACCURACY_MM as f64 / 1e3
    } else {
        f64::INFINITY
    };
    l.latitude.is_finite()
        && (-90.0..=90.0).contains(&l.latitude)
        && l.longitude.is_finite()
        && (-180.0..=180.0).contains(&l.longitude)
        && l.accuracy_m
            .is_none_or(|a| a.is_finite() && (0.0..=max_accuracy).contains(&a))
}

fn attachment_within_bounds(a: &AttachmentRef) -> bool {
    is_lower_hex(&a.id, 32)
        && is_lower_hex(&a.sha256, 64)
        && validate_mime(&a.mime).is_ok()
        && a.size >= 1
}

fn report_within_bounds(r: &Report, v: u32) -> bool {
    occurred_within_bounds(&r.occurred)
        && r.location
            .as_ref()
            .is_none_or(|l| location_within_bounds(l, v))
        && r.attachments.iter().all(attachment_within_bounds)
}

fn patch_within_bounds(p: &ReportPatch, v: u32) -> bool {
    p.occurred.as_ref().is_none_or(occurred_within_bounds)
        && p.location
            .as_ref()
            .is_none_or(|l| l.as_ref().is_none_or(|l| location_within_bounds(l, v)))
        && p.attachments
            .as_ref()
            .is_none_or(|list| list.iter().all(attachment_within_bounds))
}

fn field(ctx: &mut digest::Context, bytes: &[u8]) {
    ctx.update(&(bytes.len() as u32).to_be_bytes());
    ctx.update(bytes);
}

/// The version 1 entry hash (see the module documentation): entries of earlier releases.
pub fn entry_hash(seq: u64, prev_hash: &[u8; 32], device_id: &str, body: &[u8]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(ENTRY_DOMAIN_V1);
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev_hash);
    field(&mut ctx, device_id.as_bytes());
    field(&mut ctx, body);
    hash::finish(ctx)
}

/// The version 2 entry hash (see the module documentation), from the header and the
/// SHA-256 of the body, so it can be recomputed when the body is not disclosed.
pub fn entry_hash_v2(
    seq: u64,
    prev_hash: &[u8; 32],
    device_id: &str,
    entry_id: &str,
    incident_id: &str,
    body_sha256: &[u8; 32],
) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(ENTRY_DOMAIN_V2);
    ctx.update(&seq.to_be_bytes());
    ctx.update(prev_hash);
    field(&mut ctx, device_id.as_bytes());
    field(&mut ctx, entry_id.as_bytes());
    field(&mut ctx, incident_id.as_bytes());
    ctx.update(body_sha256);
    hash::finish(ctx)
}

/// The hash of a link whose body is known, in the body's version: how entries are
/// signed when written and checked when pulled.
pub fn link_hash(
    seq: u64,
    prev_hash: &[u8; 32],
    device_id: &str,
    entry_id: &str,
    incident_id: &str,
    body: &[u8],
) -> [u8; 32] {
    match body_version(body) {
        2 => entry_hash_v2(
            seq,
            prev_hash,
            device_id,
            entry_id,
            incident_id,
            &sha256(body),
        ),
        _ => entry_hash(seq, prev_hash, device_id, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::model::{Category, Report};

    #[test]
    fn hash_matches_the_documented_layout() {
        let body = br#"{"v":1}"#;
        let mut manual = Vec::new();
        manual.extend_from_slice(ENTRY_DOMAIN_V1);
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
    const DOC_AMENDMENT: &str = r#"{"v":2,"entry_id":"0190f5e9-8a11-7c02-b5e3-4f9d1c2e7a60","incident_id":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","kind":"amendment","recorded_at":"2024-05-01T12:31:02.500Z","author":"Bravo 2","report":null,"amendment":{"amends":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","reason":"confirmed by a second sighting; not tied to the venue","patch":{"severity":"high","tags":["repeat","confirmed"],"venue_id":null}}}"#;

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

    /// The version 2 worked example of docs/INCIDENT_LOG.md: DOC_BODY with integer
    /// nanodegrees and millimetres.
    const DOC_BODY_V2: &str = r#"{"v":2,"entry_id":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","incident_id":"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f","kind":"report","recorded_at":"2024-05-01T12:06:10.123Z","author":"Bravo 2","report":{"occurred":{"utc":"2024-05-01T12:05:00.000Z","offset_minutes":60,"zone":"Europe/London"},"category":"hostile_surveillance","severity":"medium","location":{"latitude_nd":51501364000,"longitude_nd":-141890000,"accuracy_mm":8500,"source":"gps"},"narrative":"Grey van opposite the entrance for 40 minutes.","people":[],"vehicles":[{"registration":"AB12 CDE","make":null,"colour":"grey","direction":null}],"actions_taken":[],"police_reference":null,"witnesses":[],"tags":["repeat"],"venue_id":"venue-1","route_id":null,"officer":"Bravo 2","attachments":[]},"amendment":null}"#;

    #[test]
    fn version_2_hashes_as_documented() {
        // Known answers computed independently with Python's hashlib from the document.
        assert_eq!(
            hex::encode(entry_hash_v2(
                1,
                &ZERO_HASH,
                "dev",
                "e",
                "i",
                &sha256(br#"{"v":2}"#)
            )),
            "c8acd0dada700610255288bab98beb675160e7fed215de123e3e058c778dc61c"
        );
        assert_eq!(DOC_BODY_V2.len(), 765);
        let id = "0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f";
        let dev = "3b0c8f4e-6a3d-4c59-9b7e-1f2a3c4d5e6f";
        assert_eq!(
            hex::encode(sha256(DOC_BODY_V2.as_bytes())),
            "aaf07c50953c5e64744652184ed82422e3859f34db5207406f5b98148fb2f47f"
        );
        assert_eq!(
            hex::encode(link_hash(
                1,
                &ZERO_HASH,
                dev,
                id,
                id,
                DOC_BODY_V2.as_bytes()
            )),
            "dca602334e7e5dd792e83adf6388089647a1228a23ff8e8a3435abc7d8c900c8"
        );
        // The same report, decoded from either version, is the same value; each
        // re-encodes to its own bytes.
        let v2 = EntryBody::decode(DOC_BODY_V2.as_bytes()).unwrap();
        let v1 = EntryBody::decode(DOC_BODY.as_bytes()).unwrap();
        assert_eq!(v2.report, v1.report);
        assert_eq!(EntryBody { v: 2, ..v1 }.encode(), DOC_BODY_V2.as_bytes());
        // A float where version 2 wants an integer, or degrees in version 2, is refused.
        for bad in [
            DOC_BODY_V2.replace("51501364000", "51501364000.0"),
            DOC_BODY_V2.replace(
                r#""latitude_nd":51501364000,"longitude_nd":-141890000,"accuracy_mm":8500"#,
                r#""latitude":51.501364,"longitude":-0.14189,"accuracy_m":8.5"#,
            ),
            DOC_BODY.replace(
                r#""latitude":51.501364,"longitude":-0.14189,"accuracy_m":8.5"#,
                r#""latitude_nd":51501364000,"longitude_nd":-141890000,"accuracy_mm":8500"#,
            ),
        ] {
            assert!(EntryBody::decode(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    /// The version 1 float form docs/INCIDENT_LOG.md states ("Floats"), pinned to what
    /// serde_json writes, so a change of its float printer cannot go unnoticed.
    #[test]
    fn version_1_floats_are_written_as_documented() {
        for (x, text) in [
            (0.00001234, "0.00001234"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-7"),
            (51.501364, "51.501364"),
            (-0.14189, "-0.14189"),
            (8.5, "8.5"),
            (51.0, "51.0"),
            (1000.0, "1000.0"),
            (1e15, "1000000000000000.0"),
            (1.2345e20, "1.2345e+20"),
            (0.5, "0.5"),
            (1e-5, "0.00001"),
            (1e-6, "1e-6"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(serde_json::to_string(&x).unwrap(), text, "{x:e}");
        }
    }

    #[test]
    fn what_canonical_forbids_is_refused_on_decode() {
        for (from, to) in [
            ("\"latitude_nd\":51501364000", "\"latitude_nd\":90000000001"),
            ("\"longitude_nd\":-141890000", "\"longitude_nd\":-180000000001"),
            ("\"accuracy_mm\":8500", "\"accuracy_mm\":1000000001"),
            ("\"offset_minutes\":60", "\"offset_minutes\":1081"),
            ("\"zone\":\"Europe/London\"", "\"zone\":\"\""),
            ("\"zone\":\"Europe/London\"", "\"zone\":\"Europe/London Town\""),
            ("\"people\":[]", "\"people\":null"),
            ("0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f", "0190F5E4-3C2A-7B1E-9D4F-2A6C8E0B1D3F"),
            ("\"attachments\":[]", "\"attachments\":[{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"sha256\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"mime\":\"image/jpeg\",\"size\":1,\"captured_at\":null}]"),
            ("\"attachments\":[]", "\"attachments\":[{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"sha256\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"mime\":\"image/jpeg\",\"size\":0,\"captured_at\":null}]"),
        ] {
            let bad = DOC_BODY_V2.replacen(from, to, 1);
            assert_ne!(bad, DOC_BODY_V2, "{from}");
            assert!(EntryBody::decode(bad.as_bytes()).is_none(), "{to}");
        }
        let good_attachment = DOC_BODY_V2.replacen(
            "\"attachments\":[]",
            &format!(
                "\"attachments\":[{{\"id\":\"{}\",\"sha256\":\"{}\",\"mime\":\"image/jpeg\",\"size\":1,\"captured_at\":null}}]",
                "a".repeat(32),
                "b".repeat(64)
            ),
            1,
        );
        assert!(EntryBody::decode(good_attachment.as_bytes()).is_some());
        for (from, to) in [
            ("\"reason\":\"confirmed by a second sighting; not tied to the venue\"", "\"reason\":\"\""),
            ("\"patch\":{\"severity\":\"high\",\"tags\":[\"repeat\",\"confirmed\"],\"venue_id\":null}", "\"patch\":{}"),
            ("\"amends\":\"0190f5e4-3c2a-7b1e-9d4f-2a6c8e0b1d3f\"", "\"amends\":\"report\""),
        ] {
            let bad = DOC_AMENDMENT.replacen(from, to, 1);
            assert_ne!(bad, DOC_AMENDMENT, "{from}");
            assert!(EntryBody::decode(bad.as_bytes()).is_none(), "{to}");
        }
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
