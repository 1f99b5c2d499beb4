//! Verifying an evidence package on its own (no store, clock or network): the signed
//! manifest, every file's SHA-256 and size, no file unlisted, every bundle and chain,
//! the receipts, and every attachment against the signed entries that reference it.
//! The first failure is the verdict, and it names the file.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ring::digest;
use serde::{Deserialize, Serialize};

use super::manifest::{self, ManifestPayload, Role};
use crate::crypto::signing;
use crate::incident::canonical::EntryBody;
use crate::incident::export::{
    verify_bundle, verify_chain_copy, Bundle, BundleAnchor, BundlePayload, BundleProblem,
    BundleReport, ChainCopy,
};
use crate::incident::model::AttachmentRef;

/// The most a manifest, bundle, chain or receipt file may hold (they are read whole).
pub const MAX_TEXT_FILE: u64 = 512 * 1024 * 1024;

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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PackageReport {
    pub ok: bool,
    pub problem: Option<PackageProblem>,
    /// The file the problem is about (relative path in the package), when there is one.
    pub file: Option<String>,
    /// The exporting device and its key, as the manifest names them.
    pub device_id: Option<String>,
    pub device_public_key: Option<String>,
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
        self.read(path, |r| {
            let mut ctx = digest::Context::new(&digest::SHA256);
            let mut buf = vec![0u8; 64 * 1024];
            let mut size = 0u64;
            loop {
                let n = r.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                ctx.update(&buf[..n]);
                size += n as u64;
            }
            Ok((hex::encode(ctx.finish()), size))
        })
    }

    fn bytes(&mut self, path: &str) -> io::Result<Vec<u8>> {
        self.read(path, |r| {
            let mut out = Vec::new();
            r.take(MAX_TEXT_FILE + 1).read_to_end(&mut out)?;
            if out.len() as u64 > MAX_TEXT_FILE {
                return Err(io::ErrorKind::InvalidData.into());
            }
            Ok(out)
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
        device_id: None,
        device_public_key: None,
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

fn check(src: &mut Source, present: &[String], mut report: PackageReport) -> PackageReport {
    let m = manifest::MANIFEST;
    if !present.iter().any(|p| p == m) {
        return report.fail(PackageProblem::BadManifest, Some(m));
    }
    let Ok(bytes) = src.bytes(m) else {
        return report.fail(PackageProblem::Unreadable, Some(m));
    };
    let Some((payload_bytes, signature)) = manifest::split(&bytes) else {
        return report.fail(PackageProblem::BadManifest, Some(m));
    };
    let Ok(p) = serde_json::from_slice::<ManifestPayload>(payload_bytes) else {
        return report.fail(PackageProblem::BadManifest, Some(m));
    };
    let key_ok = crate::incident::model::is_lower_hex(&p.device_public_key, 64);
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
    let key = hex::decode(&p.device_public_key).unwrap_or_default();
    report.device_id = Some(p.device_id.clone());
    report.device_public_key = Some(p.device_public_key.clone());
    report.incidents = p.incidents.clone();
    if !signing::verify(&key, &manifest::signed_message(payload_bytes), &signature) {
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
    // Bundles and chains: each verifies; device-1 is the exporter's signed bundle.
    let mut disclosed: Vec<(String, AttachmentRef)> = Vec::new();
    let mut devices = BTreeSet::new();
    let mut listed = BTreeSet::new();
    let mut anchors: Vec<(String, Option<BundleAnchor>)> = Vec::new();
    let chains: Vec<_> = p
        .files
        .iter()
        .filter(|f| matches!(f.role, Role::Bundle | Role::Chain))
        .collect();
    if chains.first().map(|f| f.role) != Some(Role::Bundle)
        || chains.iter().skip(1).any(|f| f.role == Role::Bundle)
    {
        return report.fail(PackageProblem::KeyMismatch, Some(m));
    }
    for f in chains {
        let Ok(bytes) = src.bytes(&f.path) else {
            return report.fail(PackageProblem::Unreadable, Some(&f.path));
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
            && (bundle_key.as_deref() != Some(p.device_public_key.as_str())
                || payload.device_id != p.device_id))
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
        anchors.push((f.path.clone(), payload.anchor));
    }
    if listed.into_iter().collect::<Vec<_>>() != {
        let mut i = p.incidents.clone();
        i.sort();
        i
    } {
        return report.fail(PackageProblem::KeyMismatch, Some(m));
    }
    // Receipts: device-N's receipt is device-N's bundle anchor.
    for f in p.files.iter().filter(|f| f.role == Role::Receipt) {
        let bundle_path = f.path.replacen("receipts/", "bundles/", 1);
        let anchor = anchors
            .iter()
            .find(|(path, _)| *path == bundle_path)
            .and_then(|(_, a)| a.clone());
        let stated = src
            .bytes(&f.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<BundleAnchor>(&b).ok());
        if anchor.is_none() || stated != anchor {
            return report.fail(PackageProblem::ReceiptMismatch, Some(&f.path));
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
