//! Chain verification, shared by the store (`IncidentLog::verify`) and the standalone
//! bundle verifier. A broken chain is a finding, not an error: the report names the
//! first broken link and why.

use serde::{Deserialize, Serialize};

use super::anchor::{check_receipt, ReceiptProblem, StoredReceipt};
use super::canonical::{body_version, entry_hash, entry_hash_v2, sha256, EntryBody, ZERO_HASH};
use super::chain::StoredEntry;
use crate::crypto::signing;

/// Why a link is broken. Checked in this order for each entry, so each tampering
/// pattern gets its own name (see docs/INCIDENT_LOG.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The entry names another device (copied from another store).
    Foreign,
    /// A sequence number is skipped: entries were deleted (or the tail was cut off).
    Missing,
    /// Sequence numbers go backwards, or an entry does not follow the one before it
    /// (its `prev_hash` is not the previous entry's hash).
    Reordered,
    /// The signature over the stored hash does not verify with the device key: a forged
    /// or re-hashed entry, or an entry signed by another key.
    BadSignature,
    /// The body (or a column derived from it) no longer matches the signed hash.
    Edited,
    /// Hash and signature hold but the body is not a well-formed canonical entry, or a
    /// hash / signature field has the wrong length.
    Malformed,
    /// The recorded chain head disagrees with the last entry.
    HeadMismatch,
    /// The chain ends before the seq the team server anchored (its receipt): the tail
    /// was cut, or the store was rolled back to an older copy.
    BehindReceipt,
    /// The entry at the anchored seq has another hash than the server's receipt: the
    /// history was rewritten after it was anchored.
    ReceiptMismatch,
    /// The stored receipt does not verify under the server key stored with it.
    BadReceipt,
}

impl From<ReceiptProblem> for ProblemKind {
    fn from(p: ReceiptProblem) -> Self {
        match p {
            ReceiptProblem::BadReceipt => ProblemKind::BadReceipt,
            ReceiptProblem::Behind => ProblemKind::BehindReceipt,
            ReceiptProblem::Mismatch => ProblemKind::ReceiptMismatch,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainProblem {
    pub kind: ProblemKind,
    /// The sequence number where the chain breaks (for `Missing`, the first absent one).
    pub seq: u64,
    /// The entry at which the break was found, when there is one.
    pub entry_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub device_id: String,
    /// Entries that passed every check before the first problem (all of them when ok).
    pub entries_checked: u64,
    /// The last good link: sequence number and lowercase hex hash (zeros when empty).
    pub head_seq: u64,
    pub head_hash: String,
    pub problem: Option<ChainProblem>,
    /// The store only: one report per other device whose entries are stored here (pulled
    /// from the team), each checked against that device's registered key and recorded
    /// head. When the own chain is intact but one of these is not, `ok` is false and
    /// `problem` is the first broken remote chain's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote: Vec<VerifyReport>,
}

/// One link as presented to the checker. `body` is `None` for an entry left out of a
/// scoped export: a version 2 link's hash is still recomputed from its header and the
/// stated body digest; a version 1 link's stated hash is signed and linked only.
pub(crate) struct Link<'a> {
    pub seq: u64,
    pub device_id: &'a str,
    pub entry_id: &'a str,
    /// The entry's encoding version as stated beside it (bundles of format 2); `None`:
    /// read from the body.
    pub version: Option<u32>,
    /// The incident as stated beside the body (store column, bundle header), checked
    /// against the body and, in version 2, part of the hash.
    pub incident_id: Option<&'a str>,
    /// The body's SHA-256 as stated beside it (bundles of format 2).
    pub body_sha256: Option<[u8; 32]>,
    /// Columns stored beside the body (store only), checked against it.
    pub columns: Option<(&'a str, Option<&'a str>)>,
    pub prev_hash: &'a [u8],
    pub hash: &'a [u8],
    pub signature: &'a [u8],
    pub body: Option<&'a [u8]>,
}

impl<'a> From<&'a StoredEntry> for Link<'a> {
    fn from(e: &'a StoredEntry) -> Self {
        Link {
            seq: e.seq,
            device_id: &e.device_id,
            entry_id: &e.entry_id,
            version: None,
            incident_id: Some(&e.incident_id),
            body_sha256: None,
            columns: Some((&e.kind, e.amends.as_deref())),
            prev_hash: &e.prev_hash,
            hash: &e.hash,
            signature: &e.signature,
            body: Some(&e.body),
        }
    }
}

/// Walks `links` in the order given, as the chain of `device_id` under `public_key`.
pub(crate) fn check<'a>(
    device_id: &str,
    public_key: &[u8],
    links: impl IntoIterator<Item = Link<'a>>,
) -> VerifyReport {
    let mut expected = 1u64;
    let mut last_hash = ZERO_HASH;
    let mut checked = 0u64;
    let mut problem = None;
    for l in links {
        if let Some(kind) = check_link(device_id, public_key, expected, &last_hash, &l) {
            let seq = if kind == ProblemKind::Missing {
                expected
            } else {
                l.seq
            };
            problem = Some(ChainProblem {
                kind,
                seq,
                entry_id: Some(l.entry_id.to_string()),
            });
            break;
        }
        last_hash.copy_from_slice(l.hash);
        expected += 1;
        checked += 1;
    }
    VerifyReport {
        ok: problem.is_none(),
        device_id: device_id.to_string(),
        entries_checked: checked,
        head_seq: expected - 1,
        head_hash: hex::encode(last_hash),
        problem,
        remote: Vec::new(),
    }
}

