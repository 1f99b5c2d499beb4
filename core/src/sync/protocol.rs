//! The sync wire protocol, shared by the device engine and `vigil-server`: versioned JSON
//! messages, and the canonical byte encodings that device signatures cover.
//!
//! Every message carries `schema_version`. Byte strings (keys, signatures) travel as
//! lowercase hex. See `docs/SYNC.md` for the endpoints and statuses.

use serde::{Deserialize, Serialize};

use crate::clock::Hlc;
use crate::crypto::signing::{self, DeviceKey};

/// The protocol version this build speaks. Version 2 added attachment blobs (the
/// `/v1/blobs/*` endpoints and the `blob` an entry may name) and the server's time in
/// every answer. Version 3 lets a batch announce a blob before it is uploaded
/// ([`BLOB_AFTER_RECORD_VERSION`]).
pub const SCHEMA_VERSION: u32 = 3;

/// From this version on, a push batch may name a blob the server does not hold whole yet:
/// the server applies it, records the blob as expected from the device and lists it in
/// `PushResult::pending_blobs` until it arrives; a teammate asking for it meanwhile gets
/// `409 blob_pending` ("coming"). Older batches keep `409 blob_missing`.
pub const BLOB_AFTER_RECORD_VERSION: u32 = 3;

/// The oldest version a server still accepts: phones are updated one by one, and one
/// still running the previous release must sync with nothing lost. A server answers in
/// the version it was asked in.
pub const MIN_SCHEMA_VERSION: u32 = 1;

/// A kind reserved for the protocol: a device that had to quarantine an entry it could not
/// send at all (too large, refused whole) sends this in its place, so its sequence stays
/// gap-free. The server records it as rejected and stores no change.
pub const SKIP_KIND: &str = "vigil.skip";

/// Paths of the endpoints, relative to the server's base URL.
pub mod paths {
    pub const HEALTH: &str = "/healthz";
    pub const ENROLL: &str = "/v1/enroll";
    pub const PUSH: &str = "/v1/push";
    pub const PULL: &str = "/v1/pull";
    pub const BLOB_STATUS: &str = "/v1/blobs/status";
    pub const BLOB_PUT: &str = "/v1/blobs/put";
    pub const BLOB_GET: &str = "/v1/blobs/get";
}

/// Most changes one pull page may hold.
pub const MAX_PULL_LIMIT: u32 = 500;

/// How far a pull request's `issued_ms` may be from the server's clock.
pub const PULL_FRESHNESS_MS: u64 = 5 * 60 * 1000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub schema_version: u32,
    /// The one-time enrollment code issued by the team's administrator.
    pub code: String,
    pub device_id: String,
    /// The device's raw Ed25519 public key (32 bytes), hex.
    pub public_key: String,
    /// The officer's name or call sign as the team knows them.
    pub officer: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub schema_version: u32,
    pub team_id: String,
    pub device_id: String,
    /// The server's clock when it answered (ms since the Unix epoch), from which the
    /// device learns its offset to the team's time. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time_ms: Option<u64>,
    /// The server's raw Ed25519 public key (hex), which signs [`ChainReceipt`]s. Absent
    /// from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_public_key: Option<String>,
}

/// One outbox entry on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushEntry {
    pub seq: u64,
    pub op_id: String,
    pub hlc: Hlc,
    pub kind: String,
    pub entity_id: String,
    pub payload: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushBatch {
    pub schema_version: u32,
    pub device_id: String,
    pub entries: Vec<PushEntry>,
    /// Ed25519 over [`push_signing_bytes`], hex.
    pub signature: String,
    /// What the device still has to send once this batch is applied, for the team's
    /// console. Optional and not signed, so an older server (which ignores unknown
    /// fields and verifies the same signed bytes) accepts the batch, and an older device's
    /// batch (without it) is accepted here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

/// What a device still has to send, as it reports it with a push batch or a pull request
/// (the console's Team page shows it with the time it arrived). Informational: it is not
/// covered by the request's signature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Changes in the device's outbox not yet acknowledged by the server (changes held
    /// back for good are not counted: they never go).
    pub changes: u64,
    /// Attachment files not yet whole on the server, whether their record went or not
    /// (files refused for good are not counted).
    pub attachments: u64,
}

