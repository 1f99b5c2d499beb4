//! A Vigil store on disk: the key file plus the encrypted database, and their life cycle
//! (create, open, unlock, lock, key slots, re-key, duress, wipe).
//!
//! ```text
//! DIR/vigil.keys        key slots, failed-attempt counter, wipe policy
//! DIR/vigil.keys.next   only while a re-key is in flight
//! DIR/vigil.db          SQLCipher database (+ -wal, -shm)
//! DIR/attachments/      sealed attachment files
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::keys::{MasterKey, Purpose, SubKey};
use crate::crypto::{random, KdfParams};
use crate::error::{StoreError, StoreResult};
use crate::keyfile::{self, KeyFileBody, KeyWrapper, PassphraseKek, Slot, SlotKind, SlotRole};
use crate::store::lock::StoreLock;
use crate::store::{outbox, schema, Database, OutboxStatus, DEFAULT_WAIT};

#[derive(Clone, Debug)]
pub struct VaultPaths {
    pub dir: PathBuf,
    pub keys: PathBuf,
    pub keys_next: PathBuf,
    pub db: PathBuf,
    pub attachments: PathBuf,
}

impl VaultPaths {
    pub fn new(dir: &Path) -> Self {
        VaultPaths {
            dir: dir.to_path_buf(),
            keys: dir.join("vigil.keys"),
            keys_next: dir.join("vigil.keys.next"),
            db: dir.join("vigil.db"),
            attachments: dir.join("attachments"),
        }
    }

    fn db_sidecars(&self) -> [PathBuf; 3] {
        let base = self.db.as_os_str().to_owned();
        let with = |suffix: &str| {
            let mut s = base.clone();
            s.push(suffix);
            PathBuf::from(s)
        };
        [self.db.clone(), with("-wal"), with("-shm")]
    }
}

/// How a passphrase slot is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KdfChoice {
    pub params: KdfParams,
    /// Must be true to accept parameters below OWASP's minimum (tests, benchmarks).
    pub allow_weak: bool,
}

