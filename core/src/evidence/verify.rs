//! Verifying an evidence package on its own (no store, clock or network): the signed
//! manifest, every file's SHA-256 and size, no file unlisted, every bundle and chain,
//! the receipts, and every attachment against the signed entries that reference it.
//! The first failure is the verdict, and it names the file.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest::{self, ManifestPayload, ManifestPayloadV1, PackageMaker, Role};
use crate::crypto::signing;
use crate::incident::anchor::check_receipt;
use crate::incident::canonical::EntryBody;
use crate::incident::export::{
    verify_bundle, verify_chain_copy, Bundle, BundleAnchor, BundlePayload, BundleProblem,
    BundleReport, ChainCopy,
};
use crate::incident::model::AttachmentRef;

/// The most a manifest, bundle, chain or receipt file may hold: they are read whole (a
/// bundle's signature and canonical form are checked over its exact bytes), so a hostile
/// zip entry inflating to gigabytes is cut here, never held. A bundle carries one link per
/// entry of its chain (about 450 bytes when hidden) and the bodies of the disclosed
/// incidents (a full report's body is some KB): 32 MiB holds a chain of about 70,000
/// entries (twenty years of ten a day) with hundreds of full reports.
pub const MAX_TEXT_FILE: u64 = 32 * 1024 * 1024;

/// Why a package does not verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PackageProblem {
    /// Not a directory or zip file, or a file in it could not be read.
    Unreadable,
    /// manifest.json is missing, not of the signed shape, or its payload is not the
    /// manifest schema (unknown fields, unsafe paths, a bad key).
    BadManifest,
    /// The manifest's signature does not verify under the key it names.
    BadManifestSignature,
    /// A file the manifest lists is not in the package.
    MissingFile,
    /// A file is in the package but not in the manifest.
    UnlistedFile,
    /// A file's SHA-256 or size is not what the manifest says (it was changed).
    FileMismatch,
    /// A bundle or chain does not verify (see `bundles`).
    Bundle(BundleProblem),
    /// device-1's bundle is not signed by the manifest's key, a chain repeats a device,
    /// or the incidents the bundles disclose are not the manifest's.
    KeyMismatch,
    /// A receipt file is not its bundle's anchor.
    ReceiptMismatch,
    /// An attachment's content is not what its name says, or no disclosed signed entry
    /// of its incident references it with that SHA-256, size and type.
    AttachmentMismatch,
    /// A disclosed signed entry references an attachment the package does not hold.
    MissingAttachment,
    /// A manifest, bundle, chain or receipt file is larger than [`MAX_TEXT_FILE`] (for
    /// example a zip entry that inflates to gigabytes); it is not read further.
    TooLarge,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PackageReport {
    pub ok: bool,
    pub problem: Option<PackageProblem>,
    /// The file the problem is about (relative path in the package), when there is one.
    pub file: Option<String>,
    /// Who made the package (a device or the team server), its id (the device's, or the
    /// team's) and the key that signed the manifest, as the manifest names them.
    pub maker: Option<PackageMaker>,
    pub maker_id: Option<String>,
    pub maker_public_key: Option<String>,
    /// The manifest's format version (1 or 2).
    pub format_version: u32,
    pub incidents: Vec<String>,
    /// Each bundle or chain checked, in manifest order.
    pub bundles: Vec<BundleReport>,
    /// Attachment files checked against their signed references.
    pub attachments_checked: u64,
}

impl PackageReport {
    fn fail(mut self, problem: PackageProblem, file: Option<&str>) -> Self {
        self.ok = false;
        self.problem = Some(problem);
        self.file = file.map(str::to_string);
        self
    }
}

/// The files of a package, from a directory or a zip archive.
enum Source {
    Dir(PathBuf),
    Zip(Box<zip::ZipArchive<fs::File>>),
}

impl Source {
    fn open(path: &Path) -> io::Result<Source> {
        let meta = fs::metadata(path)?;
        if meta.is_dir() {
            return Ok(Source::Dir(path.to_path_buf()));
        }
        let file = fs::File::open(path)?;
        zip::ZipArchive::new(file)
            .map(|z| Source::Zip(Box::new(z)))
            .map_err(|_| io::ErrorKind::InvalidData.into())
    }