impl Pending {
    /// Nothing left to send.
    pub fn is_empty(&self) -> bool {
        self.changes == 0 && self.attachments == 0
    }
}

/// What the server did with one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EntryOutcome {
    Applied,
    /// Seen before: the stored result of the first delivery.
    Duplicate {
        original: Box<EntryOutcome>,
    },
    /// Permanently refused (validation); the sequence number is consumed.
    Rejected {
        reason: String,
    },
}

impl EntryOutcome {
    /// The outcome of the first delivery, looking through `Duplicate`.
    pub fn effective(&self) -> &EntryOutcome {
        match self {
            EntryOutcome::Duplicate { original } => original.effective(),
            other => other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResult {
    pub seq: u64,
    pub op_id: String,
    #[serde(flatten)]
    pub outcome: EntryOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    pub schema_version: u32,
    pub results: Vec<EntryResult>,
    /// The server's clock when it answered (ms since the Unix epoch), from which the
    /// device learns its offset to the team's time. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time_ms: Option<u64>,
    /// The device's anchored incident chain head, countersigned by the server, when the
    /// batch carried an anchored incident entry. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ChainReceipt>,
    /// Protocol 3: every blob this device announced that the server does not hold whole
    /// yet, oldest announcement first (the device uploads them after its entries).
    /// Empty (and absent on the wire) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_blobs: Vec<BlobRef>,
}

/// The server's statement that it verified and anchored a device's incident chain up to
/// `seq`, whose entry hash is `hash`, at `anchored_ms` (server clock). `signature` is
/// Ed25519 by the server key over [`receipt_signing_bytes`]. Hex: lowercase.
///
/// Version 2 (with `device_public_key`) binds the device's key: a chain re-signed under
/// another key does not match it. Version 1 receipts (no key; older servers) still
/// verify as version 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct ChainReceipt {
    pub device_id: String,
    /// The device's raw Ed25519 public key as the server registered it (64 hex), in
    /// version 2 receipts; absent (left out of the JSON) in version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_public_key: Option<String>,
    pub seq: u64,
    /// The entry hash at `seq`, 64 hex.
    pub hash: String,
    pub anchored_ms: u64,
    /// 128 hex.
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub schema_version: u32,
    pub device_id: String,
    /// The last `server_seq` this device has stored (0 for none).
    pub cursor: u64,
    pub limit: u32,
    /// The device's team time (wall clock + learned offset) when it signed; limits the
    /// replay of a captured request.
    pub issued_ms: u64,
    /// Ed25519 over [`pull_signing_bytes`], hex.
    pub signature: String,
    /// What the device still has to send after its pushes (a device that only pulls
    /// reports too). Optional and not signed, as [`PushBatch::pending`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
}

/// One change as the server stored it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub server_seq: u64,
    pub device_id: String,
    pub seq: u64,
    pub op_id: String,
    pub hlc: Hlc,
    pub kind: String,
    pub entity_id: String,
    pub payload: serde_json::Value,
    /// The author device's raw Ed25519 public key (hex), as registered at enrollment, so
    /// a receiving device can verify what the author signed (incident entries). Absent
    /// from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullPage {
    pub schema_version: u32,
    pub changes: Vec<Change>,
    pub next_cursor: u64,
    pub has_more: bool,
    /// The cursor is unknown to the server (it was restored or reset): start again from 0.
    pub resync_from_scratch: bool,
    /// The server's clock when it answered (ms since the Unix epoch), from which the
    /// device learns its offset to the team's time. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time_ms: Option<u64>,
}

/// The body of every non-2xx answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub schema_version: u32,
    /// A stable machine-readable code (`unknown_device`, `revoked`, `sequence_gap`, ...).
    pub error: String,
    pub message: String,
    /// For `sequence_gap`: the sequence number the server expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_seq: Option<u64>,
    /// The server's clock when it answered (ms since the Unix epoch), from which the
    /// device learns its offset to the team's time. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time_ms: Option<u64>,
}

