//! Sealed attachment files (photos, audio, documents).
//!
//! Each file is named by a random id and sealed under its own random 256-bit key (kept
//! in the encrypted database) with AES-256-GCM in chunks of 64 KiB of plaintext:
//!
//! * nonce of chunk i = 4 zero bytes || u64be(i)  (unique: one key per file)
//! * AAD of chunk i   = "VIGIL-ATTACHMENT-V1" || file id (32 ASCII hex) || u64be(i)
//!   || last flag (1 byte: 1 for the final chunk, 0 otherwise)
//! * file = chunk_0 || chunk_1 || ... each `ciphertext || 16-byte tag`; every chunk but
//!   the last holds exactly 64 KiB of plaintext, the last 1..=64 KiB.
//!
//! So a flipped byte fails its chunk's tag; swapped or reordered chunks fail by index;
//! a cut at a chunk boundary fails because the new final chunk was sealed as not-last;
//! appended data fails because the old final chunk was sealed as last. On top, the
//! plaintext's size and SHA-256 (which the entries sign) are checked at the end.
//! Streaming in both directions: memory use is two chunks, whatever the file size.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ring::aead::NONCE_LEN;
use ring::digest;
use zeroize::Zeroizing;

use super::error::{IncidentError, IncidentResult};
use super::model::AttachmentRef;
use crate::crypto::aead::{open_with_nonce, seal_with_nonce, TAG_LEN};
use crate::crypto::random;

pub const CHUNK: usize = 64 * 1024;
const AAD_DOMAIN: &[u8] = b"VIGIL-ATTACHMENT-V1";

fn nonce(index: u64) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[NONCE_LEN - 8..].copy_from_slice(&index.to_be_bytes());
    n
}

fn aad(id: &str, index: u64, last: bool) -> Vec<u8> {
    let mut a = Vec::with_capacity(AAD_DOMAIN.len() + id.len() + 9);
    a.extend_from_slice(AAD_DOMAIN);
    a.extend_from_slice(id.as_bytes());
    a.extend_from_slice(&index.to_be_bytes());
    a.push(u8::from(last));
    a
}

fn io(e: std::io::Error) -> IncidentError {
    IncidentError::AttachmentIo(e.kind())
}

/// Reads until `buf` is full or the source ends; returns the bytes read.
fn fill(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

pub(crate) fn path(dir: &Path, id: &str) -> PathBuf {
    dir.join(id)
}

/// A sealed file written to disk, not yet recorded in the database.
pub(crate) struct Sealed {
    pub reference: AttachmentRef,
    pub key: Zeroizing<[u8; 32]>,
    pub path: PathBuf,
    /// SHA-256 (hex) and size of the sealed file: how sync names it.
    pub blob_sha256: String,
    pub blob_size: u64,
}

/// Seals `src` into a new file in `dir`. Refuses an empty source (and leaves no file).
pub(crate) fn seal(
    dir: &Path,
    src: &mut dyn Read,
    mime: &str,
    captured_at: Option<DateTime<Utc>>,
) -> IncidentResult<Sealed> {
    let id = hex::encode(random::bytes::<16>()?);
    let key = Zeroizing::new(random::bytes::<32>()?);
    let mut cur = Zeroizing::new(vec![0u8; CHUNK]);
    let mut next = Zeroizing::new(vec![0u8; CHUNK]);
    let mut n = fill(src, &mut cur).map_err(io)?;
    if n == 0 {
        return Err(IncidentError::AttachmentEmpty);
    }
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    let final_path = path(dir, &id);
    let part = dir.join(format!("{id}.part"));
    let result = (|| -> IncidentResult<(u64, [u8; 32], String, u64)> {
        let file = {
            use std::os::unix::fs::OpenOptionsExt;
            fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&part)
                .map_err(io)?
        };
        let mut out = std::io::BufWriter::new(file);
        let mut hasher = digest::Context::new(&digest::SHA256);
        let mut sealed_hasher = digest::Context::new(&digest::SHA256);
        let mut sealed_size = 0u64;
        let mut size = 0u64;
        let mut buf = Zeroizing::new(Vec::with_capacity(CHUNK + TAG_LEN));
        let mut index = 0u64;
        loop {
            let m = if n == CHUNK {
                fill(src, &mut next).map_err(io)?
            } else {
                0
            };
            let last = m == 0;
            hasher.update(&cur[..n]);
            size += n as u64;
            buf.clear();
            buf.extend_from_slice(&cur[..n]);
            seal_with_nonce(&key, nonce(index), &aad(&id, index, last), &mut buf)?;
            sealed_hasher.update(&buf);
            sealed_size += buf.len() as u64;
            out.write_all(&buf).map_err(io)?;
            if last {
                break;
            }
            std::mem::swap(&mut cur, &mut next);
            n = m;
            index += 1;
        }
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        let sha = crate::crypto::hash::finish(hasher);
        Ok((size, sha, hex::encode(sealed_hasher.finish()), sealed_size))
    })();
    let (size, sha, blob_sha256, blob_size) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = fs::remove_file(&part);
            return Err(e);
        }
    };
    if let Err(e) = fs::rename(&part, &final_path) {
        let _ = fs::remove_file(&part);
        return Err(io(e));
    }
    Ok(Sealed {
        reference: AttachmentRef {
            id,
            sha256: hex::encode(sha),
            mime: mime.to_string(),
            size,
            captured_at,
        },
        key,
        path: final_path,
        blob_sha256,
        blob_size,
    })
}

