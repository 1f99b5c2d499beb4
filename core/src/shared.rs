//! The vault as the officer's calls and the sync engine share it: one lock, held only for
//! short sections. The sync engine borrows the store through it between requests
//! ([`crate::sync::StoreAccess`]) and never holds it across one, so a log, an answer or
//! a search on another thread waits at most for one short write of the sync.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{StoreError, StoreResult};
use crate::store::Database;
use crate::sync::StoreAccess;
use crate::vault::Vault;

/// A [`Vault`] shared between threads (cheap to clone: every clone is the same vault).
#[derive(Clone)]
pub struct SharedVault {
    inner: Arc<Shared>,
}

struct Shared {
    vault: Mutex<Vault>,
    sync: SyncGate,
}

/// One sync at a time per vault, and wakes that arrive while one runs (`crate::team`).
#[derive(Default)]
pub(crate) struct SyncGate {
    pub(crate) running: Mutex<()>,
    /// A wake arrived that no round has served yet.
    pub(crate) wanted: AtomicBool,
}

impl SharedVault {
    pub fn new(vault: Vault) -> SharedVault {
        SharedVault {
            inner: Arc::new(Shared {
                vault: Mutex::new(vault),
                sync: SyncGate::default(),
            }),
        }
    }

    /// The vault, for as long as the guard lives: keep it short (never across network
    /// I/O). A panic in an earlier holder leaves the vault usable: its state changes only
    /// after each step succeeds.
    pub fn lock(&self) -> MutexGuard<'_, Vault> {
        self.inner.vault.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the open database (`Locked` when the vault is locked or wiped).
    pub fn with_db<R>(&self, f: impl FnOnce(&mut Database) -> R) -> StoreResult<R> {
        let mut v = self.lock();
        Ok(f(v.db_mut()?))
    }

    pub(crate) fn sync_gate(&self) -> &SyncGate {
        &self.inner.sync
    }
}

impl StoreAccess for SharedVault {
    fn with_db_dyn(&mut self, f: &mut dyn FnMut(&mut Database)) -> Result<(), StoreError> {
        self.with_db(f)
    }
}
