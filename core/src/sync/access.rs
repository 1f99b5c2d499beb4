//! How the engine reaches the store: in short critical sections, never across a request.
//!
//! The engine never holds the store while it talks to the server. It reads what it will
//! send in one short section ([`StoreAccess::with_db`]), posts it holding nothing, and
//! records the answer in another short write transaction. A store shared with the
//! officer's calls ([`crate::SharedVault`]) is locked only for those sections, so a log,
//! an answer or a search on another thread never waits for the network.
//!
//! Between two sections the store may have been locked, wiped or re-keyed. A locked or
//! wiped store fails the next section with [`StoreError::Locked`]; a store that is no
//! longer the one the sync started on (another device identity) fails the same way. The
//! answer that could not be recorded is asked again at the next sync, harmlessly: the
//! server answers `duplicate` for entries it already has, and a page not stored is pulled
//! again.

use std::sync::Arc;

use crate::clock::WallClock;
use crate::error::StoreError;
use crate::store::Database;
use crate::sync::error::SyncError;

/// Something that lends the engine the open database for one short section at a time.
///
/// Implemented by [`Database`] itself (a caller that owns the store exclusively: a test,
/// a benchmark) and by [`crate::SharedVault`] (the store shared with the officer's calls,
/// locked only for the section).
pub trait StoreAccess {
    /// Runs `f` on the open database. `Err(StoreError::Locked)` when the store is not
    /// open (locked, wiped) and `f` did not run.
    fn with_db_dyn(&mut self, f: &mut dyn FnMut(&mut Database)) -> Result<(), StoreError>;
}

impl StoreAccess for Database {
    fn with_db_dyn(&mut self, f: &mut dyn FnMut(&mut Database)) -> Result<(), StoreError> {
        f(self);
        Ok(())
    }
}

impl dyn StoreAccess + '_ {
    /// Runs `f` on the open database and returns what it returned.
    pub fn with_db<R>(&mut self, f: impl FnOnce(&mut Database) -> R) -> Result<R, StoreError> {
        let mut f = Some(f);
        let mut out = None;
        self.with_db_dyn(&mut |db| {
            if let Some(f) = f.take() {
                out = Some(f(db));
            }
        })?;
        out.ok_or(StoreError::Locked)
    }
}

/// One sync's hold on the store: the device it started on and that device's wall clock
/// (read without the store, to time the round trips).
pub(crate) struct Session<'a> {
    store: &'a mut dyn StoreAccess,
    device: String,
    wall: Arc<dyn WallClock>,
}

impl<'a> Session<'a> {
    pub(crate) fn open(store: &'a mut dyn StoreAccess) -> Result<Session<'a>, SyncError> {
        let (device, wall) =
            store.with_db(|db| (db.device_id().to_string(), db.clock().time().wall().clone()))?;
        Ok(Session {
            store,
            device,
            wall,
        })
    }

    /// The device this sync runs for.
    pub(crate) fn device(&self) -> &str {
        &self.device
    }

    /// This device's wall clock, read without the store.
    pub(crate) fn wall_ms(&self) -> u64 {
        self.wall.now_ms()
    }

    /// Runs `f` on the database in one short section, provided it is still the store the
    /// sync started on.
    pub(crate) fn with<R>(
        &mut self,
        f: impl FnOnce(&mut Database) -> Result<R, SyncError>,
    ) -> Result<R, SyncError> {
        let device = self.device.as_str();
        self.store.with_db(|db| {
            if db.device_id() != device {
                return Err(SyncError::Store(StoreError::Locked));
            }
            f(db)
        })?
    }
}