/// Opens the sealed file of `reference` into `out`, chunk by chunk. On any error the
/// caller must discard what was written so far (write to a temporary file, then move).
pub(crate) fn open(
    dir: &Path,
    reference: &AttachmentRef,
    key: &[u8; 32],
    out: &mut dyn Write,
) -> IncidentResult<()> {
    let mut src = match fs::File::open(path(dir, &reference.id)) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(IncidentError::AttachmentCorrupt)
        }
        Err(e) => return Err(io(e)),
    };
    open_reader(&mut src, reference, key, out)
}

/// Opens a sealed file read from `src` (the team server holds attachments as blobs, not
/// files) into `out`, with every check of [`open`]: each chunk's tag, order and end, then
/// the plaintext's size and the SHA-256 the entry signed. On any error the caller must
/// discard what was written so far.
pub fn open_reader(
    src: &mut dyn Read,
    reference: &AttachmentRef,
    key: &[u8; 32],
    out: &mut dyn Write,
) -> IncidentResult<()> {
    let block = CHUNK + TAG_LEN;
    let mut cur = Zeroizing::new(vec![0u8; block]);
    let mut next = Zeroizing::new(vec![0u8; block]);
    let mut n = fill(src, &mut cur).map_err(io)?;
    let mut hasher = digest::Context::new(&digest::SHA256);
    let mut size = 0u64;
    let mut index = 0u64;
    loop {
        if n <= TAG_LEN {
            return Err(IncidentError::AttachmentCorrupt);
        }
        let m = if n == block {
            fill(src, &mut next).map_err(io)?
        } else {
            0
        };
        let last = m == 0;
        let len = open_with_nonce(
            key,
            nonce(index),
            &aad(&reference.id, index, last),
            &mut cur[..n],
        )
        .map_err(|_| IncidentError::AttachmentCorrupt)?;
        hasher.update(&cur[..len]);
        size += len as u64;
        out.write_all(&cur[..len]).map_err(io)?;
        if last {
            break;
        }
        std::mem::swap(&mut cur, &mut next);
        n = m;
        index += 1;
    }
    out.flush().map_err(io)?;
    if size != reference.size || hex::encode(hasher.finish()) != reference.sha256 {
        return Err(IncidentError::AttachmentCorrupt);
    }
    Ok(())
}

/// A buffer that refuses to grow past its cap (`FileTooLarge`): memory stays bounded even
/// if a stored file were longer than its signed size.
pub(crate) struct CappedBuf {
    bytes: Vec<u8>,
    cap: usize,
}

impl CappedBuf {
    pub(crate) fn new(cap: u64) -> Self {
        CappedBuf {
            bytes: Vec::new(),
            cap: usize::try_from(cap).unwrap_or(usize::MAX),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl Write for CappedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.cap {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
