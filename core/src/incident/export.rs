//! Exports: the signed JSON bundle with its standalone verifier, and CSV.
//!
//! Bundle file = canonical JSON (compact, fixed field order) of [`Bundle`]:
//! `{"format":"vigil.incident-bundle.v2","payload":{...},"signature":"<hex>"}` where the
//! signature is Ed25519 by the device key over `"VIGIL-BUNDLE-V2" || payload bytes`
//! (the payload exactly as it appears in the file). Format 1 (earlier releases; entries
//! without `v`, `incident_id`, `body_sha256`, domain `VIGIL-BUNDLE-V1`) still verifies.
//! The verifier refuses unknown fields, uppercase hex and any file that is not
//! byte-for-byte the canonical encoding of what it parses to, so every single-byte edit
//! fails. docs/INCIDENT_LOG.md lists every check in order with the problem it gives.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::anchor::{check_receipt, ReceiptProblem, StoredReceipt};
use super::canonical::{body_version, sha256, EntryBody};
use super::chain::StoredEntry;
use super::error::{IncidentError, IncidentResult};
use super::model::{is_lower_hex, ts, Report};
use super::query::IncidentSummary;
use super::verify::{self, ChainProblem, Link, VerifyReport};
use crate::crypto::signing::{self, DeviceKey};
use crate::sync::protocol::ChainReceipt;

/// The format bundles are written in.
pub const BUNDLE_FORMAT: &str = BUNDLE_FORMAT_V2;
pub const BUNDLE_FORMAT_V1: &str = "vigil.incident-bundle.v1";
pub const BUNDLE_FORMAT_V2: &str = "vigil.incident-bundle.v2";
pub const BUNDLE_DOMAIN_V1: &[u8] = b"VIGIL-BUNDLE-V1";
pub const BUNDLE_DOMAIN_V2: &[u8] = b"VIGIL-BUNDLE-V2";
/// A teammate's chain relayed in an evidence package (no bundle signature).
pub const CHAIN_COPY_FORMAT: &str = "vigil.incident-chain.v2";

/// Which incidents a bundle discloses. Entries of other incidents still appear as
/// links (sequence number, ids, hashes, signature) without their body, so the chain
/// can be checked end to end without revealing them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportScope {
    All,
    Incidents(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    pub payload: BundlePayload,
    pub signature: String,
}

/// A teammate's chain relayed in an evidence package: a bundle payload without the
/// bundle signature (only that device could sign one). Format `vigil.incident-chain.v2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainCopy {
    pub format: String,
    pub payload: BundlePayload,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundlePayload {
    pub device_id: String,
    /// Raw 32-byte Ed25519 public key, lowercase hex. Compare it with the key the team
    /// server registered for this device: the bundle alone proves only self-consistency.
    pub device_public_key: String,
    #[serde(with = "ts")]
    pub exported_at: DateTime<Utc>,
    /// The incidents whose entries carry a body.
    pub incidents: Vec<String>,
    pub head_seq: u64,
    pub head_hash: String,
    pub entries: Vec<BundleEntry>,
    /// The team server's latest receipt for this chain, with the server key that signed
    /// it. Absent when the device never had one (then the field is left out entirely).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<BundleAnchor>,
}

/// A receipt inside a bundle: the chain must reach `receipt.seq` with `receipt.hash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleAnchor {
    /// Raw 32-byte Ed25519 public key of the team server, lowercase hex. Compare it with
    /// the key the server publishes: the bundle alone proves only that this key signed.
    pub server_public_key: String,
    pub receipt: ChainReceipt,
}

/// One link. Format 2 states `v`, `incident_id` and `body_sha256` for every entry (the
/// header, always disclosed); format 1 has none of them (left out of the JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    pub seq: u64,
    /// The entry's encoding version (1 or 2). Format 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    pub entry_id: String,
    /// Format 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    pub prev_hash: String,
    /// SHA-256 of the body, 64 hex. Format 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    pub hash: String,
    pub signature: String,
    /// The exact canonical body (a JSON text, as a string), or null when out of scope.
    pub body: Option<String>,
}