fn check_link(
    device_id: &str,
    public_key: &[u8],
    expected: u64,
    last_hash: &[u8; 32],
    l: &Link<'_>,
) -> Option<ProblemKind> {
    if l.device_id != device_id {
        return Some(ProblemKind::Foreign);
    }
    if l.seq > expected {
        return Some(ProblemKind::Missing);
    }
    if l.seq < expected {
        return Some(ProblemKind::Reordered);
    }
    if l.hash.len() != 32 || l.prev_hash.len() != 32 || l.signature.len() != 64 {
        return Some(ProblemKind::Malformed);
    }
    if !signing::verify(public_key, l.hash, l.signature) {
        return Some(ProblemKind::BadSignature);
    }
    if l.prev_hash != last_hash {
        return Some(ProblemKind::Reordered);
    }
    let version = match (l.version, l.body) {
        (Some(v), _) => v,
        (None, Some(body)) => body_version(body),
        (None, None) => 1,
    };
    let body_digest = l.body_sha256.or_else(|| l.body.map(sha256));
    if version == 2 {
        let (Some(incident_id), Some(digest)) = (l.incident_id, body_digest) else {
            return Some(ProblemKind::Malformed);
        };
        let again = entry_hash_v2(
            l.seq,
            last_hash,
            device_id,
            l.entry_id,
            incident_id,
            &digest,
        );
        if again[..] != *l.hash {
            return Some(ProblemKind::Edited);
        }
    }
    let body = l.body?;
    if body_digest.is_some_and(|d| d != sha256(body)) {
        return Some(ProblemKind::Edited);
    }
    if version != 2 && entry_hash(l.seq, last_hash, device_id, body)[..] != *l.hash {
        return Some(ProblemKind::Edited);
    }
    let Some(decoded) = EntryBody::decode(body) else {
        return Some(ProblemKind::Malformed);
    };
    if decoded.v != version
        || decoded.entry_id != l.entry_id
        || l.incident_id.is_some_and(|i| i != decoded.incident_id)
    {
        return Some(ProblemKind::Edited);
    }
    if let Some((kind, amends)) = l.columns {
        let body_amends = decoded.amendment.as_ref().map(|a| a.amends.as_str());
        if decoded.kind.as_str() != kind || body_amends != amends {
            return Some(ProblemKind::Edited);
        }
    }
    None
}

/// Checks one device's chain (its entries only, in sequence order) and its recorded head.
fn check_chain(
    device_id: &str,
    public_key: &[u8],
    entries: &[&StoredEntry],
    head: (u64, [u8; 32]),
) -> VerifyReport {
    let mut report = check(
        device_id,
        public_key,
        entries.iter().map(|e| Link::from(*e)),
    );
    if report.ok {
        let (head_seq, head_hash) = head;
        let broken = if head_seq > report.head_seq {
            Some((ProblemKind::Missing, report.head_seq + 1))
        } else if head_seq != report.head_seq || hex::encode(head_hash) != report.head_hash {
            Some((ProblemKind::HeadMismatch, head_seq))
        } else {
            None
        };
        if let Some((kind, seq)) = broken {
            report.ok = false;
            report.problem = Some(ChainProblem {
                kind,
                seq,
                entry_id: None,
            });
        }
    }
    report
}

/// Checks the store's own chain and its recorded head, then every other device's chain
/// stored here against its registered key (`keys`) and recorded head (`heads`). Entries
/// of a device with no registered key are *foreign* (copied in, not pulled).
/// With `receipt` (the server's latest for this device), an intact own chain must also
/// reach the anchored seq with the anchored hash.
pub(crate) fn check_store(
    device_id: &str,
    public_key: &[u8],
    entries: &[StoredEntry],
    heads: &std::collections::BTreeMap<String, (u64, [u8; 32])>,
    keys: &std::collections::BTreeMap<String, Vec<u8>>,
    receipt: Option<&StoredReceipt>,
) -> VerifyReport {
    let zero = (0, ZERO_HASH);
    let mut by_device: std::collections::BTreeMap<&str, Vec<&StoredEntry>> = Default::default();
    for e in entries {
        by_device.entry(e.device_id.as_str()).or_default().push(e);
    }
    let own = by_device.remove(device_id).unwrap_or_default();
    let mut report = check_chain(
        device_id,
        public_key,
        &own,
        heads.get(device_id).copied().unwrap_or(zero),
    );
    if let (true, Some(r)) = (report.ok, receipt) {
        let found = check_receipt(
            device_id,
            public_key,
            &r.receipt,
            &r.server_public_key,
            report.head_seq,
            |seq| own.iter().find(|e| e.seq == seq).map(|e| e.hash.clone()),
        );
        if let Some(p) = found {
            let seq = r.receipt.seq;
            report.ok = false;
            report.problem = Some(ChainProblem {
                kind: p.into(),
                seq,
                entry_id: match p {
                    ReceiptProblem::Mismatch => own
                        .iter()
                        .find(|e| e.seq == seq)
                        .map(|e| e.entry_id.clone()),
                    _ => None,
                },
            });
        }
    }
    for (dev, list) in by_device {
        let r = match keys.get(dev) {
            Some(key) => check_chain(dev, key, &list, heads.get(dev).copied().unwrap_or(zero)),
            None => VerifyReport {
                ok: false,
                device_id: dev.to_string(),
                entries_checked: 0,
                head_seq: 0,
                head_hash: hex::encode(ZERO_HASH),
                problem: list.first().map(|e| ChainProblem {
                    kind: ProblemKind::Foreign,
                    seq: e.seq,
                    entry_id: Some(e.entry_id.clone()),
                }),
                remote: Vec::new(),
            },
        };
        if report.ok && !r.ok {
            report.ok = false;
            report.problem = r.problem.clone();
        }
        report.remote.push(r);
    }
    report
}