/// Error codes used in [`ErrorBody::error`].
pub mod codes {
    pub const MALFORMED: &str = "malformed";
    pub const UNSUPPORTED_VERSION: &str = "unsupported_version";
    pub const TOO_LARGE: &str = "too_large";
    pub const UNKNOWN_DEVICE: &str = "unknown_device";
    pub const BAD_SIGNATURE: &str = "bad_signature";
    pub const REVOKED: &str = "revoked";
    pub const INVALID_CODE: &str = "invalid_code";
    pub const DEVICE_EXISTS: &str = "device_exists";
    pub const SEQUENCE_GAP: &str = "sequence_gap";
    pub const STALE_REQUEST: &str = "stale_request";
    pub const BLOB_MISSING: &str = "blob_missing";
    pub const BLOB_OFFSET: &str = "blob_offset";
    pub const BLOB_MISMATCH: &str = "blob_mismatch";
    /// Protocol 3: a blob announced by a teammate's record but not uploaded whole yet.
    pub const BLOB_PENDING: &str = "blob_pending";
    pub const NOT_FOUND: &str = "not_found";
    pub const INTERNAL: &str = "internal";
}

/// Largest chunk a device uploads in one request (well under the server's body limit).
pub const BLOB_CHUNK: usize = 256 * 1024;

/// Largest range the server returns for one download request.
pub const MAX_BLOB_RANGE: u64 = 1024 * 1024;

/// A blob an entry depends on, named in the entry's payload as `"blob": {"sha256", "size"}`:
/// the server refuses the entry's batch (409 `blob_missing`) until the device has uploaded
/// the blob whole, so a record never reaches the team before its attachment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    /// SHA-256 of the blob's bytes (for attachments: the sealed file), lowercase hex.
    pub sha256: String,
    pub size: u64,
}

impl BlobRef {
    /// The blob an entry's payload depends on, if it names a well-formed one.
    pub fn of_payload(payload: &serde_json::Value) -> Option<BlobRef> {
        let b: BlobRef = serde_json::from_value(payload.get("blob")?.clone()).ok()?;
        b.is_valid().then_some(b)
    }

    pub fn is_valid(&self) -> bool {
        self.size > 0
            && self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    }
}

/// What a blob request does; part of what its signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobOp {
    /// How much of the blob the server holds (`BlobStatusReply`).
    Status,
    /// Append one chunk at `offset` (= what the server holds).
    Put,
    /// Read `length` bytes at `offset` of a complete blob.
    Get,
}

impl BlobOp {
    fn tag(self) -> u8 {
        match self {
            BlobOp::Status => 1,
            BlobOp::Put => 2,
            BlobOp::Get => 3,
        }
    }
}

/// A signed blob request. For `put` the chunk's bytes follow this header on the wire
/// (`u32be(header length) ‖ header JSON ‖ chunk`, see [`encode_blob_put`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRequest {
    pub schema_version: u32,
    pub device_id: String,
    pub op: BlobOp,
    pub blob: BlobRef,
    pub offset: u64,
    /// `put`: the chunk's length; `get`: how many bytes to read; `status`: 0.
    pub length: u64,
    /// `put`: SHA-256 of the chunk (hex); otherwise empty.
    #[serde(default)]
    pub chunk_sha256: String,
    pub issued_ms: u64,
    /// Ed25519 over [`blob_signing_bytes`], hex.
    pub signature: String,
}

/// The server's answer to `status` and `put`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatusReply {
    pub schema_version: u32,
    pub blob: BlobRef,
    /// Bytes the server holds, from the start.
    pub received: u64,
    /// The whole blob arrived and its SHA-256 matched.
    pub complete: bool,
    /// The server's clock when it answered (ms since the Unix epoch). Absent from older
    /// servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time_ms: Option<u64>,
}

/// The header with which the server's answer to a blob `get` (raw bytes) tells its clock
/// (ms since the Unix epoch), as every other answer does in its JSON body.
pub const SERVER_TIME_HEADER: &str = "x-vigil-server-time-ms";