    /// Every regular file, as a relative `/`-separated path. Anything else (a symbolic
    /// link, a device) is listed too, so it shows up as unlisted.
    fn list(&mut self) -> io::Result<Vec<String>> {
        match self {
            Source::Dir(root) => {
                let mut out = Vec::new();
                let mut stack = vec![(root.clone(), String::new())];
                while let Some((dir, prefix)) = stack.pop() {
                    for e in fs::read_dir(&dir)? {
                        let e = e?;
                        let name = e.file_name().to_string_lossy().into_owned();
                        let rel = if prefix.is_empty() {
                            name
                        } else {
                            format!("{prefix}/{name}")
                        };
                        if e.file_type()?.is_dir() {
                            stack.push((e.path(), rel));
                        } else {
                            out.push(rel);
                        }
                    }
                }
                out.sort();
                Ok(out)
            }
            Source::Zip(z) => {
                let mut out = Vec::new();
                for name in z.file_names() {
                    let name = name.map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
                    if !name.ends_with('/') {
                        out.push(name.into_owned());
                    }
                }
                out.sort();
                Ok(out)
            }
        }
    }

    /// Streams one file (a listed, safe path) through `f`.
    fn read<T>(
        &mut self,
        path: &str,
        f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> io::Result<T> {
        match self {
            Source::Dir(root) => {
                let full = root.join(path);
                if fs::symlink_metadata(&full)?.file_type().is_symlink() {
                    return Err(io::ErrorKind::InvalidData.into());
                }
                f(&mut io::BufReader::new(fs::File::open(full)?))
            }
            Source::Zip(z) => {
                let mut entry = z
                    .by_name(path)
                    .map_err(|_| io::Error::from(io::ErrorKind::NotFound))?;
                f(&mut entry)
            }
        }
    }

    fn digest(&mut self, path: &str) -> io::Result<(String, u64)> {
        self.read(path, crate::crypto::hash::stream)
    }

    /// A whole text file, at most [`MAX_TEXT_FILE`] bytes (`FileTooLarge` beyond: reading
    /// stops there, whatever size the zip claims).
    fn bytes(&mut self, path: &str) -> io::Result<Vec<u8>> {
        self.read(path, |r| {
            // Chunk by chunk, refused before the buffer would pass the limit (so it never
            // grows beyond it, whatever size the zip claims).
            let mut out = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = match r.read(&mut chunk) {
                    Ok(0) => return Ok(out),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if (out.len() + n) as u64 > MAX_TEXT_FILE {
                    return Err(io::ErrorKind::FileTooLarge.into());
                }
                out.extend_from_slice(&chunk[..n]);
            }
        })
    }
}

fn payload_of(bytes: &[u8], role: Role) -> Option<BundlePayload> {
    match role {
        Role::Bundle => serde_json::from_slice::<Bundle>(bytes)
            .ok()
            .map(|b| b.payload),
        _ => serde_json::from_slice::<ChainCopy>(bytes)
            .ok()
            .map(|c| c.payload),
    }
}

/// Verifies the package at `path` (a directory, or a zip file).
pub fn verify_package(path: &Path) -> PackageReport {
    let report = PackageReport {
        ok: false,
        problem: None,
        file: None,
        maker: None,
        maker_id: None,
        maker_public_key: None,
        format_version: 0,
        incidents: vec![],
        bundles: vec![],
        attachments_checked: 0,
    };
    let Ok(mut src) = Source::open(path) else {
        return report.fail(PackageProblem::Unreadable, None);
    };
    let Ok(present) = src.list() else {
        return report.fail(PackageProblem::Unreadable, None);
    };
    check(&mut src, &present, report)
}

/// A text file's bytes, or the verdict: `TooLarge` past the limit, else `Unreadable`.
fn text_file(src: &mut Source, path: &str) -> Result<Vec<u8>, PackageProblem> {
    src.bytes(path).map_err(|e| {
        if e.kind() == io::ErrorKind::FileTooLarge {
            PackageProblem::TooLarge
        } else {
            PackageProblem::Unreadable
        }
    })
}

/// The manifest's version, payload (read as format 2) and whether its signature holds.
fn manifest_of(bytes: &[u8]) -> Option<(u32, ManifestPayload, bool)> {
    let (version, payload_bytes, signature) = manifest::split(bytes)?;
    let p: ManifestPayload = if version == 1 {
        serde_json::from_slice::<ManifestPayloadV1>(payload_bytes)
            .ok()?
            .into()
    } else {
        serde_json::from_slice(payload_bytes).ok()?
    };
    let key = hex::decode(&p.public_key).ok()?;
    let signed = signing::verify(
        &key,
        &manifest::signed_message(version, payload_bytes),
        &signature,
    );
    Some((version, p, signed))
}

fn check(src: &mut Source, present: &[String], mut report: PackageReport) -> PackageReport {
    let m = manifest::MANIFEST;
    if !present.iter().any(|p| p == m) {
        return report.fail(PackageProblem::BadManifest, Some(m));
    }
    let bytes = match text_file(src, m) {
        Ok(b) => b,
        Err(problem) => return report.fail(problem, Some(m)),
    };
    let Some((version, p, signed)) = manifest_of(&bytes) else {
        return report.fail(PackageProblem::BadManifest, Some(m));
    };
    let key_ok = crate::incident::model::is_lower_hex(&p.public_key, 64);
    let paths_ok = p.files.iter().all(|f| {
        manifest::safe_path(&f.path)
            && f.path != m
            && crate::incident::model::is_lower_hex(&f.sha256, 64)
    }) && p
        .files
        .iter()
        .map(|f| &f.path)
        .collect::<BTreeSet<_>>()
        .len()
        == p.files.len();
    if !key_ok || !paths_ok {
        return report.fail(PackageProblem::BadManifest, Some(m));
    }
    report.format_version = version;
    report.maker = Some(p.maker);
    report.maker_id = Some(p.maker_id.clone());
    report.maker_public_key = Some(p.public_key.clone());
    report.incidents = p.incidents.clone();
    if !signed {
        return report.fail(PackageProblem::BadManifestSignature, Some(m));
    }
    // Every listed file, byte for byte.
    for f in &p.files {
        if !present.contains(&f.path) {
            return report.fail(PackageProblem::MissingFile, Some(&f.path));
        }
        match src.digest(&f.path) {
            Ok((sha, size)) if sha == f.sha256 && size == f.size => {}
            Ok(_) => return report.fail(PackageProblem::FileMismatch, Some(&f.path)),
            Err(_) => return report.fail(PackageProblem::Unreadable, Some(&f.path)),
        }
    }
    for path in present {
        if path != m && p.file(path).is_none() {
            return report.fail(PackageProblem::UnlistedFile, Some(path));
        }
    }
    // Bundles and chains. A device's package: device-1 is the maker's signed bundle, the
    // others chains. The team server's: chains only (it signs no device's bundle).
    let mut disclosed: Vec<(String, AttachmentRef)> = Vec::new();
    let mut devices = BTreeSet::new();
    let mut listed = BTreeSet::new();
    let mut checked: Vec<(String, BundlePayload)> = Vec::new();
    let chains: Vec<_> = p
        .files
        .iter()
        .filter(|f| matches!(f.role, Role::Bundle | Role::Chain))
        .collect();
    let shape_ok = match p.maker {
        PackageMaker::Device => {
            chains.first().map(|f| f.role) == Some(Role::Bundle)
                && !chains.iter().skip(1).any(|f| f.role == Role::Bundle)
        }
        PackageMaker::TeamServer => chains.iter().all(|f| f.role == Role::Chain),
    };
    if !shape_ok {
        return report.fail(PackageProblem::KeyMismatch, Some(m));
    }
    for f in chains {
        let bytes = match text_file(src, &f.path) {
            Ok(b) => b,
            Err(problem) => return report.fail(problem, Some(&f.path)),
        };
        let r = match f.role {
            Role::Bundle => verify_bundle(&bytes),
            _ => verify_chain_copy(&bytes),
        };
        let problem = r.problem.clone();
        let bundle_key = r.device_public_key.clone();
        report.bundles.push(r);
        if let Some(problem) = problem {
            return report.fail(PackageProblem::Bundle(problem), Some(&f.path));
        }
        let Some(payload) = payload_of(&bytes, f.role) else {
            return report.fail(PackageProblem::Unreadable, Some(&f.path));
        };
        if (f.role == Role::Bundle
            && (bundle_key.as_deref() != Some(p.public_key.as_str())
                || payload.device_id != p.maker_id))
            || !devices.insert(payload.device_id.clone())
        {
            return report.fail(PackageProblem::KeyMismatch, Some(&f.path));
        }
        listed.extend(payload.incidents.iter().cloned());
        for e in &payload.entries {
            let Some(body) = e
                .body
                .as_deref()
                .and_then(|b| EntryBody::decode(b.as_bytes()))
            else {
                continue;
            };
            let refs = match (&body.report, &body.amendment) {
                (Some(r), _) => r.attachments.clone(),
                (None, Some(a)) => a.patch.attachments.clone().unwrap_or_default(),
                _ => vec![],
            };
            for r in refs {
                disclosed.push((body.incident_id.clone(), r));
            }
        }
        checked.push((f.path.clone(), payload));
    }
    if listed.into_iter().collect::<Vec<_>>() != {
        let mut i = p.incidents.clone();
        i.sort();
        i
    } {
        return report.fail(PackageProblem::KeyMismatch, Some(m));
    }
    // Receipts: device-N's receipt is device-N's bundle anchor; for a chain, a receipt
    // valid for it (in the team server's package: under the manifest's key, one per chain).
    for f in p.files.iter().filter(|f| f.role == Role::Receipt) {
        let bundle_path = f.path.replacen("receipts/", "bundles/", 1);
        let chain = checked.iter().find(|(path, _)| *path == bundle_path);
        let role = p.file(&bundle_path).map(|b| b.role);
        let stated = match text_file(src, &f.path) {
            Ok(b) => serde_json::from_slice::<BundleAnchor>(&b).ok(),
            Err(problem) => return report.fail(problem, Some(&f.path)),
        };
        let ok = match (chain, role, stated) {
            (Some((_, payload)), Some(Role::Bundle), Some(stated)) => {
                payload.anchor.as_ref() == Some(&stated)
            }
            (Some((_, payload)), Some(Role::Chain), Some(stated)) => {
                (p.maker == PackageMaker::Device || stated.server_public_key == p.public_key)
                    && receipt_holds(payload, &stated)
            }
            _ => false,
        };
        if !ok {
            return report.fail(PackageProblem::ReceiptMismatch, Some(&f.path));
        }
    }
    if p.maker == PackageMaker::TeamServer {
        for (path, _) in &checked {
            if p.file(&path.replacen("bundles/", "receipts/", 1))
                .map(|f| f.role)
                != Some(Role::Receipt)
            {
                return report.fail(PackageProblem::ReceiptMismatch, Some(path));
            }
        }
    }
    // Attachments: each file is what its name says, and each manifest reference is one a
    // disclosed signed entry of that incident makes; every such reference is present.
    for f in p.files.iter().filter(|f| f.role == Role::Attachment) {
        let name = f.path.rsplit('/').next().unwrap_or("");
        let stem = name.split('.').next().unwrap_or("");
        if !f.path.starts_with("attachments/") || stem != f.sha256 {
            return report.fail(PackageProblem::AttachmentMismatch, Some(&f.path));
        }
        report.attachments_checked += 1;
    }
    for a in &p.attachments {
        let signed = disclosed.iter().any(|(incident, r)| {
            *incident == a.incident_id
                && r.id == a.attachment_id
                && r.sha256 == a.sha256
                && r.size == a.size
                && r.mime == a.mime
        });
        let file_ok = p.file(&a.path).is_some_and(|f| {
            f.role == Role::Attachment && f.sha256 == a.sha256 && f.size == a.size
        });
        if !signed || !file_ok {
            return report.fail(PackageProblem::AttachmentMismatch, Some(&a.path));
        }
    }
    for (incident, r) in &disclosed {
        if !p
            .attachments
            .iter()
            .any(|a| a.incident_id == *incident && a.attachment_id == r.id)
        {
            return report.fail(PackageProblem::MissingAttachment, Some(m));
        }
    }
    if p.files
        .iter()
        .filter(|f| f.role == Role::Attachment)
        .any(|f| !p.attachments.iter().any(|a| a.path == f.path))
    {
        return report.fail(PackageProblem::AttachmentMismatch, Some(m));
    }
    report.ok = true;
    report
}

/// A receipt for a chain copy (which carries no anchor): signed by the key it names for
/// this device and key, and the chain reaches its seq with its hash.
fn receipt_holds(chain: &BundlePayload, stated: &BundleAnchor) -> bool {
    let (Ok(server_key), Ok(device_key)) = (
        hex::decode(&stated.server_public_key),
        hex::decode(&chain.device_public_key),
    ) else {
        return false;
    };
    server_key.len() == 32
        && check_receipt(
            &chain.device_id,
            &device_key,
            &stated.receipt,
            &server_key,
            chain.head_seq,
            |seq| {
                chain
                    .entries
                    .iter()
                    .find(|e| e.seq == seq)
                    .and_then(|e| hex::decode(&e.hash).ok())
            },
        )
        .is_none()
}
