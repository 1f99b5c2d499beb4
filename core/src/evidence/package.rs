//! Writing an evidence package: a directory or one `.zip` file holding the signed
//! bundle of this device's chain, the chains of teammates whose incidents are disclosed,
//! the team server's receipt, every attachment of the disclosed incidents in the clear
//! (named by its SHA-256, each checked against its signed entry on the way out), a README
//! for the recipient, and the manifest this device signs over all of them.
//!
//! Nothing appears at the target until the whole package is written: a directory is
//! built beside it under a temporary name and renamed; a zip is written to a temporary
//! file and renamed. Files 0600, directories 0700.

use std::fs;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use ring::digest;
use serde::Serialize;

use super::manifest::{self, AttachmentEntry, FileEntry, ManifestPayload, PackageMaker, Role};
use super::readme;
use crate::crypto::signing::DeviceKey;
use crate::files::create_dir;
use crate::incident::export::{self, BundleAnchor, ExportScope};
use crate::incident::model::AttachmentRef;
use crate::incident::{chain, IncidentError, IncidentFilter, IncidentLog, IncidentResult};

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PackageSummary {
    pub path: String,
    pub zip: bool,
    pub incidents: Vec<String>,
    /// Device chains in the package (this device's bundle first).
    pub chains: u32,
    /// Distinct attachment files.
    pub attachments: u32,
    /// Files, the manifest included.
    pub files: u32,
    pub bytes: u64,
}

fn io(e: io::Error) -> IncidentError {
    IncidentError::ExportIo(e.kind())
}

/// Counts and hashes what passes through.
struct Hashing<'a> {
    inner: &'a mut dyn Write,
    ctx: digest::Context,
    size: u64,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.ctx.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where the files go: a directory tree or a zip archive.
pub(super) trait Sink {
    fn put(
        &mut self,
        path: &str,
        compress: bool,
        fill: &mut dyn FnMut(&mut dyn Write) -> IncidentResult<()>,
    ) -> IncidentResult<()>;
}

struct DirSink {
    root: PathBuf,
}

impl Sink for DirSink {
    fn put(
        &mut self,
        path: &str,
        _compress: bool,
        fill: &mut dyn FnMut(&mut dyn Write) -> IncidentResult<()>,
    ) -> IncidentResult<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            create_dir(parent).map_err(io)?;
        }
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&full)
            .map_err(io)?;
        let mut w = io::BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)
    }
}

struct ZipSink<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
}

fn zip_error(e: zip::result::ZipError) -> IncidentError {
    match e {
        zip::result::ZipError::Io(e) => io(e),
        _ => IncidentError::Bundle("the zip file could not be written".into()),
    }
}

impl<W: Write + Seek> Sink for ZipSink<W> {
    fn put(
        &mut self,
        path: &str,
        compress: bool,
        fill: &mut dyn FnMut(&mut dyn Write) -> IncidentResult<()>,
    ) -> IncidentResult<()> {
        let method = if compress {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o600)
            .large_file(true);
        self.zip.start_file(path, options).map_err(zip_error)?;
        fill(&mut self.zip)
    }
}

/// The files written so far, with their SHA-256 and size, for the manifest.
pub(super) struct Builder {
    files: Vec<FileEntry>,
}

impl Builder {
    /// Writes one file and returns its manifest entry.
    pub(super) fn put(
        &mut self,
        sink: &mut dyn Sink,
        path: &str,
        role: Role,
        fill: &mut dyn FnMut(&mut dyn Write) -> IncidentResult<()>,
    ) -> IncidentResult<&FileEntry> {
        let mut sha = None;
        let mut size = 0;
        sink.put(path, role != Role::Attachment, &mut |w| {
            let mut h = Hashing {
                inner: w,
                ctx: digest::Context::new(&digest::SHA256),
                size: 0,
            };
            fill(&mut h)?;
            h.flush().map_err(io)?;
            size = h.size;
            sha = Some(hex::encode(h.ctx.finish()));
            Ok(())
        })?;
        self.files.push(FileEntry {
            path: path.to_string(),
            role,
            sha256: sha.ok_or(IncidentError::Bundle("a file was not written".into()))?,
            size,
        });
        self.files
            .last()
            .ok_or(IncidentError::Bundle("a file was not written".into()))
    }

