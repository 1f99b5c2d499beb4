//! The evidence package of a selection, made by the team server (docs/EVIDENCE.md,
//! "The team server's package"): the chain of every device that reported a selected
//! incident, exactly as the device signed and pushed it (each link checked again here),
//! the server's receipt for each chain, the attachments as stored (opened under the key
//! their device sent, checked against the signed SHA-256 on the way out), and a manifest
//! signed by the server's key that says the team server made it.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, Write};

use vigil_core::evidence::{export_server_package, PushedChain, ServerPackage};
use vigil_core::incident::canonical::ZERO_HASH;
use vigil_core::incident::chain::OUTBOX_KIND_ENTRY;
use vigil_core::incident::model::AttachmentRef;
use vigil_core::incident::{check_entry, IncidentError};
use vigil_core::sync::protocol::ChainReceipt;
use zeroize::Zeroizing;

use super::session::Current;
use super::view::{Filter, TeamView};
use super::ConsoleState;
use crate::error::ServerError;
use crate::Storage;

/// Changes read per page while collecting the chains.
const PAGE: u32 = 500;

/// The largest package the console builds (in memory: no attachment is written in the
/// clear to the server's disk). A larger selection is refused; select fewer incidents.
pub const MAX_PACKAGE_BYTES: u64 = 256 * 1024 * 1024;

