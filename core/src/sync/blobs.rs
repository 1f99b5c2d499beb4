//! Blobs: files that travel beside the changes that reference them (attachments).
//!
//! Protocol 3: the entry that references a blob is pushed first (text first) and the blob
//! follows once the text is through, in chunks sized to the link (at most [`BLOB_CHUNK`]
//! bytes); an upload cut off resumes where the server's copy ends (`status`). A server
//! that asks for the blobs first (`409 blob_missing`) gets them before the batch again. Downloads
//! run after the pull, in ranges of at most [`MAX_BLOB_RANGE`], into `<dest>.download`,
//! resuming from that file's length; a finished download is checked against the blob's
//! SHA-256 before it is moved into place. Memory use is one chunk, whatever the size.
//!
//! The engine knows nothing of what a blob holds: a [`BlobHost`] (the incident module's
//! attachments) says which outgoing entries need which local file, and which blobs the
//! pulled changes refer to.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ring::digest;
use rusqlite::{Connection, Transaction};

use crate::error::{StoreError, StoreResult};
use crate::store::Database;
use crate::sync::access::Session;
use crate::sync::answer::{classify, Answer, Failure};
use crate::sync::error::SyncError;
use crate::sync::protocol::{
    codes, encode_blob_put, paths, BlobOp, BlobRef, BlobRequest, BlobStatusReply, PushEntry,
    BLOB_CHUNK, MAX_BLOB_RANGE,
};
use crate::sync::transport::Transport;

/// A blob this device holds and an outgoing entry needs on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalBlob {
    pub blob: BlobRef,
    pub path: PathBuf,
    /// Already known to be whole on the server.
    pub uploaded: bool,
}

/// A blob a pulled change refers to that is not here yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WantedBlob {
    /// The host's name for it (an attachment id).
    pub key: String,
    pub blob: BlobRef,
    /// Where the finished file goes.
    pub dest: PathBuf,
}

