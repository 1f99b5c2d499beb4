//! The signed manifest of an evidence package (`manifest.json`): every file with its
//! SHA-256 and size, and every attachment with the incident and signed reference it
//! belongs to, and who made the package: a device, or the team server. Signed by the
//! maker's key: Ed25519 over `"VIGIL-PACKAGE-V2" || payload`, where `payload` is the exact
//! bytes between the fixed prefix and suffix of the file (see docs/EVIDENCE.md). Format 1
//! (made by a device only, domain `VIGIL-PACKAGE-V1`) is still read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::incident::model::ts;

/// The format packages are written in.
pub const PACKAGE_FORMAT: &str = "vigil.evidence-package.v2";
pub const PACKAGE_DOMAIN: &[u8] = b"VIGIL-PACKAGE-V2";
/// Format 1: made by a device, read only.
pub const PACKAGE_FORMAT_V1: &str = "vigil.evidence-package.v1";
pub const PACKAGE_DOMAIN_V1: &[u8] = b"VIGIL-PACKAGE-V1";
/// The manifest's name in the package.
pub const MANIFEST: &str = "manifest.json";
/// `manifest.json` is `PREFIX || payload || SUFFIX_START || 128 hex || SUFFIX_END`.
pub const PREFIX: &str = "{\"format\":\"vigil.evidence-package.v2\",\"payload\":";
pub const PREFIX_V1: &str = "{\"format\":\"vigil.evidence-package.v1\",\"payload\":";
pub const SUFFIX_START: &str = ",\"signature\":\"";
pub const SUFFIX_END: &str = "\"}";

/// What a file of the package is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// README.txt: how to verify the package without Vigil.
    Readme,
    /// A device's signed bundle (`vigil.incident-bundle.v2`): the exporting device's own.
    Bundle,
    /// A teammate's chain as the exporting device holds it (`vigil.incident-chain.v2`).
    Chain,
    /// The team server's receipt for a bundle's chain (a copy of the bundle's `anchor`).
    Receipt,
    /// An attachment in the clear, named by its SHA-256.
    Attachment,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative, `/`-separated: `README.txt`, `bundles/device-1.json`, `attachments/<sha256>.jpg`.
    pub path: String,
    pub role: Role,
    pub sha256: String,
    pub size: u64,
}

/// One attachment reference of a disclosed incident, and the file holding its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentEntry {
    pub incident_id: String,
    pub attachment_id: String,
    pub sha256: String,
    pub size: u64,
    pub mime: String,
    pub path: String,
}

/// Who assembled a package and signed its manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum PackageMaker {
    /// A device, from its store: its own chain as a signed bundle (device-1), teammates'
    /// chains as it received them. `maker_id` is the device id, the key its device key.
    Device,
    /// The team server, from what the devices pushed: every chain as a chain copy with
    /// the server's receipt for it. `maker_id` is the team's id, the key the server key
    /// the devices pin.
    TeamServer,
}

/// The manifest's payload (format 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPayload {
    #[serde(with = "ts")]
    pub created_at: DateTime<Utc>,
    pub maker: PackageMaker,
    pub maker_id: String,
    /// The maker's raw Ed25519 public key (lowercase hex): the manifest is signed by it.
    pub public_key: String,
    /// The incidents disclosed, sorted.
    pub incidents: Vec<String>,
    pub files: Vec<FileEntry>,
    pub attachments: Vec<AttachmentEntry>,
}

/// The payload of format 1 (a device made it), read as format 2 with maker `device`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPayloadV1 {
    #[serde(with = "ts")]
    pub created_at: DateTime<Utc>,
    pub device_id: String,
    pub device_public_key: String,
    pub incidents: Vec<String>,
    pub files: Vec<FileEntry>,
    pub attachments: Vec<AttachmentEntry>,
}

impl From<ManifestPayloadV1> for ManifestPayload {
    fn from(p: ManifestPayloadV1) -> Self {
        ManifestPayload {
            created_at: p.created_at,
            maker: PackageMaker::Device,
            maker_id: p.device_id,
            public_key: p.device_public_key,
            incidents: p.incidents,
            files: p.files,
            attachments: p.attachments,
        }
    }
}

impl ManifestPayload {
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// What the manifest's signature covers: the format's domain, then the payload's bytes.
pub fn signed_message(version: u32, payload: &[u8]) -> Vec<u8> {
    let domain = if version == 1 {
        PACKAGE_DOMAIN_V1
    } else {
        PACKAGE_DOMAIN
    };
    let mut m = Vec::with_capacity(domain.len() + payload.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(payload);
    m
}

/// The file: prefix, payload, signature.
pub fn encode(payload: &[u8], signature: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 256);
    out.extend_from_slice(PREFIX.as_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(SUFFIX_START.as_bytes());
    out.extend_from_slice(hex::encode(signature).as_bytes());
    out.extend_from_slice(SUFFIX_END.as_bytes());
    out
}

/// Splits a manifest file into its format version (1 or 2), its exact payload bytes and
/// its signature, or `None` when it is not of that shape.
pub fn split(bytes: &[u8]) -> Option<(u32, &[u8], [u8; 64])> {
    let (version, rest) = match bytes.strip_prefix(PREFIX.as_bytes()) {
        Some(rest) => (2, rest),
        None => (1, bytes.strip_prefix(PREFIX_V1.as_bytes())?),
    };
    let rest = rest.strip_suffix(SUFFIX_END.as_bytes())?;
    let tail = SUFFIX_START.len() + 128;
    if rest.len() < tail {
        return None;
    }
    let (payload, sig) = rest.split_at(rest.len() - tail);
    let sig = sig.strip_prefix(SUFFIX_START.as_bytes())?;
    let text = std::str::from_utf8(sig).ok()?;
    if !crate::incident::model::is_lower_hex(text, 128) {
        return None;
    }
    let mut out = [0u8; 64];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some((version, payload, out))
}

/// A safe relative path: `[A-Za-z0-9._-]` segments joined by `/`, no empty, `.` or `..`
/// segment, at most 200 bytes.
pub fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 200
        && p.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

/// The file extension for a MIME type, so the recipient's viewer opens it (`None`: no
/// extension).
pub fn extension(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/heic" => "heic",
        "image/heif" => "heif",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "audio/mpeg" => "mp3",
        "audio/aac" => "aac",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => return None,
    })
}