    pub(super) fn put_bytes(
        &mut self,
        sink: &mut dyn Sink,
        path: &str,
        role: Role,
        bytes: &[u8],
    ) -> IncidentResult<()> {
        self.put(sink, path, role, &mut |w| w.write_all(bytes).map_err(io))
            .map(|_| ())
    }

    /// Writes a chain (`Role::Bundle` or `Role::Chain`) as the package's `n`th (from 1).
    pub(super) fn put_chain(
        &mut self,
        sink: &mut dyn Sink,
        n: usize,
        role: Role,
        bytes: &[u8],
    ) -> IncidentResult<()> {
        self.put_bytes(sink, &format!("bundles/device-{n}.json"), role, bytes)
    }

    /// Writes the server's receipt for the package's `n`th chain (from 1).
    pub(super) fn put_receipt(
        &mut self,
        sink: &mut dyn Sink,
        n: usize,
        anchor: &BundleAnchor,
    ) -> IncidentResult<()> {
        let bytes = serde_json::to_vec(anchor)
            .map_err(|_| IncidentError::Bundle("encoding failed".into()))?;
        let path = format!("receipts/device-{n}.json");
        self.put_bytes(sink, &path, Role::Receipt, &bytes)
    }

    /// Writes the plaintext of `incident`'s attachment `a`, which `fill` streams, unless
    /// the package already holds its file (one file per SHA-256, whichever incidents
    /// reference it). Refused with `AttachmentCorrupt` when the bytes are not the signed
    /// ones (size and SHA-256). Returns its manifest entry.
    pub(super) fn put_attachment(
        &mut self,
        sink: &mut dyn Sink,
        incident: &str,
        a: &AttachmentRef,
        fill: &mut dyn FnMut(&mut dyn Write) -> IncidentResult<()>,
    ) -> IncidentResult<AttachmentEntry> {
        let path = attachment_path(&a.sha256, &a.mime);
        if !self.has(&path) {
            let f = self.put(sink, &path, Role::Attachment, fill)?;
            if f.sha256 != a.sha256 || f.size != a.size {
                return Err(IncidentError::AttachmentCorrupt);
            }
        }
        Ok(AttachmentEntry {
            incident_id: incident.to_string(),
            attachment_id: a.id.clone(),
            sha256: a.sha256.clone(),
            size: a.size,
            mime: a.mime.clone(),
            path,
        })
    }

    fn has(&self, path: &str) -> bool {
        self.files.iter().any(|f| f.path == path)
    }

    pub(super) fn take_files(&mut self) -> Vec<FileEntry> {
        std::mem::take(&mut self.files)
    }
}

/// The attachment file's path in the package: named by its SHA-256, with the extension
/// of its MIME type.
fn attachment_path(sha256: &str, mime: &str) -> String {
    match manifest::extension(mime) {
        Some(ext) => format!("attachments/{sha256}.{ext}"),
        None => format!("attachments/{sha256}"),
    }
}

/// A device's package: its own chain as a signed bundle, teammates' chains as copies.
struct DevicePackage<'l, 'v> {
    log: &'l IncidentLog<'v>,
}

