//! For tests only (feature `test-support`, never on in the apps, the CLI or the server):
//! what a test needs to play an attacker or a corrupted disk, below the one write path.

use rusqlite::Connection;

use crate::store::Database;

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
