//! For tests only (feature `test-support`, never on in the apps, the CLI or the server):
//! what a test needs to play an attacker or a corrupted disk, below the one write path.

use rusqlite::Connection;

use crate::crypto::KdfParams;
use crate::store::Database;
use crate::vault::KdfChoice;

/// A tiny Argon2id (64 KiB, one pass), asked for explicitly (`allow_weak`): a store opens
/// in milliseconds. Never for real data; the KDF's real cost is measured in `bench/`.
pub fn fast_kdf() -> KdfChoice {
    KdfChoice {
        params: KdfParams::Argon2id {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        allow_weak: true,
    }
}

/// The key file's format, to rewrite it as someone without the key could.
pub mod keyfile {
    pub use crate::keyfile::*;
}

/// The store's SQLCipher connection, to edit rows as someone holding the key (but not
/// using Vigil) could, or to read tables no API returns.
pub trait RawConnection {
    fn raw_connection(&self) -> &Connection;
}

impl RawConnection for Database {
    fn raw_connection(&self) -> &Connection {
        self.conn()
    }
}