/// What became of a package request.
pub(crate) enum Outcome {
    /// The zip file's bytes, and how many incidents it holds.
    Written(Vec<u8>, usize),
    /// Not written, for this reason (said to the user; nothing is left at the target).
    Refused(&'static str),
}

/// The package (a zip file) of the incidents `filter` selects. Only the signed-in user's
/// team is read, so no other team's incident can be in it. An empty selection, an
/// attachment not uploaded yet or a package over [`MAX_PACKAGE_BYTES`] is refused.
pub(crate) fn incidents_package(
    s: &ConsoleState,
    cur: &Current,
    filter: &Filter,
) -> Result<Outcome, ServerError> {
    let storage = s.ctx.storage.as_ref();
    let team = &cur.team.id;
    let view = s.views.get(storage, team)?;
    let selected: Vec<String> = view.filtered(filter).iter().map(|i| i.id.clone()).collect();
    if selected.is_empty() {
        return Ok(Outcome::Refused(
            "No incident matches the selection: there is nothing to package.",
        ));
    }
    let reporters: Vec<&str> = {
        let mut r: Vec<&str> = view
            .filtered(filter)
            .iter()
            .map(|i| i.device_id.as_str())
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    let server_key = s.ctx.server_key()?;
    let chains = pushed_chains(storage, team, &reporters, server_key)?;
    let package = ServerPackage {
        team_id: team,
        server_key,
        chains: &chains,
        incidents: &selected,
    };
    let mut read = |_incident: &str, a: &AttachmentRef, out: &mut dyn Write| {
        stream_attachment(storage, team, &view, a, out)
    };
    let out = Capped(io::Cursor::new(Vec::new()));
    match export_server_package(&package, &mut read, out) {
        Ok((out, _)) => Ok(Outcome::Written(out.0.into_inner(), selected.len())),
        Err(IncidentError::ExportIo(io::ErrorKind::FileTooLarge)) => Ok(Outcome::Refused(
            "The selection is too large for one package (over 256 MiB). Select fewer incidents.",
        )),
        Err(IncidentError::AttachmentNotDownloaded) => Ok(Outcome::Refused(
            "An attachment of the selection is not uploaded yet. Try again after the devices have synced.",
        )),
        Err(IncidentError::AttachmentCorrupt) => Ok(Outcome::Refused(
            "An attachment of the selection does not match its signed entry (its stored file \
             is damaged). Nothing was written.",
        )),
        Err(_) => Err(ServerError::Storage(
            "the evidence package could not be written".into(),
        )),
    }
}

/// The chains of `devices` (all of this team), every link checked again against the
/// device's enrolled key, with a receipt signed now over the anchored head.
fn pushed_chains(
    storage: &dyn Storage,
    team: &str,
    devices: &[&str],
    server_key: &vigil_core::crypto::signing::DeviceKey,
) -> Result<Vec<PushedChain>, ServerError> {
    let mut chains: BTreeMap<&str, PushedChain> = BTreeMap::new();
    for id in devices {
        let d = storage
            .device(id)?
            .filter(|d| d.team_id == team)
            .ok_or(ServerError::NotFound("device"))?;
        let key = <[u8; 32]>::try_from(d.public_key.as_slice())
            .map_err(|_| ServerError::Storage("malformed device key".into()))?;
        let head = storage
            .chain_head(id)?
            .ok_or(ServerError::Storage("no anchored chain".into()))?;
        chains.insert(
            id,
            PushedChain {
                device_id: d.id.clone(),
                public_key: key,
                entries: Vec::new(),
                receipt: ChainReceipt::signed(
                    &d.id,
                    Some(&key),
                    head.seq,
                    &head.hash,
                    head.anchored_ms,
                    server_key,
                ),
            },
        );
    }
    let mut cursor = 0u64;
    loop {
        let page = storage.pull(team, cursor, PAGE)?;
        for c in &page.changes {
            cursor = cursor.max(c.server_seq);
            if c.kind != OUTBOX_KIND_ENTRY {
                continue;
            }
            let Some(chain) = chains.get_mut(c.device_id.as_str()) else {
                continue;
            };
            let head = chain
                .entries
                .last()
                .map_or((0, ZERO_HASH), |e| (e.seq, e.hash));
            let e = check_entry(
                &c.payload,
                &c.device_id,
                &c.entity_id,
                &chain.public_key,
                head,
            )
            .map_err(|_| ServerError::Storage("a stored entry does not verify".into()))?;
            chain.entries.push(e);
        }
        if !page.has_more || page.changes.is_empty() {
            break;
        }
    }
    Ok(chains.into_values().collect())
}

/// Streams an attachment's plaintext: the sealed blob read range by range, opened under
/// the key its device sent for the team, checked against the signed reference.
fn stream_attachment(
    storage: &dyn Storage,
    team: &str,
    view: &TeamView,
    signed: &AttachmentRef,
    out: &mut dyn Write,
) -> Result<(), IncidentError> {
    let blob = view
        .attachments
        .get(&signed.id)
        .ok_or(IncidentError::AttachmentNotDownloaded)?;
    let state = storage
        .blob(team, &blob.blob.sha256)
        .ok()
        .flatten()
        .filter(|b| b.complete)
        .ok_or(IncidentError::AttachmentNotDownloaded)?;
    let key: Zeroizing<[u8; 32]> = Zeroizing::new(
        hex::decode(&blob.file_key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .ok_or(IncidentError::AttachmentCorrupt)?,
    );
    let mut sealed = BlobReader {
        storage,
        team,
        sha256: &blob.blob.sha256,
        pos: 0,
        size: state.size,
        buf: Vec::new(),
        at: 0,
    };
    vigil_core::incident::attachment::open_reader(&mut sealed, signed, &key, out)
}

/// The package in memory, refused past [`MAX_PACKAGE_BYTES`].
struct Capped(io::Cursor<Vec<u8>>);

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.position() + buf.len() as u64 > MAX_PACKAGE_BYTES {
            return Err(io::ErrorKind::FileTooLarge.into());
        }
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Capped {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

/// A stored blob as a reader, one range at a time.
struct BlobReader<'a> {
    storage: &'a dyn Storage,
    team: &'a str,
    sha256: &'a str,
    pos: u64,
    size: u64,
    buf: Vec<u8>,
    at: usize,
}

impl Read for BlobReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            if self.pos >= self.size {
                return Ok(0);
            }
            let len = (1u64 << 20).min(self.size - self.pos);
            self.buf = self
                .storage
                .blob_read(self.team, self.sha256, self.pos, len)
                .map_err(|_| io::Error::other("blob read"))?;
            if self.buf.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.pos += self.buf.len() as u64;
            self.at = 0;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