/// The bytes a blob request's signature covers:
/// `"vigil/blob/v1" ‖ u32be(schema_version) ‖ field(device_id) ‖ u8(op: 1 status, 2 put,
/// 3 get) ‖ field(blob sha256 hex) ‖ u64be(size) ‖ u64be(offset) ‖ u64be(length) ‖
/// field(chunk_sha256) ‖ u64be(issued_ms)`.
pub fn blob_signing_bytes(req: &BlobRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    out.extend_from_slice(BLOB_DOMAIN);
    out.extend_from_slice(&req.schema_version.to_be_bytes());
    field(&mut out, req.device_id.as_bytes());
    out.push(req.op.tag());
    field(&mut out, req.blob.sha256.as_bytes());
    out.extend_from_slice(&req.blob.size.to_be_bytes());
    out.extend_from_slice(&req.offset.to_be_bytes());
    out.extend_from_slice(&req.length.to_be_bytes());
    field(&mut out, req.chunk_sha256.as_bytes());
    out.extend_from_slice(&req.issued_ms.to_be_bytes());
    out
}

impl BlobRequest {
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        device_id: &str,
        op: BlobOp,
        blob: &BlobRef,
        offset: u64,
        length: u64,
        chunk_sha256: String,
        issued_ms: u64,
        key: &DeviceKey,
    ) -> BlobRequest {
        let mut req = BlobRequest {
            schema_version: SCHEMA_VERSION,
            device_id: device_id.to_string(),
            op,
            blob: blob.clone(),
            offset,
            length,
            chunk_sha256,
            issued_ms,
            signature: String::new(),
        };
        req.signature = hex::encode(key.sign(&blob_signing_bytes(&req)));
        req
    }

    pub fn verify(&self, public_key: &[u8]) -> bool {
        let Ok(sig) = hex::decode(&self.signature) else {
            return false;
        };
        signing::verify(public_key, &blob_signing_bytes(self), &sig)
    }
}

/// The body of a `put`: `u32be(header length) ‖ header JSON ‖ chunk`.
pub fn encode_blob_put(header: &BlobRequest, chunk: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(4 + json.len() + chunk.len());
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(chunk);
    out
}

/// Splits a `put` body into its header and chunk; `None` when it is not one.
pub fn decode_blob_put(body: &[u8]) -> Option<(BlobRequest, &[u8])> {
    let len = u32::from_be_bytes(body.get(..4)?.try_into().ok()?) as usize;
    let header = body.get(4..4usize.checked_add(len)?)?;
    let req: BlobRequest = serde_json::from_slice(header).ok()?;
    Some((req, body.get(4 + len..)?))
}

const PUSH_DOMAIN: &[u8] = b"vigil/push/v1";
const RECEIPT_DOMAIN_V1: &[u8] = b"vigil/receipt/v1";
const RECEIPT_DOMAIN_V2: &[u8] = b"vigil/receipt/v2";
const PULL_DOMAIN: &[u8] = b"vigil/pull/v1";
const BLOB_DOMAIN: &[u8] = b"vigil/blob/v1";

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    // Fields longer than 4 GiB cannot occur: bodies are limited far below that.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The bytes a push batch's signature covers:
///
/// ```text
/// "vigil/push/v1" ‖ u32be(schema_version) ‖ field(device_id) ‖ u32be(entry count) ‖
///   for each entry in order: u64be(seq) ‖ field(op_id) ‖ field(hlc as text) ‖
///                            field(kind) ‖ field(entity_id) ‖ field(canonical_json(payload))
/// field(x) = u32be(byte length of x) ‖ x (UTF-8)
/// ```
pub fn push_signing_bytes(schema_version: u32, device_id: &str, entries: &[PushEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + entries.len() * 128);
    out.extend_from_slice(PUSH_DOMAIN);
    out.extend_from_slice(&schema_version.to_be_bytes());
    field(&mut out, device_id.as_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for e in entries {
        out.extend_from_slice(&e.seq.to_be_bytes());
        field(&mut out, e.op_id.as_bytes());
        field(&mut out, e.hlc.to_string().as_bytes());
        field(&mut out, e.kind.as_bytes());
        field(&mut out, e.entity_id.as_bytes());
        field(&mut out, canonical_json(&e.payload).as_bytes());
    }
    out
}

/// The bytes a pull request's signature covers:
/// `"vigil/pull/v1" ‖ u32be(schema_version) ‖ field(device_id) ‖ u64be(cursor) ‖ u32be(limit) ‖ u64be(issued_ms)`.
pub fn pull_signing_bytes(req: &PullRequest) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(PULL_DOMAIN);
    out.extend_from_slice(&req.schema_version.to_be_bytes());
    field(&mut out, req.device_id.as_bytes());
    out.extend_from_slice(&req.cursor.to_be_bytes());
    out.extend_from_slice(&req.limit.to_be_bytes());
    out.extend_from_slice(&req.issued_ms.to_be_bytes());
    out
}