impl DevicePackage<'_, '_> {
    fn write(
        &self,
        b: &mut Builder,
        sink: &mut dyn Sink,
        scope: &ExportScope,
    ) -> IncidentResult<ManifestPayload> {
        let log = self.log;
        if !log.verify_chains(false)?.ok {
            return Err(IncidentError::Bundle(
                "the local log does not verify".into(),
            ));
        }
        let db = log.db()?;
        let own = db.device_id().to_string();
        // The incidents, and the device whose chain holds each one's report.
        let mut incidents: Vec<(String, String)> = Vec::new();
        match scope {
            ExportScope::All => log.each_page(&IncidentFilter::default(), |rows| {
                for r in rows {
                    incidents.push((r.incident_id.clone(), String::new()));
                }
                Ok(())
            })?,
            ExportScope::Incidents(ids) => {
                for id in ids {
                    incidents.push((id.clone(), String::new()));
                }
            }
        }
        for (id, device) in &mut incidents {
            *device = log.get(id)?.device_id;
        }
        incidents.sort();
        incidents.dedup();
        let mut devices: Vec<String> = incidents.iter().map(|(_, d)| d.clone()).collect();
        devices.retain(|d| *d != own);
        devices.sort();
        devices.dedup();
        devices.insert(0, own.clone());
        let entries = chain::all(db.conn())?;

        b.put_bytes(sink, "README.txt", Role::Readme, readme::TEXT.as_bytes())?;
        for (n, device) in devices.iter().enumerate() {
            let ids: Vec<String> = incidents
                .iter()
                .filter(|(_, d)| d == device)
                .map(|(i, _)| i.clone())
                .collect();
            let scope = ExportScope::Incidents(ids);
            let n = n + 1;
            if *device == own {
                let bytes = log.export_bundle(&scope)?;
                b.put_chain(sink, n, Role::Bundle, &bytes)?;
                let receipt = crate::incident::anchor::receipt(
                    db.conn(),
                    &own,
                    &db.device_key().public_key(),
                )?;
                if let Some(r) = receipt {
                    let anchor = BundleAnchor {
                        server_public_key: hex::encode(r.server_public_key),
                        receipt: r.receipt,
                    };
                    b.put_receipt(sink, n, &anchor)?;
                }
            } else {
                let key = chain::registered_key(db.conn(), device)?
                    .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
                    .ok_or(IncidentError::Bundle(
                        "a teammate's device key is not registered".into(),
                    ))?;
                let bytes = export::build_chain_copy(device, &key, &entries, &scope)?;
                b.put_chain(sink, n, Role::Chain, &bytes)?;
            }
        }
        let mut attachments = Vec::new();
        for (incident, _) in &incidents {
            for s in log.attachments(incident)? {
                let a = &s.attachment;
                attachments.push(b.put_attachment(sink, incident, a, &mut |w| {
                    log.read_signed_attachment(incident, &a.id, w).map(|_| ())
                })?);
            }
        }
        Ok(ManifestPayload {
            created_at: crate::incident::model::now(),
            maker: PackageMaker::Device,
            maker_id: own,
            public_key: hex::encode(db.device_key().public_key()),
            incidents: incidents.into_iter().map(|(i, _)| i).collect(),
            files: b.take_files(),
            attachments,
        })
    }
}

/// Is `path` a zip target (its name ends in `.zip`, any case)?
pub fn is_zip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Writes the evidence package of `scope` to `target`: one `.zip` file when its name ends
/// in `.zip`, else a new directory. An existing target is refused and left untouched.
pub fn export_package(
    log: &IncidentLog<'_>,
    scope: &ExportScope,
    target: &Path,
) -> IncidentResult<PackageSummary> {
    let device = DevicePackage { log };
    let db = log.db()?;
    write_package(target, db.device_key(), &mut |b, sink| {
        device.write(b, sink, scope)
    })
}