impl KdfChoice {
    fn checked(self) -> StoreResult<KdfParams> {
        self.params
            .check_bounds()
            .map_err(|_| StoreError::WeakKdf)?;
        if !self.allow_weak && !self.params.meets_minimum() {
            return Err(StoreError::WeakKdf);
        }
        Ok(self.params)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlotInfo {
    pub id: u32,
    pub kind: SlotKind,
    pub kdf: Option<KdfParams>,
    /// Known only while unlocked (the list lives in the encrypted database); a locked
    /// store, like an attacker holding the key file, cannot tell a duress slot apart.
    pub duress: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaultStatus {
    pub unlocked: bool,
    pub key_file_version: u32,
    pub schema_version: Option<u32>,
    pub slots: Vec<SlotInfo>,
    pub failed_attempts: u32,
    pub wipe_after: Option<u32>,
    pub outbox: Option<OutboxStatus>,
    pub device_id: Option<String>,
}

struct Session {
    master: MasterKey,
    db: Database,
}

enum State {
    Locked,
    Unlocked(Box<Session>),
    Wiped,
}

pub struct Vault {
    paths: VaultPaths,
    body: KeyFileBody,
    /// A re-key that was interrupted: its key file, staged beside the real one.
    pending: Option<KeyFileBody>,
    state: State,
    /// How long a change waits for another writer (store lock, SQLite) before `Busy`.
    wait: Duration,
}

enum Found {
    Master(MasterKey, bool),
    Duress(PassphraseKek, SlotKind),
}

impl Vault {
    /// Creates a store in `dir` (created if missing) with one passphrase slot, stacked on
    /// the platform key when one is given. Returns it unlocked.
    pub fn create(
        dir: &Path,
        passphrase: &[u8],
        kdf: KdfChoice,
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<Vault> {
        let params = kdf.checked()?;
        check_passphrase(passphrase)?;
        let kek = PassphraseKek::derive_new(passphrase, params)?;
        Self::create_with_kek(dir, &kek, platform)
    }

    fn create_with_kek(
        dir: &Path,
        kek: &PassphraseKek,
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<Vault> {
        let paths = VaultPaths::new(dir);
        fs::create_dir_all(dir)?;
        let _lock = StoreLock::acquire(dir, DEFAULT_WAIT)?;
        if paths.keys.exists() || paths.db.exists() {
            return Err(StoreError::AlreadyExists);
        }
        let master = MasterKey::generate()?;
        let store_id = random::bytes::<16>()?.to_vec();
        let mut body = KeyFileBody {
            store_id,
            slots: vec![],
            failed_attempts: 0,
            wipe_after: None,
            next_slot_id: 1,
        };
        let id = body.allocate_slot_id();
        body.slots.push(Slot::new_passphrase(
            id,
            &body.store_id,
            kek,
            SlotRole::Master,
            master.expose(),
            platform,
        )?);
        keyfile::write(&paths.keys, &body)?;
        let mut db = match Database::create(&paths.db, &db_key(&master, &body)?) {
            Ok(db) => db,
            Err(e) => {
                // Leave no half-made store behind.
                let _ = fs::remove_file(&paths.keys);
                return Err(e);
            }
        };
        fs::create_dir_all(&paths.attachments)?;
        db.set_attachments_dir(paths.attachments.clone());
        Ok(Vault {
            paths,
            body,
            pending: None,
            state: State::Unlocked(Box::new(Session { master, db })),
            wait: DEFAULT_WAIT,
        })
    }

    /// Opens the store in `dir`, locked. Reads only the key file.
    pub fn open(dir: &Path) -> StoreResult<Vault> {
        let paths = VaultPaths::new(dir);
        let body = match keyfile::read(&paths.keys) {
            Err(StoreError::NotFound) if paths.db.exists() => {
                return Err(StoreError::NotAStore {
                    what: "there is a database but no key file",
                })
            }
            other => other?,
        };
        let pending = if paths.keys_next.exists() {
            keyfile::read(&paths.keys_next).ok()
        } else {
            None
        };
        Ok(Vault {
            paths,
            body,
            pending,
            state: State::Locked,
            wait: DEFAULT_WAIT,
        })
    }

    /// How long a change waits for another process or thread writing the same store
    /// (the store lock, SQLite's busy timeout) before failing with `Busy`; 15 s unless set.
    pub fn set_wait(&mut self, wait: Duration) -> StoreResult<()> {
        self.wait = wait;
        if let State::Unlocked(s) = &self.state {
            s.db.set_wait(wait)?;
        }
        Ok(())
    }

    pub fn paths(&self) -> &VaultPaths {
        &self.paths
    }

    pub fn is_unlocked(&self) -> bool {
        matches!(self.state, State::Unlocked(_))
    }

    fn live(&self) -> StoreResult<()> {
        if matches!(self.state, State::Wiped) {
            Err(StoreError::Wiped)
        } else {
            Ok(())
        }
    }

    fn session(&self) -> StoreResult<&Session> {
        match &self.state {
            State::Unlocked(s) => Ok(s),
            State::Locked => Err(StoreError::Locked),
            State::Wiped => Err(StoreError::Wiped),
        }
    }

    /// The unlocked database.
    pub fn db(&self) -> StoreResult<&Database> {
        Ok(&self.session()?.db)
    }

    pub fn db_mut(&mut self) -> StoreResult<&mut Database> {
        match &mut self.state {
            State::Unlocked(s) => Ok(&mut s.db),
            State::Locked => Err(StoreError::Locked),
            State::Wiped => Err(StoreError::Wiped),
        }
    }

    /// A subkey of the master key for `purpose` (attachments, caches).
    pub fn subkey(&self, purpose: Purpose) -> StoreResult<SubKey> {
        Ok(self
            .session()?
            .master
            .derive(&self.body.store_id, purpose)?)
    }

    /// Unlocks with a passphrase (and the platform key, for stacked slots).
    ///
    /// Every passphrase slot's KDF runs on every attempt, whatever the outcome, so a
    /// right, wrong or duress passphrase cost the same. The failure counter is written
    /// before the check. A duress passphrase crypto-shreds the store and leaves a fresh,
    /// empty one unlocked in its place, indistinguishable to the caller.
    pub fn unlock_with_passphrase(
        &mut self,
        passphrase: &[u8],
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<()> {
        self.live()?;
        if self.is_unlocked() {
            return Ok(());
        }
        {
            // Counted before the check, under the store lock, on the key file as it is now
            // (another process may have changed it since this vault was opened).
            let (_lock, mut body) = self.fresh_body()?;
            body.failed_attempts = body.failed_attempts.saturating_add(1);
            keyfile::write(&self.paths.keys, &body)?;
            self.body = body;
        }

        let mut found: Option<Found> = None;
        let sources: Vec<(bool, &KeyFileBody)> = std::iter::once((false, &self.body))
            .chain(self.pending.as_ref().map(|p| (true, p)))
            .collect();
        for (is_pending, body) in sources {
            for slot in body.slots.iter().filter(|s| s.kind.uses_passphrase()) {
                let kek = slot.derive_kek(passphrase)?;
                if found.is_some() {
                    continue;
                }
                if let Some(p) = slot.open_with_kek(&body.store_id, &kek, platform)? {
                    found = Some(match p.role {
                        SlotRole::Master => {
                            Found::Master(MasterKey::from_bytes(&p.key)?, is_pending)
                        }
                        SlotRole::Duress => Found::Duress(
                            PassphraseKek {
                                kdf: slot.kdf.unwrap_or_default(),
                                salt: slot.salt.clone().unwrap_or_default(),
                                kek,
                            },
                            slot.kind,
                        ),
                    });
                }
            }
        }
        match found {
            Some(Found::Master(master, from_pending)) => self.finish_unlock(master, from_pending),
            Some(Found::Duress(kek, kind)) => {
                let platform = if kind.uses_platform() { platform } else { None };
                {
                    let _lock = StoreLock::acquire(&self.paths.dir, self.wait)?;
                    self.shred_files()?;
                }
                let mut fresh = Self::create_with_kek(&self.paths.dir, &kek, platform)?;
                fresh.set_wait(self.wait)?;
                *self = fresh;
                Ok(())
            }
            None => {
                if let Some(limit) = self.body.wipe_after {
                    if self.body.failed_attempts >= limit {
                        self.wipe(platform)?;
                        return Err(StoreError::WipedAfterFailedAttempts);
                    }
                    return Err(StoreError::WrongPassphrase {
                        attempts_left: Some(limit - self.body.failed_attempts),
                    });
                }
                Err(StoreError::WrongPassphrase {
                    attempts_left: None,
                })
            }
        }
    }

    /// Unlocks with the platform key alone (a `platform` slot).
    pub fn unlock_with_platform(&mut self, platform: &dyn KeyWrapper) -> StoreResult<()> {
        self.live()?;
        if self.is_unlocked() {
            return Ok(());
        }
        let sources: Vec<(bool, &KeyFileBody)> = std::iter::once((false, &self.body))
            .chain(self.pending.as_ref().map(|p| (true, p)))
            .collect();
        for (is_pending, body) in sources {
            for slot in body.slots.iter().filter(|s| s.kind == SlotKind::Platform) {
                if let Some(p) = slot.open_platform(&body.store_id, platform)? {
                    if p.role == SlotRole::Master {
                        let master = MasterKey::from_bytes(&p.key)?;
                        return self.finish_unlock(master, is_pending);
                    }
                }
            }
        }
        Err(StoreError::PlatformKeyRejected)
    }

    fn finish_unlock(&mut self, master: MasterKey, from_pending: bool) -> StoreResult<()> {
        let _lock = StoreLock::acquire(&self.paths.dir, self.wait)?;
        let body = if from_pending {
            self.pending.clone().ok_or(StoreError::KeyFileCorrupt)?
        } else {
            self.body.clone()
        };
        let mut db = match Database::open(&self.paths.db, &db_key(&master, &body)?) {
            Ok(db) => db,
            Err(StoreError::DatabaseCorrupt) if !from_pending && self.pending.is_some() => {
                // The re-key reached the database: only the new credentials open it now.
                return Err(StoreError::WrongPassphrase {
                    attempts_left: None,
                });
            }
            Err(e) => return Err(e),
        };
        if from_pending {
            fs::rename(&self.paths.keys_next, &self.paths.keys)?;
            sync_dir(&self.paths.dir)?;
        } else if self.pending.is_some() {
            fs::remove_file(&self.paths.keys_next)?;
        }
        self.pending = None;
        let mut body = keyfile::read(&self.paths.keys)?;
        body.failed_attempts = 0;
        keyfile::write(&self.paths.keys, &body)?;
        self.body = body;
        db.set_attachments_dir(self.paths.attachments.clone());
        db.set_wait(self.wait)?;
        self.state = State::Unlocked(Box::new(Session { master, db }));
        Ok(())
    }

    /// Closes the database and drops the keys from memory.
    pub fn lock(&mut self) -> StoreResult<()> {
        if let State::Unlocked(_) = self.state {
            if let State::Unlocked(s) = std::mem::replace(&mut self.state, State::Locked) {
                let Session { master, db } = *s;
                drop(master);
                db.close()?;
            }
        }
        Ok(())
    }

    pub fn status(&self) -> StoreResult<VaultStatus> {
        self.live()?;
        let (schema_version, outbox, device_id, duress) = match &self.state {
            State::Unlocked(s) => (
                Some(schema::current_version(s.db.conn())?),
                Some(outbox::status(s.db.conn())?),
                Some(s.db.device_id().to_string()),
                s.db.duress_slots()?,
            ),
            _ => (None, None, None, vec![]),
        };
        Ok(VaultStatus {
            unlocked: self.is_unlocked(),
            key_file_version: keyfile::KEYFILE_VERSION,
            schema_version,
            slots: self
                .body
                .slots
                .iter()
                .map(|s| SlotInfo {
                    id: s.id,
                    kind: s.kind,
                    kdf: s.kdf,
                    duress: duress.contains(&s.id),
                })
                .collect(),
            failed_attempts: self.body.failed_attempts,
            wipe_after: self.body.wipe_after,
            outbox,
            device_id,
        })
    }

    /// The store lock and the key file as it is on disk now: every change to the key file
    /// starts here, so concurrent writers never overwrite each other's changes.
    fn fresh_body(&self) -> StoreResult<(StoreLock, KeyFileBody)> {
        let lock = StoreLock::acquire(&self.paths.dir, self.wait)?;
        let body = keyfile::read(&self.paths.keys)?;
        Ok((lock, body))
    }

    /// Applies `change` to the key file under the store lock and writes it.
    fn update_body<T>(
        &mut self,
        change: impl FnOnce(&mut KeyFileBody) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let (_lock, mut body) = self.fresh_body()?;
        let out = change(&mut body)?;
        keyfile::write(&self.paths.keys, &body)?;
        self.body = body;
        Ok(out)
    }

    /// Adds a passphrase slot (stacked on the platform key when one is given).
    pub fn add_passphrase_slot(
        &mut self,
        passphrase: &[u8],
        kdf: KdfChoice,
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<u32> {
        let params = kdf.checked()?;
        check_passphrase(passphrase)?;
        let kek = PassphraseKek::derive_new(passphrase, params)?;
        let master = Zeroizing::new(*self.session()?.master.expose());
        self.update_body(|body| {
            let id = body.allocate_slot_id();
            let slot = Slot::new_passphrase(
                id,
                &body.store_id,
                &kek,
                SlotRole::Master,
                &master,
                platform,
            )?;
            body.slots.push(slot);
            Ok(id)
        })
    }

    /// Adds a slot that the platform key alone opens (biometric / device unlock).
    pub fn add_platform_slot(&mut self, platform: &dyn KeyWrapper) -> StoreResult<u32> {
        let master = Zeroizing::new(*self.session()?.master.expose());
        self.update_body(|body| {
            let id = body.allocate_slot_id();
            let slot = Slot::new_platform(id, &body.store_id, &master, platform)?;
            body.slots.push(slot);
            Ok(id)
        })
    }

    /// Sets the duress passphrase: entering it at unlock wipes the store and opens a fresh,
    /// empty one. On disk its slot looks like any passphrase slot. Uses the same KDF
    /// parameters as the first passphrase slot, so it costs the same to try.
    pub fn set_duress_passphrase(&mut self, passphrase: &[u8]) -> StoreResult<u32> {
        check_passphrase(passphrase)?;
        let session = self.session()?;
        let params = self
            .body
            .slots
            .iter()
            .find_map(|s| s.kdf)
            .unwrap_or_default();
        // Refuse a duress passphrase that already opens the store.
        for slot in self.body.slots.iter().filter(|s| s.kind.uses_passphrase()) {
            let kek = slot.derive_kek(passphrase)?;
            if slot
                .open_with_kek(&self.body.store_id, &kek, None)?
                .is_some()
            {
                return Err(StoreError::invalid(
                    "duress passphrase",
                    "must differ from every passphrase that opens the store",
                ));
            }
        }
        let kek = PassphraseKek::derive_new(passphrase, params)?;
        let decoy = random::bytes::<32>()?;
        let mut duress = session.db.duress_slots()?;
        let (_lock, mut body) = self.fresh_body()?;
        let id = body.allocate_slot_id();
        body.slots.push(Slot::new_passphrase(
            id,
            &body.store_id,
            &kek,
            SlotRole::Duress,
            &decoy,
            None,
        )?);
        duress.push(id);
        self.db()?.set_duress_slots(&duress)?;
        keyfile::write(&self.paths.keys, &body)?;
        self.body = body;
        Ok(id)
    }

    /// Removes a slot; refuses to remove the last one that opens the store.
    pub fn remove_slot(&mut self, id: u32) -> StoreResult<()> {
        let mut duress = self.db()?.duress_slots()?;
        self.update_body(|body| {
            body.slot(id)?;
            let remaining_openers = body
                .slots
                .iter()
                .filter(|s| s.id != id && !duress.contains(&s.id))
                .count();
            if remaining_openers == 0 {
                return Err(StoreError::LastSlot);
            }
            body.slots.retain(|s| s.id != id);
            Ok(())
        })?;
        if duress.contains(&id) {
            duress.retain(|d| *d != id);
            self.db()?.set_duress_slots(&duress)?;
        }
        Ok(())
    }

    /// Changes a passphrase by rewrapping the master key only (the database is untouched).
    pub fn change_passphrase(
        &mut self,
        old: &[u8],
        new: &[u8],
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<()> {
        check_passphrase(new)?;
        let session = self.session()?;
        let mut target = None;
        for slot in self.body.slots.iter().filter(|s| s.kind.uses_passphrase()) {
            let kek = slot.derive_kek(old)?;
            if target.is_none() {
                if let Some(p) = slot.open_with_kek(&self.body.store_id, &kek, platform)? {
                    if p.role == SlotRole::Master {
                        target = Some(slot.clone());
                    }
                }
            }
        }
        let Some(old_slot) = target else {
            return Err(StoreError::WrongPassphrase {
                attempts_left: None,
            });
        };
        let params = old_slot.kdf.unwrap_or_default();
        let kek = PassphraseKek::derive_new(new, params)?;
        let stacked = if old_slot.kind == SlotKind::PassphraseAndPlatform {
            Some(platform.ok_or_else(|| {
                StoreError::KeyWrapper("this slot also needs the platform key".into())
            })?)
        } else {
            None
        };
        let replacement = Slot::new_passphrase(
            old_slot.id,
            &self.body.store_id,
            &kek,
            SlotRole::Master,
            session.master.expose(),
            stacked,
        )?;
        self.update_body(|body| {
            for s in body.slots.iter_mut() {
                if s.id == old_slot.id {
                    *s = replacement.clone();
                }
            }
            Ok(())
        })
    }

    /// Wipe after `max_failed` consecutive failed unlocks (`None` turns the policy off).
    pub fn set_wipe_policy(&mut self, max_failed: Option<u32>) -> StoreResult<()> {
        self.session()?;
        if max_failed == Some(0) {
            return Err(StoreError::invalid("wipe policy", "must be at least 1"));
        }
        self.update_body(|body| {
            body.wipe_after = max_failed;
            Ok(())
        })
    }

    /// Suspected compromise: a new master key, the database re-encrypted under it
    /// (`PRAGMA rekey`), and every old slot replaced by one new passphrase slot.
    /// Crash-safe: the new key file is staged as `vigil.keys.next` before the database
    /// changes, and unlock finishes (or discards) a re-key that was interrupted.
    pub fn rekey(
        &mut self,
        new_passphrase: &[u8],
        kdf: KdfChoice,
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<()> {
        let params = kdf.checked()?;
        check_passphrase(new_passphrase)?;
        self.session()?;
        let kek = PassphraseKek::derive_new(new_passphrase, params)?;
        let master = MasterKey::generate()?;
        let (_lock, current) = self.fresh_body()?;
        let mut body = KeyFileBody {
            store_id: current.store_id.clone(),
            slots: vec![],
            failed_attempts: 0,
            wipe_after: current.wipe_after,
            next_slot_id: current.next_slot_id,
        };
        let id = body.allocate_slot_id();
        body.slots.push(Slot::new_passphrase(
            id,
            &body.store_id,
            &kek,
            SlotRole::Master,
            master.expose(),
            platform,
        )?);
        keyfile::write(&self.paths.keys_next, &body)?;
        let new_key = db_key(&master, &body)?;
        self.session()?.db.rekey(&new_key)?;
        self.session()?.db.set_duress_slots(&[])?;
        fs::rename(&self.paths.keys_next, &self.paths.keys)?;
        sync_dir(&self.paths.dir)?;
        self.body = body;
        if let State::Unlocked(s) = &mut self.state {
            s.master = master;
        }
        Ok(())
    }

    /// Panic wipe, in DESIGN.md's order: the platform key, the key file (overwritten,
    /// then deleted), then the database, its -wal and -shm, attachments and caches.
    /// Works locked or unlocked. Afterwards every call answers `Wiped`.
    pub fn wipe(&mut self, platform: Option<&dyn KeyWrapper>) -> StoreResult<()> {
        let mut first_err = None;
        if let Some(p) = platform {
            if let Err(e) = p.destroy() {
                first_err = Some(StoreError::KeyWrapper(e.0));
            }
        }
        let shredded =
            StoreLock::acquire(&self.paths.dir, self.wait).and_then(|_lock| self.shred_files());
        if let Err(e) = shredded {
            first_err.get_or_insert(e);
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn shred_files(&mut self) -> StoreResult<()> {
        // Close the database first so no handle rewrites what we shred.
        if let State::Unlocked(s) = std::mem::replace(&mut self.state, State::Wiped) {
            let Session { master, db } = *s;
            drop(master);
            drop(db);
        }
        self.state = State::Wiped;
        shred(&self.paths.keys, true)?;
        shred(&self.paths.keys_next, true)?;
        for p in self.paths.db_sidecars() {
            shred(&p, false)?;
        }
        if self.paths.attachments.exists() {
            for entry in fs::read_dir(&self.paths.attachments)? {
                let p = entry?.path();
                if p.is_file() {
                    shred(&p, false)?;
                }
            }
            fs::remove_dir_all(&self.paths.attachments)?;
        }
        Ok(())
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        let _ = self.lock();
    }
}

fn db_key(master: &MasterKey, body: &KeyFileBody) -> StoreResult<SubKey> {
    Ok(master.derive(&body.store_id, Purpose::Database)?)
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> StoreResult<()> {
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

fn check_passphrase(p: &[u8]) -> StoreResult<()> {
    if p.is_empty() {
        return Err(StoreError::invalid("passphrase", "must not be empty"));
    }
    Ok(())
}

/// Overwrites a file (random bytes for key material, zeros otherwise), syncs, deletes.
fn shred(path: &Path, random_fill: bool) -> StoreResult<()> {
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    {
        let mut f = fs::OpenOptions::new().write(true).open(path)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            if random_fill {
                random::fill(&mut buf[..n])?;
            }
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.sync_all()?;
    }
    fs::remove_file(path)?;
    Ok(())
}