/// The bytes a chain receipt's signature covers. Version 2 (`device_public_key` given):
/// `"vigil/receipt/v2" ‖ field(device_id) ‖ device_public_key (32 bytes) ‖ u64be(seq) ‖
/// hash (32 bytes) ‖ u64be(anchored_ms)`. Version 1 (none): the same without the key,
/// under `"vigil/receipt/v1"`.
pub fn receipt_signing_bytes(
    device_id: &str,
    device_public_key: Option<&[u8; 32]>,
    seq: u64,
    hash: &[u8; 32],
    anchored_ms: u64,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + device_id.len());
    match device_public_key {
        Some(k) => {
            out.extend_from_slice(RECEIPT_DOMAIN_V2);
            field(&mut out, device_id.as_bytes());
            out.extend_from_slice(k);
        }
        None => {
            out.extend_from_slice(RECEIPT_DOMAIN_V1);
            field(&mut out, device_id.as_bytes());
        }
    }
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(hash);
    out.extend_from_slice(&anchored_ms.to_be_bytes());
    out
}

fn lower_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    hex::decode(s).ok()?.try_into().ok()
}

impl ChainReceipt {
    /// Signs a receipt with the server key: version 2 when `device_public_key` is given
    /// (what the server writes), version 1 without (older servers; tests).
    pub fn signed(
        device_id: &str,
        device_public_key: Option<&[u8; 32]>,
        seq: u64,
        hash: &[u8; 32],
        anchored_ms: u64,
        key: &DeviceKey,
    ) -> ChainReceipt {
        let msg = receipt_signing_bytes(device_id, device_public_key, seq, hash, anchored_ms);
        ChainReceipt {
            device_id: device_id.to_string(),
            device_public_key: device_public_key.map(hex::encode),
            seq,
            hash: hex::encode(hash),
            anchored_ms,
            signature: hex::encode(key.sign(&msg)),
        }
    }

    /// 2 when the receipt binds the device key, else 1.
    pub fn version(&self) -> u32 {
        if self.device_public_key.is_some() {
            2
        } else {
            1
        }
    }

    /// The anchored hash, when `hash` is 64 lowercase hex characters.
    pub fn hash_bytes(&self) -> Option<[u8; 32]> {
        lower_hex::<32>(&self.hash)
    }

    /// The bound device key, when present and 64 lowercase hex characters.
    pub fn device_key_bytes(&self) -> Option<[u8; 32]> {
        self.device_public_key.as_deref().and_then(lower_hex::<32>)
    }

    /// True when the hex fields are well-formed and `signature` is the server's (raw
    /// 32-byte Ed25519 `server_public_key`) over this receipt's canonical encoding.
    /// Says nothing about whose receipt it is: see [`ChainReceipt::verify_for`].
    pub fn verify(&self, server_public_key: &[u8]) -> bool {
        let (Some(hash), Some(sig)) = (self.hash_bytes(), lower_hex::<64>(&self.signature)) else {
            return false;
        };
        let key = match &self.device_public_key {
            None => None,
            Some(_) => match self.device_key_bytes() {
                Some(k) => Some(k),
                None => return false,
            },
        };
        let msg = receipt_signing_bytes(
            &self.device_id,
            key.as_ref(),
            self.seq,
            &hash,
            self.anchored_ms,
        );
        signing::verify(server_public_key, &msg, &sig)
    }

    /// [`ChainReceipt::verify`], and the receipt is this device's: it names `device_id`,
    /// anchors a seq of at least 1 (a server never anchors an empty chain), and a
    /// version 2 receipt binds `device_public_key`.
    pub fn verify_for(
        &self,
        device_id: &str,
        device_public_key: &[u8],
        server_public_key: &[u8],
    ) -> bool {
        let key_ok = match &self.device_public_key {
            None => true,
            Some(_) => self
                .device_key_bytes()
                .is_some_and(|k| k[..] == *device_public_key),
        };
        self.device_id == device_id && self.seq >= 1 && key_ok && self.verify(server_public_key)
    }
}