/// Writes a package to `target` (a `.zip` file or a new directory, nothing there until it
/// is complete): the files `content` writes, then the manifest signed by `key`.
pub(super) fn write_package(
    target: &Path,
    key: &DeviceKey,
    content: &mut dyn FnMut(&mut Builder, &mut dyn Sink) -> IncidentResult<ManifestPayload>,
) -> IncidentResult<PackageSummary> {
    if fs::symlink_metadata(target).is_ok() {
        return Err(IncidentError::ExportIo(io::ErrorKind::AlreadyExists));
    }
    let parent = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let zip = is_zip(target);
    let (payload, manifest_len) = if zip {
        let tmp = tempfile::Builder::new()
            .prefix(".vigil-package-")
            .suffix(".part")
            .tempfile_in(&parent)
            .map_err(io)?;
        let file = tmp.reopen().map_err(io)?;
        let (file, payload, manifest_len) = write_zip(file, key, content)?;
        file.sync_all().map_err(io)?;
        tmp.persist_noclobber(target).map_err(|e| io(e.error))?;
        (payload, manifest_len)
    } else {
        // Removed on drop unless kept.
        let tmp = tempfile::Builder::new()
            .prefix(".vigil-package-")
            .tempdir_in(&parent)
            .map_err(io)?;
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        let mut sink = DirSink {
            root: tmp.path().to_path_buf(),
        };
        let written = write_files(&mut sink, key, content)?;
        if fs::symlink_metadata(target).is_ok() {
            return Err(IncidentError::ExportIo(io::ErrorKind::AlreadyExists));
        }
        fs::rename(tmp.path(), target).map_err(io)?;
        let _ = tmp.keep();
        written
    };
    Ok(summary(
        target.to_string_lossy().into_owned(),
        zip,
        payload,
        manifest_len,
    ))
}

/// Writes a package as a zip archive into `out`: the files `content` writes, then the
/// manifest signed by `key`. Returns `out`, the manifest's payload and its size.
pub(super) fn write_zip<W: Write + Seek>(
    out: W,
    key: &DeviceKey,
    content: &mut dyn FnMut(&mut Builder, &mut dyn Sink) -> IncidentResult<ManifestPayload>,
) -> IncidentResult<(W, ManifestPayload, usize)> {
    let mut sink = ZipSink {
        zip: zip::ZipWriter::new(out),
    };
    let (payload, manifest_len) = write_files(&mut sink, key, content)?;
    let out = sink.zip.finish().map_err(zip_error)?;
    Ok((out, payload, manifest_len))
}

/// Writes into `sink` the files `content` writes, then the manifest signed by `key`.
/// Returns the manifest's payload and its size.
fn write_files(
    sink: &mut dyn Sink,
    key: &DeviceKey,
    content: &mut dyn FnMut(&mut Builder, &mut dyn Sink) -> IncidentResult<ManifestPayload>,
) -> IncidentResult<(ManifestPayload, usize)> {
    let mut builder = Builder { files: Vec::new() };
    let payload = content(&mut builder, sink)?;
    let bytes = serde_json::to_vec(&payload)
        .map_err(|_| IncidentError::Bundle("encoding failed".into()))?;
    let signature = key.sign(&manifest::signed_message(2, &bytes));
    let manifest_bytes = manifest::encode(&bytes, &signature);
    sink.put(manifest::MANIFEST, true, &mut |w| {
        w.write_all(&manifest_bytes).map_err(io)
    })?;
    Ok((payload, manifest_bytes.len()))
}

/// What a package holds, from its manifest.
pub(super) fn summary(
    path: String,
    zip: bool,
    payload: ManifestPayload,
    manifest_len: usize,
) -> PackageSummary {
    let mut attachment_files: Vec<&str> = payload
        .attachments
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    attachment_files.sort_unstable();
    attachment_files.dedup();
    PackageSummary {
        path,
        zip,
        chains: payload
            .files
            .iter()
            .filter(|f| matches!(f.role, Role::Bundle | Role::Chain))
            .count() as u32,
        attachments: attachment_files.len() as u32,
        files: payload.files.len() as u32 + 1,
        bytes: payload.files.iter().map(|f| f.size).sum::<u64>() + manifest_len as u64,
        incidents: payload.incidents,
    }
}