/// Why a bundle does not verify: the first failing check of docs/INCIDENT_LOG.md.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum BundleProblem {
    /// Not JSON, unknown, duplicate or missing fields (for its format), wrong types.
    Unparseable,
    /// Parses, but is not byte-for-byte the canonical encoding (an edit).
    NotCanonical,
    UnsupportedFormat,
    /// A hex field has the wrong length or is not lowercase hex, or an entry version is
    /// not 1 or 2.
    MalformedField,
    /// The bundle signature does not verify with the key the bundle names.
    BadBundleSignature,
    /// The chain inside is broken (see the chain problem).
    Chain(ChainProblem),
    /// The stated head is not the last entry.
    HeadMismatch,
    /// A disclosed body belongs to an incident the bundle does not list, or a listed
    /// incident's report is not disclosed.
    ScopeMismatch,
    /// An entry of a listed incident is not disclosed: the incident's history in the
    /// bundle would be incomplete (format 2).
    HiddenHistory,
    /// The receipt does not verify under the server key given with it, names another
    /// device, binds another device key, or anchors seq 0.
    BadReceipt,
    /// The chain ends before the anchored seq: entries after it were cut off.
    BehindReceipt,
    /// The entry at the anchored seq has another hash than the receipt states.
    ReceiptMismatch,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BundleReport {
    pub ok: bool,
    pub problem: Option<BundleProblem>,
    /// The bundle format version (1 or 2), once the format is known.
    pub format_version: Option<u32>,
    /// The entry encoding versions the bundle holds, ascending (`[1, 2]`: a chain begun
    /// by an earlier release).
    pub entry_versions: Vec<u32>,
    /// The receipt version (1: binds no device key; 2: binds it), when there is one.
    pub receipt_version: Option<u32>,
    pub device_id: Option<String>,
    pub device_public_key: Option<String>,
    pub exported_at: Option<DateTime<Utc>>,
    pub incidents: Vec<String>,
    pub chain: Option<VerifyReport>,
    /// The server receipt the bundle carries (checked when `ok`).
    pub receipt: Option<ChainReceipt>,
}