/// Canonical JSON (no whitespace, object keys sorted by their UTF-8 bytes, strings and
/// numbers as serde_json writes them): the one encoding, in [`crate::canonical_json`].
pub use crate::canonical_json::canonical_json;

impl PushBatch {
    /// Builds and signs a batch with the device key.
    pub fn signed(device_id: &str, entries: Vec<PushEntry>, key: &DeviceKey) -> PushBatch {
        Self::signed_as(SCHEMA_VERSION, device_id, entries, key)
    }

    /// Like [`Self::signed`], speaking protocol `schema_version` (an older release's batch).
    pub fn signed_as(
        schema_version: u32,
        device_id: &str,
        entries: Vec<PushEntry>,
        key: &DeviceKey,
    ) -> PushBatch {
        let sig = key.sign(&push_signing_bytes(schema_version, device_id, &entries));
        PushBatch {
            schema_version,
            device_id: device_id.to_string(),
            entries,
            signature: hex::encode(sig),
            pending: None,
        }
    }

    /// The same batch reporting `pending` (not signed: the signature stays valid).
    pub fn reporting(mut self, pending: Pending) -> PushBatch {
        self.pending = Some(pending);
        self
    }

    /// True when `signature` is the device's over this batch's canonical encoding.
    pub fn verify(&self, public_key: &[u8]) -> bool {
        let Ok(sig) = hex::decode(&self.signature) else {
            return false;
        };
        let msg = push_signing_bytes(self.schema_version, &self.device_id, &self.entries);
        signing::verify(public_key, &msg, &sig)
    }
}

impl PullRequest {
    pub fn signed(
        device_id: &str,
        cursor: u64,
        limit: u32,
        issued_ms: u64,
        key: &DeviceKey,
    ) -> PullRequest {
        let mut req = PullRequest {
            schema_version: SCHEMA_VERSION,
            device_id: device_id.to_string(),
            cursor,
            limit,
            issued_ms,
            signature: String::new(),
            pending: None,
        };
        req.signature = hex::encode(key.sign(&pull_signing_bytes(&req)));
        req
    }

    /// The same request reporting `pending` (not signed: the signature stays valid).
    pub fn reporting(mut self, pending: Pending) -> PullRequest {
        self.pending = Some(pending);
        self
    }

