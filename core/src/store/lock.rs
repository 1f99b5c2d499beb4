//! The store lock: an advisory `flock` on the store's directory, held by whoever changes
//! the key file (an unlock's counter, slots, the policy, a re-key, a wipe), so processes
//! and threads sharing a store take turns and never interleave a read-modify-write.
//!
//! Why the directory and `flock`: locking the directory itself needs no lock file, so it
//! works on a full disk and leaves nothing behind; `flock` (unlike POSIX `fcntl` locks)
//! belongs to the open file description, so two handles in one process exclude each
//! other too, and the kernel drops it when the holder dies (a SIGKILLed process never
//! strands the store). `rustix` gives a safe wrapper and is already in the tree (via
//! `tempfile`); std's `File::lock` needs Rust 1.89, above the workspace's 1.85.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::fs::{flock, FlockOperation};
use rustix::io::Errno;

use crate::error::{StoreError, StoreResult};

/// Held while alive; dropping it (or the process dying) releases the lock.
pub struct StoreLock {
    _dir: File,
}

impl StoreLock {
    /// Waits up to `wait` for the store in `dir`, then answers [`StoreError::Busy`].
    /// Never call it while already holding the lock on the same store: the second handle
    /// would wait for the first.
    pub fn acquire(dir: &Path, wait: Duration) -> StoreResult<StoreLock> {
        let handle = File::open(dir)?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(1);
        loop {
            match flock(&handle, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {
                    remove_stale_temporaries(dir);
                    return Ok(StoreLock { _dir: handle });
                }
                Err(e) if e == Errno::WOULDBLOCK || e == Errno::INTR => {
                    if Instant::now() >= deadline {
                        return Err(StoreError::Busy);
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(std::io::Error::from(e).into()),
            }
        }
    }
}

/// A key file replacement interrupted by a crash leaves its temporary file; only a lock
/// holder writes one, so under the lock any that exists is stale. Best effort.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if crate::keyfile::is_temporary_name(&name.to_string_lossy()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
