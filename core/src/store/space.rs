//! Free space and the reserve: what keeps a full phone usable (issue 20).
//!
//! Reading never needs free space: the failed-attempt counter is rewritten in place in
//! the key file, and a database that cannot get room for SQLite's shared-memory index
//! (`-shm`) is opened in exclusive locking mode, which keeps that index in memory.
//! Writing does need space. `vigil.reserve`, a file of zeros beside the database, keeps
//! [`RESERVE_BYTES`] back for the one write an officer must be able to make on a full
//! phone, a quick log: before one, if the volume has less than [`QUICK_LOG_ROOM`] free,
//! that much is released from the reserve. Other writes never touch it and fail with
//! `DiskFull`. Whenever the store is locked the reserve is topped up again from free
//! space (so what a quick log needed only while writing, WAL frames, comes back).

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::StoreResult;

/// The reserve's full size.
pub const RESERVE_BYTES: u64 = 512 * 1024;
/// Free space a quick log needs while it writes (WAL frames, the checkpoint).
pub const QUICK_LOG_ROOM: u64 = 160 * 1024;
/// Below this much free space the apps warn that the phone is filling up.
pub const LOW_SPACE_BYTES: u64 = 64 * 1024 * 1024;
const STEP: usize = 64 * 1024;

/// Free space on the store's volume, for the apps' "phone almost full" warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StorageStatus {
    /// Bytes this process can still write on the store's volume.
    pub available_bytes: u64,
    /// Bytes kept back in the reserve for quick logs.
    pub reserve_bytes: u64,
    /// True below [`LOW_SPACE_BYTES`]: time to free space, before logging fails.
    pub low: bool,
}

/// Bytes available to an unprivileged writer on the volume holding `dir`.
pub fn available(dir: &Path) -> StoreResult<u64> {
    let st = rustix::fs::statvfs(dir).map_err(std::io::Error::from)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

pub fn status(dir: &Path, reserve: &Path) -> StoreResult<StorageStatus> {
    let available_bytes = available(dir)?;
    let reserve_bytes = fs::metadata(reserve).map(|m| m.len()).unwrap_or(0);
    Ok(StorageStatus {
        available_bytes,
        reserve_bytes,
        low: available_bytes < LOW_SPACE_BYTES,
    })
}

/// Grows the reserve back towards [`RESERVE_BYTES`] from free space, in whole steps of
/// real (not sparse) zeros. Best effort: a full disk just leaves it as it is.
pub fn top_up(reserve: &Path) {
    let Ok(mut f) = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(reserve)
    else {
        return;
    };
    let Ok(mut len) = f.metadata().map(|m| m.len()) else {
        return;
    };
    let zeros = [0u8; STEP];
    while len < RESERVE_BYTES {
        let n = (RESERVE_BYTES - len).min(STEP as u64) as usize;
        if f.write_all(&zeros[..n]).is_err() {
            // Whatever part of this step did not fit is cut off again.
            let _ = f.set_len(len);
            break;
        }
        len += n as u64;
    }
    let _ = f.sync_all();
}

/// Makes at least `need` bytes free on `dir`'s volume by shrinking the reserve, as far
/// as the reserve goes. Returns how much it released.
pub fn release(dir: &Path, reserve: &Path, need: u64) -> StoreResult<u64> {
    let free = available(dir)?;
    if free >= need {
        return Ok(0);
    }
    let len = match fs::metadata(reserve) {
        Ok(m) => m.len(),
        Err(_) => return Ok(0),
    };
    let cut = (need - free).min(len);
    let f = fs::OpenOptions::new().write(true).open(reserve)?;
    f.set_len(len - cut)?;
    f.sync_all()?;
    Ok(cut)
}