impl BundleReport {
    /// The verdict in one word, as the test vectors state it (tests/vectors/bundles/
    /// verdicts.json): `ok`, the problem's name, or `Chain:<kind>:<seq>`.
    pub fn verdict(&self) -> String {
        match &self.problem {
            None if self.ok => "ok".into(),
            None => "invalid".into(),
            Some(BundleProblem::Chain(c)) => {
                let kind = serde_json::to_value(c.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                format!("Chain:{kind}:{}", c.seq)
            }
            Some(p) => serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        }
    }

    /// The report of a parsed payload, before any check has passed.
    fn of_payload(p: &BundlePayload, version: u32) -> Self {
        let mut entry_versions: Vec<u32> = p
            .entries
            .iter()
            .map(|e| {
                e.v.unwrap_or_else(|| e.body.as_deref().map_or(1, |b| body_version(b.as_bytes())))
            })
            .collect();
        entry_versions.sort_unstable();
        entry_versions.dedup();
        BundleReport {
            ok: false,
            problem: None,
            format_version: Some(version),
            entry_versions,
            receipt_version: p.anchor.as_ref().map(|a| a.receipt.version()),
            device_id: Some(p.device_id.clone()),
            device_public_key: Some(p.device_public_key.clone()),
            exported_at: Some(p.exported_at),
            incidents: p.incidents.clone(),
            chain: None,
            receipt: p.anchor.as_ref().map(|a| a.receipt.clone()),
        }
    }

    fn fail(problem: BundleProblem) -> Self {
        BundleReport {
            ok: false,
            problem: Some(problem),
            format_version: None,
            entry_versions: vec![],
            receipt_version: None,
            device_id: None,
            device_public_key: None,
            exported_at: None,
            incidents: vec![],
            chain: None,
            receipt: None,
        }
    }
}

fn signed_message(domain: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + payload.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(payload);
    m
}

pub(crate) fn build_bundle(
    device_id: &str,
    key: &DeviceKey,
    entries: &[StoredEntry],
    scope: &ExportScope,
    receipt: Option<&StoredReceipt>,
) -> IncidentResult<Vec<u8>> {
    let payload = build_payload(device_id, &key.public_key(), entries, scope, receipt)?;
    let payload_bytes = serde_json::to_vec(&payload)
        .map_err(|_| IncidentError::Bundle("encoding failed".into()))?;
    let signature = hex::encode(key.sign(&signed_message(BUNDLE_DOMAIN_V2, &payload_bytes)));
    let bundle = Bundle {
        format: BUNDLE_FORMAT.to_string(),
        payload,
        signature,
    };
    serde_json::to_vec(&bundle).map_err(|_| IncidentError::Bundle("encoding failed".into()))
}

/// A teammate's chain as this store holds it, for an evidence package: the payload of a
/// bundle (every link, the bodies of `scope`) without a bundle signature, which only
/// that device could make. Its entries carry their own signatures; the package's signed
/// manifest binds the file.
pub(crate) fn build_chain_copy(
    device_id: &str,
    public_key: &[u8; 32],
    entries: &[StoredEntry],
    scope: &ExportScope,
) -> IncidentResult<Vec<u8>> {
    let payload = build_payload(device_id, public_key, entries, scope, None)?;
    serde_json::to_vec(&ChainCopy {
        format: CHAIN_COPY_FORMAT.to_string(),
        payload,
    })
    .map_err(|_| IncidentError::Bundle("encoding failed".into()))
}

fn build_payload(
    device_id: &str,
    public_key: &[u8; 32],
    entries: &[StoredEntry],
    scope: &ExportScope,
    receipt: Option<&StoredReceipt>,
) -> IncidentResult<BundlePayload> {
    let own: Vec<&StoredEntry> = entries
        .iter()
        .filter(|e| e.device_id == device_id)
        .collect();
    let incidents: Vec<String> = match scope {
        ExportScope::All => own
            .iter()
            .filter(|e| e.kind == "report")
            .map(|e| e.incident_id.clone())
            .collect(),
        ExportScope::Incidents(ids) => {
            for id in ids {
                if !own
                    .iter()
                    .any(|e| &e.incident_id == id && e.kind == "report")
                {
                    return Err(IncidentError::UnknownIncident);
                }
            }
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            ids
        }
    };
    let mut out = Vec::with_capacity(own.len());
    for e in &own {
        let body = if incidents.contains(&e.incident_id) {
            Some(
                String::from_utf8(e.body.clone())
                    .map_err(|_| IncidentError::Bundle("an entry body is not UTF-8".into()))?,
            )
        } else {
            None
        };
        out.push(BundleEntry {
            seq: e.seq,
            v: Some(body_version(&e.body)),
            entry_id: e.entry_id.clone(),
            incident_id: Some(e.incident_id.clone()),
            prev_hash: hex::encode(&e.prev_hash),
            body_sha256: Some(hex::encode(sha256(&e.body))),
            hash: hex::encode(&e.hash),
            signature: hex::encode(&e.signature),
            body,
        });
    }
    let (head_seq, head_hash) = match own.last() {
        Some(e) => (e.seq, hex::encode(&e.hash)),
        None => (0, hex::encode([0u8; 32])),
    };
    Ok(BundlePayload {
        device_id: device_id.to_string(),
        device_public_key: hex::encode(public_key),
        exported_at: super::model::now(),
        incidents,
        head_seq,
        head_hash,
        entries: out,
        anchor: receipt.map(|r| BundleAnchor {
            server_public_key: hex::encode(r.server_public_key),
            receipt: r.receipt.clone(),
        }),
    })
}

fn unhex(s: &str, len: usize) -> Option<Vec<u8>> {
    if is_lower_hex(s, len * 2) {
        hex::decode(s).ok()
    } else {
        None
    }
}

/// The entry fields format 2 requires and format 1 forbids are all there (format 2) or
/// all absent (format 1).
fn fields_fit_format(p: &BundlePayload, version: u32) -> bool {
    p.entries.iter().all(|e| {
        let stated = [
            e.v.is_some(),
            e.incident_id.is_some(),
            e.body_sha256.is_some(),
        ];
        stated.iter().all(|s| *s == (version == 2))
    })
}

/// One entry's hex fields decoded: `(prev_hash, hash, signature, body_sha256)`.
type Decoded = (Vec<u8>, Vec<u8>, Vec<u8>, Option<[u8; 32]>);

fn decode_entry(e: &BundleEntry) -> Option<Decoded> {
    if e.v.is_some_and(|v| v != 1 && v != 2) {
        return None;
    }
    let digest = match &e.body_sha256 {
        None => None,
        Some(d) => Some(unhex(d, 32)?.try_into().ok()?),
    };
    Some((
        unhex(&e.prev_hash, 32)?,
        unhex(&e.hash, 32)?,
        unhex(&e.signature, 64)?,
        digest,
    ))
}

/// Verifies a bundle with nothing but its bytes: strict canonical parsing, the bundle
/// signature, the whole hash chain (bodies recomputed where present), the scope and the
/// receipt, in the order docs/INCIDENT_LOG.md gives. Pure: no store, no clock, no
/// network.
pub fn verify_bundle(bytes: &[u8]) -> BundleReport {
    let Ok(bundle) = serde_json::from_slice::<Bundle>(bytes) else {
        return BundleReport::fail(BundleProblem::Unparseable);
    };
    match serde_json::to_vec(&bundle) {
        Ok(again) if again == bytes => {}
        _ => return BundleReport::fail(BundleProblem::NotCanonical),
    }
    let (version, domain) = match bundle.format.as_str() {
        BUNDLE_FORMAT_V1 => (1, BUNDLE_DOMAIN_V1),
        BUNDLE_FORMAT_V2 => (2, BUNDLE_DOMAIN_V2),
        _ => return BundleReport::fail(BundleProblem::UnsupportedFormat),
    };
    let p = &bundle.payload;
    if !fields_fit_format(p, version) {
        return BundleReport::fail(BundleProblem::Unparseable);
    }
    let (Some(public_key), Some(signature)) = (
        unhex(&p.device_public_key, 32),
        unhex(&bundle.signature, 64),
    ) else {
        return BundleReport::fail(BundleProblem::MalformedField);
    };
    let mut report = BundleReport::of_payload(p, version);
    let Ok(payload_bytes) = serde_json::to_vec(p) else {
        report.problem = Some(BundleProblem::NotCanonical);
        return report;
    };
    if !signing::verify(
        &public_key,
        &signed_message(domain, &payload_bytes),
        &signature,
    ) {
        report.problem = Some(BundleProblem::BadBundleSignature);
        return report;
    }
    check_payload(report, p, version, &public_key)
}

/// Verifies a teammate's chain relayed in an evidence package (`vigil.incident-chain.v2`):
/// the checks of [`verify_bundle`] but the bundle signature (there is none: the package's
/// manifest signature binds the file) and without a receipt (a relayed chain carries
/// none).
pub fn verify_chain_copy(bytes: &[u8]) -> BundleReport {
    let Ok(copy) = serde_json::from_slice::<ChainCopy>(bytes) else {
        return BundleReport::fail(BundleProblem::Unparseable);
    };
    match serde_json::to_vec(&copy) {
        Ok(again) if again == bytes => {}
        _ => return BundleReport::fail(BundleProblem::NotCanonical),
    }
    if copy.format != CHAIN_COPY_FORMAT {
        return BundleReport::fail(BundleProblem::UnsupportedFormat);
    }
    let p = &copy.payload;
    if !fields_fit_format(p, 2) || p.anchor.is_some() {
        return BundleReport::fail(BundleProblem::Unparseable);
    }
    let Some(public_key) = unhex(&p.device_public_key, 32) else {
        return BundleReport::fail(BundleProblem::MalformedField);
    };
    check_payload(BundleReport::of_payload(p, 2), p, 2, &public_key)
}

/// Checks 7 to 12 of "Verifying a bundle": fields, chain, head, scope, history, receipt.
fn check_payload(
    mut report: BundleReport,
    p: &BundlePayload,
    version: u32,
    public_key: &[u8],
) -> BundleReport {
    let Some(decoded) = p
        .entries
        .iter()
        .map(decode_entry)
        .collect::<Option<Vec<_>>>()
    else {
        report.problem = Some(BundleProblem::MalformedField);
        return report;
    };
    if unhex(&p.head_hash, 32).is_none() {
        report.problem = Some(BundleProblem::MalformedField);
        return report;
    }
    let links = p
        .entries
        .iter()
        .zip(&decoded)
        .map(|(e, (prev, hash, sig, digest))| Link {
            seq: e.seq,
            device_id: &p.device_id,
            entry_id: &e.entry_id,
            version: e.v,
            incident_id: e.incident_id.as_deref(),
            body_sha256: *digest,
            columns: None,
            prev_hash: prev,
            hash,
            signature: sig,
            body: e.body.as_deref().map(str::as_bytes),
        });
    let chain = verify::check(&p.device_id, public_key, links);
    if let Some(problem) = &chain.problem {
        report.problem = Some(BundleProblem::Chain(problem.clone()));
    } else if chain.head_seq != p.head_seq || chain.head_hash != p.head_hash {
        report.problem = Some(BundleProblem::HeadMismatch);
    } else if !scope_matches(p) {
        report.problem = Some(BundleProblem::ScopeMismatch);
    } else if version == 2 && history_hidden(p) {
        report.problem = Some(BundleProblem::HiddenHistory);
    } else if let Some(a) = &p.anchor {
        // Every link is in the bundle whatever its scope (out-of-scope entries keep
        // their hashes), so the chain reaches the anchored seq unless it was cut.
        report.problem = match unhex(&a.server_public_key, 32) {
            None => Some(BundleProblem::MalformedField),
            Some(server_key) => check_receipt(
                &p.device_id,
                public_key,
                &a.receipt,
                &server_key,
                chain.head_seq,
                |seq| {
                    p.entries
                        .iter()
                        .zip(&decoded)
                        .find(|(e, _)| e.seq == seq)
                        .map(|(_, (_, hash, _, _))| hash.clone())
                },
            )
            .map(|problem| match problem {
                ReceiptProblem::BadReceipt => BundleProblem::BadReceipt,
                ReceiptProblem::Behind => BundleProblem::BehindReceipt,
                ReceiptProblem::Mismatch => BundleProblem::ReceiptMismatch,
            }),
        };
    }
    report.ok = report.problem.is_none();
    report.chain = Some(chain);
    report
}

/// Every disclosed body belongs to a listed incident, and every listed incident's
/// report is disclosed (the chain check has decoded every disclosed body already).
fn scope_matches(p: &BundlePayload) -> bool {
    let mut reports = 0usize;
    for e in &p.entries {
        let Some(body) = &e.body else { continue };
        let Some(b) = EntryBody::decode(body.as_bytes()) else {
            return false;
        };
        if !p.incidents.contains(&b.incident_id) {
            return false;
        }
        if b.report.is_some() {
            reports += 1;
        }
    }
    reports == p.incidents.len()
}

/// An entry whose (committed) incident is listed carries no body.
fn history_hidden(p: &BundlePayload) -> bool {
    p.entries.iter().any(|e| {
        e.body.is_none()
            && e.incident_id
                .as_ref()
                .is_some_and(|i| p.incidents.contains(i))
    })
}

// ---- CSV ----

pub const CSV_HEADER: &[&str] = &[
    "incident_id",
    "occurred_utc",
    "utc_offset_minutes",
    "time_zone",
    "recorded_utc",
    "updated_utc",
    "category",
    "severity",
    "latitude",
    "longitude",
    "accuracy_m",
    "location_source",
    "narrative",
    "people",
    "vehicles",
    "actions_taken",
    "police_reference",
    "witnesses",
    "tags",
    "venue_id",
    "route_id",
    "officer",
    "attachments",
    "amendments",
];

/// RFC 4180 quoting; text cells that a spreadsheet would run as a formula get a
/// leading apostrophe (OWASP's CSV-injection advice).
fn cell(s: &str, text: bool) -> String {
    let guarded = if text && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r'])
        || guarded.starts_with(' ')
        || guarded.ends_with(' ')
    {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn row(s: &IncidentSummary) -> Vec<String> {
    let r: &Report = &s.current;
    let opt = |o: &Option<String>| cell(o.as_deref().unwrap_or(""), true);
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let people = r
        .people
        .iter()
        .map(|p| {
            let mut parts = vec![p.role.as_str().to_string()];
            parts.extend(p.name.clone());
            parts.push(p.description.clone());
            parts.extend(p.contact.clone());
            parts.join(": ")
        })
        .collect::<Vec<_>>()
        .join("; ");
    let vehicles = r
        .vehicles
        .iter()
        .map(|v| v.details().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("; ");
    let loc = r.location.as_ref();
    vec![
        cell(&s.incident_id, false),
        ts::format(&r.occurred.utc),
        r.occurred.offset_minutes.to_string(),
        opt(&r.occurred.zone),
        ts::format(&s.recorded_at),
        ts::format(&s.updated_at),
        r.category.as_str().to_string(),
        r.severity.map(|v| v.as_str()).unwrap_or("").to_string(),
        num(loc.map(|l| l.latitude)),
        num(loc.map(|l| l.longitude)),
        num(loc.and_then(|l| l.accuracy_m)),
        loc.map(|l| l.source.as_str()).unwrap_or("").to_string(),
        cell(&r.narrative, true),
        cell(&people, true),
        cell(&vehicles, true),
        cell(&r.actions_taken.join("; "), true),
        opt(&r.police_reference),
        cell(&r.witnesses.join("; "), true),
        cell(&r.tags.join("; "), true),
        opt(&r.venue_id),
        opt(&r.route_id),
        opt(&r.officer),
        r.attachments
            .iter()
            .map(|a| format!("{}:{}", a.id, a.sha256))
            .collect::<Vec<_>>()
            .join(" "),
        s.amendments.to_string(),
    ]
}

fn csv_io(e: std::io::Error) -> IncidentError {
    IncidentError::ExportIo(e.kind())
}

pub(crate) fn write_csv_header(out: &mut dyn Write) -> IncidentResult<()> {
    out.write_all(CSV_HEADER.join(",").as_bytes())
        .map_err(csv_io)?;
    out.write_all(b"\r\n").map_err(csv_io)
}

pub(crate) fn write_csv_rows(out: &mut dyn Write, rows: &[IncidentSummary]) -> IncidentResult<()> {
    for s in rows {
        out.write_all(row(s).join(",").as_bytes()).map_err(csv_io)?;
        out.write_all(b"\r\n").map_err(csv_io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_guarded() {
        assert_eq!(cell("plain", true), "plain");
        assert_eq!(cell("a,b", true), "\"a,b\"");
        assert_eq!(cell("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("line\nbreak", true), "\"line\nbreak\"");
        assert_eq!(cell("=SUM(A1)", true), "'=SUM(A1)");
        assert_eq!(cell("-1", false), "-1");
    }
}