    pub fn verify(&self, public_key: &[u8]) -> bool {
        let Ok(sig) = hex::decode(&self.signature) else {
            return false;
        };
        signing::verify(public_key, &pull_signing_bytes(self), &sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(seq: u64, payload: serde_json::Value) -> PushEntry {
        PushEntry {
            seq,
            op_id: format!("op-{seq}"),
            hlc: Hlc {
                physical_ms: 1_700_000_000_000 + seq,
                counter: 0,
                device: "dev".into(),
            },
            kind: "note".into(),
            entity_id: "e1".into(),
            payload,
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, {"z":1,"a":"x\"y"}], "a": null, "é": 1.5 }"#)
                .unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":[1,{"a":"x\"y","z":1}],"é":1.5}"#
        );
    }

    #[test]
    fn batch_signature_round_trips_and_detects_changes() {
        let (key, _) = DeviceKey::generate().unwrap();
        let batch = PushBatch::signed("dev", vec![entry(1, json!({"a": 1}))], &key);
        let wire = serde_json::to_vec(&batch).unwrap();
        let back: PushBatch = serde_json::from_slice(&wire).unwrap();
        assert!(back.verify(&key.public_key()));
        let mut forged = back.clone();
        forged.entries[0].payload = json!({"a": 2});
        assert!(!forged.verify(&key.public_key()));
        let mut other_dev = back.clone();
        other_dev.device_id = "dev2".into();
        assert!(!other_dev.verify(&key.public_key()));
        let mut bad_hex = back;
        bad_hex.signature = "zz".into();
        assert!(!bad_hex.verify(&key.public_key()));
    }

    #[test]
    fn pull_signature_covers_cursor() {
        let (key, _) = DeviceKey::generate().unwrap();
        let req = PullRequest::signed("dev", 5, 100, 42, &key);
        assert!(req.verify(&key.public_key()));
        let mut moved = req.clone();
        moved.cursor = 0;
        assert!(!moved.verify(&key.public_key()));
    }

    #[test]
    fn blob_put_frames_round_trip_and_signatures_cover_the_chunk_hash() {
        let (key, _) = DeviceKey::generate().unwrap();
        let blob = BlobRef {
            sha256: "ab".repeat(32),
            size: 10,
        };
        let req = BlobRequest::signed("dev", BlobOp::Put, &blob, 0, 3, "cd".repeat(32), 7, &key);
        let body = encode_blob_put(&req, b"xyz");
        let (back, chunk) = decode_blob_put(&body).unwrap();
        assert_eq!(back, req);
        assert_eq!(chunk, b"xyz");
        assert!(back.verify(&key.public_key()));
        let mut moved = back.clone();
        moved.offset = 3;
        assert!(!moved.verify(&key.public_key()));
        let mut other = back;
        other.chunk_sha256 = "ce".repeat(32);
        assert!(!other.verify(&key.public_key()));
        assert!(decode_blob_put(b"\0\0\0\x09{}").is_none());
        assert!(decode_blob_put(b"\0\0").is_none());
    }

    #[test]
    fn blob_refs_are_read_from_payloads_only_when_well_formed() {
        let ok = json!({"blob": {"sha256": "0f".repeat(32), "size": 5}});
        assert_eq!(BlobRef::of_payload(&ok).unwrap().size, 5);
        for bad in [
            json!({}),
            json!({"blob": {"sha256": "0F".repeat(32), "size": 5}}),
            json!({"blob": {"sha256": "0f".repeat(31), "size": 5}}),
            json!({"blob": {"sha256": "0f".repeat(32), "size": 0}}),
            json!({"blob": "x"}),
        ] {
            assert!(BlobRef::of_payload(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn server_time_is_optional_both_ways() {
        let old = r#"{"schema_version":1,"results":[]}"#;
        let r: PushResult = serde_json::from_str(old).unwrap();
        assert_eq!(r.server_time_ms, None);
        assert_eq!(serde_json::to_string(&r).unwrap(), old);
        let e: ErrorBody = serde_json::from_str(
            r#"{"schema_version":1,"error":"stale_request","message":"m","server_time_ms":7}"#,
        )
        .unwrap();
        assert_eq!(e.server_time_ms, Some(7));
    }

    #[test]
    fn the_pending_report_is_optional_both_ways_and_outside_the_signature() {
        let (key, _) = DeviceKey::generate().unwrap();
        let report = Pending {
            changes: 2,
            attachments: 1,
        };
        let batch = PushBatch::signed("dev", vec![entry(1, json!({"a": 1}))], &key);
        let bare = serde_json::to_value(&batch).unwrap();
        assert!(bare.get("pending").is_none(), "absent when not reported");
        let wire = serde_json::to_value(batch.clone().reporting(report)).unwrap();
        assert_eq!(wire["pending"], json!({"changes": 2, "attachments": 1}));
        let back: PushBatch = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(back.pending, Some(report));
        assert!(back.verify(&key.public_key()), "the report is not signed");

        // A server of the previous release reads the batch with its own shape (no
        // `pending`, unknown fields ignored) and verifies the same signed bytes.
        #[derive(Deserialize)]
        struct PreviousRelease {
            schema_version: u32,
            device_id: String,
            entries: Vec<PushEntry>,
            signature: String,
        }
        let old: PreviousRelease = serde_json::from_value(wire).unwrap();
        let as_old = PushBatch {
            schema_version: old.schema_version,
            device_id: old.device_id,
            entries: old.entries,
            signature: old.signature,
            pending: None,
        };
        assert!(as_old.verify(&key.public_key()));
        // A device of the previous release sends no report: it is none here.
        let back: PushBatch = serde_json::from_value(bare).unwrap();
        assert_eq!(back.pending, None);

        let pull = PullRequest::signed("dev", 5, 100, 42, &key).reporting(Pending::default());
        let wire = serde_json::to_value(&pull).unwrap();
        assert_eq!(wire["pending"], json!({"changes": 0, "attachments": 0}));
        let back: PullRequest = serde_json::from_value(wire).unwrap();
        assert!(back.verify(&key.public_key()));
        assert!(back.pending.is_some_and(|p| p.is_empty()));
    }

    #[test]
    fn receipts_sign_the_documented_encoding() {
        let (key, _) = DeviceKey::generate().unwrap();
        let hash = [0xabu8; 32];
        let dk = [0xcdu8; 32];
        let r = ChainReceipt::signed("dev", Some(&dk), 7, &hash, 1_700_000_000_000, &key);
        assert_eq!(r.version(), 2);
        assert!(r.verify(&key.public_key()));
        assert!(r.verify_for("dev", &dk, &key.public_key()));
        assert!(!r.verify_for("dev", &[0x12u8; 32], &key.public_key()));
        assert!(!r.verify_for("dew", &dk, &key.public_key()));
        let mut manual = b"vigil/receipt/v2".to_vec();
        manual.extend_from_slice(&[0, 0, 0, 3]);
        manual.extend_from_slice(b"dev");
        manual.extend_from_slice(&dk);
        manual.extend_from_slice(&7u64.to_be_bytes());
        manual.extend_from_slice(&hash);
        manual.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        assert_eq!(
            receipt_signing_bytes("dev", Some(&dk), 7, &hash, 1_700_000_000_000),
            manual
        );
        let sig = hex::decode(&r.signature).unwrap();
        assert!(signing::verify(&key.public_key(), &manual, &sig));
        // Version 1 (older servers) still verifies as version 1.
        let old = ChainReceipt::signed("dev", None, 7, &hash, 1_700_000_000_000, &key);
        assert_eq!(old.version(), 1);
        assert!(old.verify_for("dev", &dk, &key.public_key()));
        let mut manual = b"vigil/receipt/v1".to_vec();
        manual.extend_from_slice(&[0, 0, 0, 3]);
        manual.extend_from_slice(b"dev");
        manual.extend_from_slice(&7u64.to_be_bytes());
        manual.extend_from_slice(&hash);
        manual.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        let sig = hex::decode(&old.signature).unwrap();
        assert!(signing::verify(&key.public_key(), &manual, &sig));
        // Dropping the key from a version 2 receipt does not make a version 1 one.
        let stripped = ChainReceipt {
            device_public_key: None,
            ..r.clone()
        };
        assert!(!stripped.verify(&key.public_key()));
        // Seq 0 is never a receipt.
        let zero = ChainReceipt::signed("dev", Some(&dk), 0, &[0u8; 32], 1, &key);
        assert!(zero.verify(&key.public_key()));
        assert!(!zero.verify_for("dev", &dk, &key.public_key()));
        for edit in [
            ChainReceipt {
                seq: 8,
                ..r.clone()
            },
            ChainReceipt {
                anchored_ms: 1,
                ..r.clone()
            },
            ChainReceipt {
                device_id: "dew".into(),
                ..r.clone()
            },
            ChainReceipt {
                device_public_key: Some(hex::encode([0x12u8; 32])),
                ..r.clone()
            },
            ChainReceipt {
                device_public_key: Some(hex::encode(dk).to_uppercase()),
                ..r.clone()
            },
            ChainReceipt {
                hash: hex::encode([0xacu8; 32]),
                ..r.clone()
            },
            ChainReceipt {
                hash: r.hash.to_uppercase(),
                ..r.clone()
            },
        ] {
            assert!(!edit.verify(&key.public_key()));
        }
        // Old peers: the new fields are optional on the wire.
        let old: PushResult = serde_json::from_str(r#"{"schema_version":1,"results":[]}"#).unwrap();
        assert_eq!(old.receipt, None);
        let old: EnrollResponse =
            serde_json::from_str(r#"{"schema_version":1,"team_id":"t","device_id":"d"}"#).unwrap();
        assert_eq!(old.server_public_key, None);
    }

    #[test]
    fn outcomes_serialize_with_a_status_tag() {
        let r = EntryResult {
            seq: 3,
            op_id: "o".into(),
            outcome: EntryOutcome::Duplicate {
                original: Box::new(EntryOutcome::Rejected {
                    reason: "bad".into(),
                }),
            },
        };
        let s = serde_json::to_value(&r).unwrap();
        assert_eq!(s["status"], "duplicate");
        assert_eq!(s["original"]["status"], "rejected");
        let back: EntryResult = serde_json::from_value(s).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            back.outcome.effective(),
            &EntryOutcome::Rejected {
                reason: "bad".into()
            }
        );
    }
}