/// Why an outgoing entry cannot go at all (it is then quarantined on the device, with
/// this reason, and a skip marker takes its place).
#[derive(Debug)]
pub enum OutgoingProblem {
    Unsendable(&'static str),
    Store(StoreError),
}

impl From<StoreError> for OutgoingProblem {
    fn from(e: StoreError) -> Self {
        OutgoingProblem::Store(e)
    }
}

impl From<rusqlite::Error> for OutgoingProblem {
    fn from(e: rusqlite::Error) -> Self {
        OutgoingProblem::Store(e.into())
    }
}

/// The domain side of blobs (one implementation: `incident::transfer::Attachments`).
pub trait BlobHost: Send + Sync {
    /// Completes the wire payload of an outgoing entry (e.g. adds what receivers need to
    /// open the blob) and names the local blob it needs on the server first, if any.
    fn outgoing(
        &self,
        db: &Database,
        entry: &mut PushEntry,
    ) -> Result<Option<LocalBlob>, OutgoingProblem>;
    /// The server holds `blob` whole.
    fn uploaded(&self, tx: &Transaction<'_>, blob: &BlobRef) -> StoreResult<()>;
    /// Local blobs whose records already went (protocol 3: record before blob) and that
    /// the server does not hold whole yet, oldest first.
    fn unsent(&self, db: &Database) -> StoreResult<Vec<LocalBlob>>;
    /// The upload of `blob`, whose record already went, is refused for good (the reason
    /// is shown to the officer; the blob is not tried again).
    fn upload_refused(&self, tx: &Transaction<'_>, blob: &BlobRef, reason: &str)
        -> StoreResult<()>;
    /// Blobs pulled changes refer to that are not here yet, oldest first.
    fn wanted(&self, db: &Database) -> StoreResult<Vec<WantedBlob>>;
    /// The blob was downloaded, verified and moved to `want.dest`.
    fn installed(&self, tx: &Transaction<'_>, want: &WantedBlob) -> StoreResult<()>;
    /// The download could not complete for a reason that is not transient (recorded for
    /// the officer to see; retried at the next sync).
    fn failed(&self, tx: &Transaction<'_>, want: &WantedBlob, reason: &str) -> StoreResult<()>;
    /// Blobs of queued entries not yet whole on the server, and blobs pulled changes refer
    /// to that are not here yet (for the status).
    fn counts(&self, conn: &Connection) -> StoreResult<BlobCounts>;
}

/// What the status shows of blobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobCounts {
    pub to_upload: u64,
    /// Bytes of the blobs still to upload.
    pub upload_bytes: u64,
    pub to_download: u64,
    /// Why uploads were refused for good, newest first (at most
    /// [`BLOCKED_UPLOADS_SHOWN`]); their records went, the files stay here.
    pub blocked_uploads: Vec<String>,
}

/// Most blocked uploads a status lists.
pub const BLOCKED_UPLOADS_SHOWN: u32 = 20;

/// How one blob transfer ended.
pub(crate) enum Transfer {
    Done,
    /// Not possible now for a reason tied to this blob (the local file is damaged, the
    /// server does not have it): the caller records it and goes on with the others.
    Refused(String),
    /// The server or the network failed: the caller stops the sync as it does for pushes.
    Failed(Failure),
    /// The server's answer made no sense.
    Malformed,
    /// The store could not be reached to sign or record (locked, wiped meanwhile).
    Store(SyncError),
    /// A download of a blob a teammate announced but has not uploaded whole yet
    /// (`409 blob_pending`): "coming", tried again at the next sync.
    Pending,
}

fn decode_reply(bytes: &[u8]) -> Option<BlobStatusReply> {
    serde_json::from_slice(bytes).ok()
}

/// A request signed under the device key, in one short section of the store (the key
/// stays there).
fn signed(
    s: &mut Session<'_>,
    op: BlobOp,
    blob: &BlobRef,
    offset: u64,
    length: u64,
    chunk_sha256: String,
) -> Result<BlobRequest, Transfer> {
    s.with(|db| {
        Ok(BlobRequest::signed(
            db.device_id(),
            op,
            blob,
            offset,
            length,
            chunk_sha256,
            db.now_ms(),
            db.device_key(),
        ))
    })
    .map_err(Transfer::Store)
}

fn status(
    t: &dyn Transport,
    s: &mut Session<'_>,
    blob: &BlobRef,
) -> Result<BlobStatusReply, Transfer> {
    let req = signed(s, BlobOp::Status, blob, 0, 0, String::new())?;
    let body = serde_json::to_vec(&req).map_err(|_| Transfer::Refused("cannot encode".into()))?;
    match classify(t.post(paths::BLOB_STATUS, body), s.wall_ms()) {
        Answer::Ok(b) => decode_reply(&b).ok_or(Transfer::Malformed),
        Answer::Failed(f) => Err(Transfer::Failed(f)),
    }
}

/// Uploads `local` from where the server's copy ends. Reads one chunk at a time, from the
/// file, without the store; the store is held only to sign each request.
pub(crate) fn upload(
    t: &dyn Transport,
    s: &mut Session<'_>,
    local: &LocalBlob,
    meter: &mut Meter,
) -> Transfer {
    match upload_inner(t, s, local, meter) {
        Ok(()) => Transfer::Done,
        Err(e) => e,
    }
}

fn upload_inner(
    t: &dyn Transport,
    s: &mut Session<'_>,
    local: &LocalBlob,
    meter: &mut Meter,
) -> Result<(), Transfer> {
    let blob = &local.blob;
    let mut file = match fs::File::open(&local.path) {
        Ok(f) => f,
        Err(_) => {
            return Err(Transfer::Refused(
                "attachment file missing on this device".into(),
            ))
        }
    };
    match file.metadata() {
        Ok(m) if m.len() == blob.size => {}
        _ => {
            return Err(Transfer::Refused(
                "attachment file damaged on this device".into(),
            ))
        }
    }
    if blob.size == 0 {
        return Err(Transfer::Refused(
            "attachment file empty on this device".into(),
        ));
    }
    let mut st = status(t, s, blob)?;
    let mut buf = vec![0u8; BLOB_CHUNK];
    let mut chunk = FIRST_CHUNK;
    // Each round either appends a chunk or learns where the server's copy ends; a server
    // that keeps disagreeing is a protocol failure, not an endless loop.
    let mut resyncs = 0;
    let mut restarts = 0;
    let mut stalls = 0;
    while !st.complete {
        // Trust the server's status when it makes sense. An incomplete copy that holds
        // every byte or more than the blob does not: ask again (a server settles a whole
        // blob on status), then start the blob again from zero (a put at offset 0 restarts
        // an incomplete copy). Never an empty or out-of-range chunk.
        let from = if st.received < blob.size {
            st.received
        } else if resyncs < MAX_RESYNCS {
            resyncs += 1;
            st = status(t, s, blob)?;
            continue;
        } else if restarts < MAX_RESTARTS {
            restarts += 1;
            resyncs = 0;
            0
        } else {
            return Err(Transfer::Refused(
                "the team server cannot complete this attachment".into(),
            ));
        };
        let want = usize::try_from((blob.size - from).min(chunk as u64)).unwrap_or(chunk);
        file.seek(SeekFrom::Start(from))
            .and_then(|_| file.read_exact(&mut buf[..want]))
            .map_err(|_| Transfer::Refused("attachment file unreadable on this device".into()))?;
        let bytes = &buf[..want];
        let chunk_sha = hex::encode(digest::digest(&digest::SHA256, bytes));
        let req = signed(s, BlobOp::Put, blob, from, want as u64, chunk_sha)?;
        let body = encode_blob_put(&req, bytes);
        let started = Instant::now();
        match classify(t.post_octets(paths::BLOB_PUT, body), s.wall_ms()) {
            Answer::Ok(b) => {
                st = decode_reply(&b).ok_or(Transfer::Malformed)?;
                if !st.complete && st.received <= from {
                    // Accepted but no further along: a server that keeps doing this is not
                    // taking the blob.
                    stalls += 1;
                    if stalls >= MAX_RESYNCS {
                        return Err(Transfer::Malformed);
                    }
                } else {
                    resyncs = 0;
                }
                let took = started.elapsed();
                meter.add(want as u64, took);
                chunk = next_chunk(want, took);
            }
            Answer::Failed(Failure::Refused { status: 409, body })
                if body.as_ref().is_some_and(|b| b.error == codes::BLOB_OFFSET)
                    && resyncs < MAX_RESYNCS =>
            {
                resyncs += 1;
                st = status(t, s, blob)?;
            }
            Answer::Failed(Failure::Refused { status: 400, body })
                if body
                    .as_ref()
                    .is_some_and(|b| b.error == codes::BLOB_MISMATCH) =>
            {
                // The server discarded what it had. If the file here is right, the bytes
                // were damaged on the way: send it again from zero, once.
                let intact = file_digest(&local.path)
                    .map(|(sha, size)| sha == blob.sha256 && size == blob.size)
                    .unwrap_or(false);
                if !intact || restarts >= MAX_RESTARTS {
                    return Err(Transfer::Refused(
                        "attachment file does not match its recorded digest".into(),
                    ));
                }
                restarts += 1;
                st.received = 0;
            }
            Answer::Failed(f) => return Err(Transfer::Failed(f)),
        }
    }
    Ok(())
}

/// First chunk of an upload; later ones follow the measured rate.
const FIRST_CHUNK: usize = BLOB_CHUNK;
/// Smallest chunk (a very slow link still makes progress in whole, verified chunks).
const MIN_CHUNK: usize = 16 * 1024;
/// Each chunk should take about this long at the rate the last one was sent: a cut loses
/// little, and no chunk comes near the transport's stall bound.
const CHUNK_SECONDS: f64 = 5.0;
/// Status requests in a row before the device stops trusting the server's copy.
const MAX_RESYNCS: u32 = 3;
/// Fresh starts of one blob within one upload before it is refused.
const MAX_RESTARTS: u32 = 2;

/// The next chunk size: what the last one's rate sends in [`CHUNK_SECONDS`], within
/// [`MIN_CHUNK`]..=[`BLOB_CHUNK`].
fn next_chunk(sent: usize, took: Duration) -> usize {
    let secs = took.as_secs_f64().max(0.001);
    let rate = sent as f64 / secs;
    ((rate * CHUNK_SECONDS) as usize).clamp(MIN_CHUNK, BLOB_CHUNK)
}

/// Bytes moved and the time they took, to estimate what is left.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Meter {
    pub bytes: u64,
    pub time: Duration,
}

impl Meter {
    fn add(&mut self, bytes: u64, time: Duration) {
        self.bytes += bytes;
        self.time += time;
    }

    /// Bytes per second, once something measurable moved.
    pub(crate) fn rate(&self) -> Option<u64> {
        let ms = self.time.as_millis();
        (self.bytes >= 16 * 1024 && ms > 0)
            .then(|| (self.bytes as u128 * 1000 / ms) as u64)
            .filter(|r| *r > 0)
    }
}

/// The temporary file a download of `dest` grows in.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".download");
    PathBuf::from(s)
}

/// Downloads `want` into `<dest>.download` from its current length, verifies the whole
/// file's SHA-256 and moves it to `dest`.
pub(crate) fn download(t: &dyn Transport, s: &mut Session<'_>, want: &WantedBlob) -> Transfer {
    match download_inner(t, s, want) {
        Ok(()) => Transfer::Done,
        Err(e) => e,
    }
}

fn io_refused(_: std::io::Error) -> Transfer {
    Transfer::Refused("cannot write the attachment on this device".into())
}

fn download_inner(
    t: &dyn Transport,
    s: &mut Session<'_>,
    want: &WantedBlob,
) -> Result<(), Transfer> {
    let blob = &want.blob;
    if let Some(dir) = want.dest.parent() {
        fs::create_dir_all(dir).map_err(io_refused)?;
    }
    let part = partial_path(&want.dest);
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&part)
        .map_err(io_refused)?;
    let mut have = file.metadata().map_err(io_refused)?.len();
    if have > blob.size {
        file.set_len(0).map_err(io_refused)?;
        have = 0;
    }
    while have < blob.size {
        let length = (blob.size - have).min(MAX_BLOB_RANGE);
        let req = signed(s, BlobOp::Get, blob, have, length, String::new())?;
        let body =
            serde_json::to_vec(&req).map_err(|_| Transfer::Refused("cannot encode".into()))?;
        match classify(t.post(paths::BLOB_GET, body), s.wall_ms()) {
            Answer::Ok(bytes) => {
                if bytes.is_empty() || bytes.len() as u64 > length {
                    return Err(Transfer::Malformed);
                }
                file.write_all(&bytes).map_err(io_refused)?;
                have += bytes.len() as u64;
            }
            Answer::Failed(Failure::Refused { status: 404, .. }) => {
                return Err(Transfer::Refused("not on the team server".into()));
            }
            Answer::Failed(Failure::Refused { status: 409, body })
                if body
                    .as_ref()
                    .is_some_and(|b| b.error == codes::BLOB_PENDING) =>
            {
                return Err(Transfer::Pending);
            }
            Answer::Failed(f) => return Err(Transfer::Failed(f)),
        }
    }
    file.sync_all().map_err(io_refused)?;
    drop(file);
    let (sha, size) = file_digest(&part).map_err(io_refused)?;
    if sha != blob.sha256 || size != blob.size {
        let _ = fs::remove_file(&part);
        return Err(Transfer::Refused(
            "downloaded attachment failed its integrity check".into(),
        ));
    }
    fs::rename(&part, &want.dest).map_err(io_refused)?;
    Ok(())
}

/// SHA-256 (hex) and size of a file, streamed.
pub fn file_digest(path: &Path) -> std::io::Result<(String, u64)> {
    crate::crypto::hash::stream(&mut fs::File::open(path)?)
}
