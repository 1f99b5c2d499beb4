//! A Vigil store on disk: the key file plus the encrypted database, and their life cycle
//! (create, open, unlock, lock, key slots, re-key, duress, wipe).
//!
//! ```text
//! DIR/vigil.keys        key slots, failed-attempt counter, wipe policy
//! DIR/vigil.keys.next   only while a re-key is in flight
//! DIR/vigil.db          SQLCipher database (+ -wal, -shm)
//! DIR/attachments/      sealed attachment files
//! DIR/vigil.reserve     zeros: space kept back for quick logs on a full disk
//! ```
//!
//! The directory and `attachments/` are 0700, every file 0600, whatever the umask:
//! created so, and put right at every unlock for stores made by older releases.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::keys::{MasterKey, Purpose, SubKey};
use crate::crypto::{random, KdfParams};
use crate::error::{StoreError, StoreResult};
use crate::keyfile::{
    self, KeyFile, KeyFileBody, KeyWrapper, PassphraseKek, Slot, SlotKind, SlotRole,
};
use crate::store::lock::StoreLock;
use crate::store::space::{self, StorageStatus};
use crate::store::{outbox, schema, Database, OutboxStatus, DEFAULT_WAIT};

#[derive(Clone, Debug)]
pub struct VaultPaths {
    pub dir: PathBuf,
    pub keys: PathBuf,
    pub keys_next: PathBuf,
    pub db: PathBuf,
    pub attachments: PathBuf,
    /// Space kept back for quick logs on a full disk (`store::space`).
    pub reserve: PathBuf,
}

impl VaultPaths {
    pub fn new(dir: &Path) -> Self {
        VaultPaths {
            dir: dir.to_path_buf(),
            keys: dir.join("vigil.keys"),
            keys_next: dir.join("vigil.keys.next"),
            db: dir.join("vigil.db"),
            attachments: dir.join("attachments"),
            reserve: dir.join("vigil.reserve"),
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SlotInfo {
    pub id: u32,
    pub kind: SlotKind,
    pub kdf: Option<KdfParams>,
    /// Known only while unlocked (the list lives in the encrypted database); a locked
    /// store, like an attacker holding the key file, cannot tell a duress slot apart.
    pub duress: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VaultStatus {
    pub unlocked: bool,
    pub key_file_version: u32,
    pub schema_version: Option<u32>,
    pub slots: Vec<SlotInfo>,
    pub failed_attempts: u32,
    pub wipe_after: Option<u32>,
    pub outbox: Option<OutboxStatus>,
    pub device_id: Option<String>,
    /// Free space on the store's volume (`None` if the system would not say).
    pub storage: Option<StorageStatus>,
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
    /// The key file as last read or written by this handle.
    kf: KeyFile,
    /// A re-key that was interrupted: its key file, staged beside the real one.
    pending: Option<KeyFile>,
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
        let kek = new_kek(passphrase, kdf)?;
        Self::create_with_kek(dir, &kek, platform)
    }

    fn create_with_kek(
        dir: &Path,
        kek: &PassphraseKek,
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<Vault> {
        let paths = VaultPaths::new(dir);
        fs::create_dir_all(dir)?;
        set_mode(dir, 0o700)?;
        let _lock = StoreLock::acquire(dir, DEFAULT_WAIT)?;
        if paths.keys.exists() || paths.db.exists() {
            return Err(StoreError::AlreadyExists);
        }
        let master = MasterKey::generate()?;
        let store_id = random::bytes::<16>()?.to_vec();
        let mut body = KeyFileBody {
            store_id,
            slots: vec![],
            next_slot_id: 1,
        };
        body.add_passphrase_slot(kek, SlotRole::Master, master.expose(), platform)?;
        let mut kf = KeyFile::new(body);
        sign_policy(&mut kf, &master)?;
        keyfile::write(&paths.keys, &kf)?;
        let created = Database::create(&paths.db, &db_key(&master, &kf.body)?).and_then(|db| {
            db.set_key_file_format(keyfile::KEYFILE_VERSION)
                .map(|()| db)
        });
        let mut db = match created {
            Ok(db) => db,
            Err(e) => {
                // Leave no half-made store behind.
                let _ = fs::remove_file(&paths.keys);
                for p in paths.db_sidecars() {
                    let _ = fs::remove_file(p);
                }
                return Err(e);
            }
        };
        fs::create_dir_all(&paths.attachments)?;
        set_mode(&paths.attachments, 0o700)?;
        space::top_up(&paths.reserve);
        db.set_attachments_dir(paths.attachments.clone());
        Ok(Vault {
            paths,
            kf,
            pending: None,
            state: State::Unlocked(Box::new(Session { master, db })),
            wait: DEFAULT_WAIT,
        })
    }

    /// Opens the store in `dir`, locked. Reads only the key file.
    pub fn open(dir: &Path) -> StoreResult<Vault> {
        let paths = VaultPaths::new(dir);
        let kf = match keyfile::read(&paths.keys) {
            Err(StoreError::NotFound) if paths.db.exists() => {
                return Err(StoreError::NotAStore {
                    what: "there is a database but no key file".into(),
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
            kf,
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
            .derive(&self.kf.body.store_id, purpose)?)
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
        self.unlock_passphrase(passphrase, platform, None)
    }

    /// After [`StoreError::PolicyTampered`]: unlocks with the passphrase and puts in the
    /// wipe policy the owner confirms (`None`: off), authenticated again. Otherwise the
    /// same as [`Vault::unlock_with_passphrase`] (a wrong passphrase counts as usual).
    pub fn unlock_confirming_policy(
        &mut self,
        passphrase: &[u8],
        platform: Option<&dyn KeyWrapper>,
        wipe_after: Option<u32>,
    ) -> StoreResult<()> {
        if wipe_after == Some(0) {
            return Err(StoreError::invalid("wipe policy", "must be at least 1"));
        }
        self.unlock_passphrase(passphrase, platform, Some(wipe_after))
    }

    fn unlock_passphrase(
        &mut self,
        passphrase: &[u8],
        platform: Option<&dyn KeyWrapper>,
        confirm: Option<Option<u32>>,
    ) -> StoreResult<()> {
        self.live()?;
        if self.is_unlocked() {
            return Ok(());
        }
        self.count_attempt()?;

        let mut found: Option<Found> = None;
        let sources: Vec<(bool, &KeyFileBody)> = std::iter::once((false, &self.kf.body))
            .chain(self.pending.as_ref().map(|p| (true, &p.body)))
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
            Some(Found::Master(master, from_pending)) => {
                self.finish_unlock(master, from_pending, confirm)
            }
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
                let attempts_left = self.kf.attempts.left();
                if attempts_left == Some(0) {
                    self.wipe(platform)?;
                    return Err(StoreError::WipedAfterFailedAttempts);
                }
                Err(StoreError::WrongPassphrase { attempts_left })
            }
        }
    }

    /// Unlocks with the platform key alone (a `platform` slot).
    pub fn unlock_with_platform(&mut self, platform: &dyn KeyWrapper) -> StoreResult<()> {
        self.live()?;
        if self.is_unlocked() {
            return Ok(());
        }
        let sources: Vec<(bool, &KeyFileBody)> = std::iter::once((false, &self.kf.body))
            .chain(self.pending.as_ref().map(|p| (true, &p.body)))
            .collect();
        for (is_pending, body) in sources {
            for slot in body.slots.iter().filter(|s| s.kind == SlotKind::Platform) {
                if let Some(p) = slot.open_platform(&body.store_id, platform)? {
                    if p.role == SlotRole::Master {
                        let master = MasterKey::from_bytes(&p.key)?;
                        return self.finish_unlock(master, is_pending, None);
                    }
                }
            }
        }
        Err(StoreError::PlatformKeyRejected)
    }

    /// Counts an unlock attempt before it is checked, under the store lock, on the key
    /// file as it is now (another process may have changed it since this handle read it).
    /// In place, in bytes the key file already owns: a full disk neither blocks an unlock
    /// nor lets an attempt go uncounted.
    fn count_attempt(&mut self) -> StoreResult<()> {
        let (_lock, mut kf) = self.fresh()?;
        kf.attempts.count_attempt();
        keyfile::write_attempts(&self.paths.keys, &kf)?;
        self.kf = kf;
        Ok(())
    }

    /// A slot opened: the attempt is a success, whatever the database then says (a
    /// damaged database must not count against the owner). Checks the policy's tag,
    /// resets the counter, upgrades a format 1 key file, then opens the database.
    fn finish_unlock(
        &mut self,
        master: MasterKey,
        from_pending: bool,
        confirm: Option<Option<u32>>,
    ) -> StoreResult<()> {
        let lock = StoreLock::acquire(&self.paths.dir, self.wait)?;
        if let Some(pending) = self.pending.clone() {
            // An interrupted re-key: the database is under the old key or the new one.
            let key = if from_pending {
                db_key(&master, &pending.body)?
            } else {
                db_key(&master, &self.kf.body)?
            };
            match Database::probe(&self.paths.db, &key) {
                Ok(()) => {}
                Err(StoreError::DatabaseCorrupt) if !from_pending => {
                    // The re-key reached the database: only the new credentials open it.
                    return Err(StoreError::WrongPassphrase {
                        attempts_left: self.kf.attempts.left(),
                    });
                }
                Err(e) => return Err(e),
            }
            if from_pending {
                fs::rename(&self.paths.keys_next, &self.paths.keys)?;
            } else {
                fs::remove_file(&self.paths.keys_next)?;
            }
            sync_dir(&self.paths.dir)?;
            self.pending = None;
        }
        let mut kf = keyfile::read(&self.paths.keys)?;
        if kf.version >= 2 && confirm.is_none() && !verify_policy(&kf, &master)? {
            return Err(StoreError::PolicyTampered);
        }
        if let Some(wipe_after) = confirm {
            kf.attempts.wipe_after = wipe_after;
        }
        kf.attempts.reset();
        if kf.version >= 2 {
            sign_policy(&mut kf, &master)?;
        }
        keyfile::write_attempts(&self.paths.keys, &kf)?;
        self.kf = kf;
        drop(lock);

        self.make_private();
        let mut db = Database::open(&self.paths.db, &db_key(&master, &self.kf.body)?)?;
        if self.kf.version < 2 {
            self.upgrade_key_file(&db, &master, confirm.is_some())?;
        }
        db.set_attachments_dir(self.paths.attachments.clone());
        db.set_wait(self.wait)?;
        self.state = State::Unlocked(Box::new(Session { master, db }));
        Ok(())
    }

    /// Format 1 to 2, at the first successful unlock: the policy gets its tag. The
    /// database remembers the upgrade, so a key file put back to format 1 (whose policy
    /// nothing authenticates) is refused as tampered rather than trusted. On a full disk
    /// the upgrade waits for the next unlock.
    fn upgrade_key_file(
        &mut self,
        db: &Database,
        master: &MasterKey,
        confirmed: bool,
    ) -> StoreResult<()> {
        if !confirmed && db.key_file_format()? >= 2 {
            return Err(StoreError::PolicyTampered);
        }
        let _lock = StoreLock::acquire(&self.paths.dir, self.wait)?;
        let mut kf = keyfile::read(&self.paths.keys)?;
        if kf.version >= 2 {
            return Ok(());
        }
        kf.version = keyfile::KEYFILE_VERSION;
        sign_policy(&mut kf, master)?;
        match keyfile::write(&self.paths.keys, &kf) {
            Ok(()) => {}
            Err(StoreError::DiskFull) => return Ok(()),
            Err(e) => return Err(e),
        }
        self.kf = kf;
        match db.set_key_file_format(keyfile::KEYFILE_VERSION) {
            Ok(()) | Err(StoreError::DiskFull) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Closes the database and drops the keys from memory.
    pub fn lock(&mut self) -> StoreResult<()> {
        if let State::Unlocked(_) = self.state {
            if let State::Unlocked(s) = std::mem::replace(&mut self.state, State::Locked) {
                let Session { master, db } = *s;
                drop(master);
                db.close()?;
                // What a quick log took from the reserve only while writing comes back.
                space::top_up(&self.paths.reserve);
            }
        }
        Ok(())
    }

    /// Free space on the store's volume and the reserve, locked or not: the apps warn
    /// when `low` before logging fails.
    pub fn storage(&self) -> StoreResult<StorageStatus> {
        space::status(&self.paths.dir, &self.paths.reserve)
    }

    /// Before a quick log: on a nearly full disk, releases from the reserve the room a
    /// quick log needs. Other writes never call this, so they fail with `DiskFull`
    /// while the reserve still holds quick logs.
    pub fn make_room_for_quick_log(&self) -> StoreResult<()> {
        self.session()?;
        space::release(&self.paths.dir, &self.paths.reserve, space::QUICK_LOG_ROOM)?;
        Ok(())
    }

    /// A full integrity check of the database (every page's HMAC and SQLite's own
    /// check). The problems found, empty when all is well.
    pub fn check(&self) -> StoreResult<Vec<String>> {
        self.db()?.integrity_problems()
    }

    /// 0700 for the directories, 0600 for every file, whatever older releases or the
    /// umask left. Metadata only (works on a full disk); best effort.
    fn make_private(&self) {
        let _ = set_mode(&self.paths.dir, 0o700);
        let _ = set_mode(&self.paths.attachments, 0o700);
        let mut files = vec![self.paths.keys.clone(), self.paths.reserve.clone()];
        files.extend(self.paths.db_sidecars());
        if let Ok(entries) = fs::read_dir(&self.paths.attachments) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
        for f in files {
            let _ = set_mode(&f, 0o600);
        }
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
                .kf
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
            failed_attempts: self.kf.attempts.failed(),
            wipe_after: self.kf.attempts.wipe_after,
            outbox,
            device_id,
            storage: self.storage().ok(),
        })
    }

    /// The store lock and the key file as it is on disk now: every change to the key file
    /// starts here, so concurrent writers never overwrite each other's changes.
    fn fresh(&self) -> StoreResult<(StoreLock, KeyFile)> {
        let lock = StoreLock::acquire(&self.paths.dir, self.wait)?;
        let kf = keyfile::read(&self.paths.keys)?;
        Ok((lock, kf))
    }

    /// Applies `change` to the key file's body under the store lock and replaces the
    /// file (always in the current format, the policy signed: the store is unlocked).
    fn update_body<T>(
        &mut self,
        change: impl FnOnce(&mut KeyFileBody) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let (_lock, mut kf) = self.fresh()?;
        let out = change(&mut kf.body)?;
        self.write_whole(kf)?;
        Ok(out)
    }

    /// Replaces the key file with `kf` (format 2, the policy signed). Unlocked only.
    fn write_whole(&mut self, mut kf: KeyFile) -> StoreResult<()> {
        if kf.version < 2 {
            kf.version = keyfile::KEYFILE_VERSION;
            sign_policy(&mut kf, &self.session()?.master)?;
        }
        keyfile::write(&self.paths.keys, &kf)?;
        self.kf = kf;
        Ok(())
    }

    /// Adds a passphrase slot (stacked on the platform key when one is given).
    pub fn add_passphrase_slot(
        &mut self,
        passphrase: &[u8],
        kdf: KdfChoice,
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<u32> {
        let kek = new_kek(passphrase, kdf)?;
        let master = Zeroizing::new(*self.session()?.master.expose());
        self.update_body(|body| body.add_passphrase_slot(&kek, SlotRole::Master, &master, platform))
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
            .kf
            .body
            .slots
            .iter()
            .find_map(|s| s.kdf)
            .unwrap_or_default();
        // Refuse a duress passphrase that already opens the store.
        for slot in self
            .kf
            .body
            .slots
            .iter()
            .filter(|s| s.kind.uses_passphrase())
        {
            let kek = slot.derive_kek(passphrase)?;
            if slot
                .open_with_kek(&self.kf.body.store_id, &kek, None)?
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
        let (_lock, mut kf) = self.fresh()?;
        let id = kf
            .body
            .add_passphrase_slot(&kek, SlotRole::Duress, &decoy, None)?;
        duress.push(id);
        self.db()?.set_duress_slots(&duress)?;
        self.write_whole(kf)?;
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
        for slot in self
            .kf
            .body
            .slots
            .iter()
            .filter(|s| s.kind.uses_passphrase())
        {
            let kek = slot.derive_kek(old)?;
            if target.is_none() {
                if let Some(p) = slot.open_with_kek(&self.kf.body.store_id, &kek, platform)? {
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
            &self.kf.body.store_id,
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
        self.set_policy(max_failed)
    }

    /// Writes `wipe_after` into the attempts record, signed (in place: no free space
    /// needed), and resets the counter.
    fn set_policy(&mut self, wipe_after: Option<u32>) -> StoreResult<()> {
        let (_lock, mut kf) = self.fresh()?;
        kf.attempts.wipe_after = wipe_after;
        kf.attempts.reset();
        sign_policy(&mut kf, &self.session()?.master)?;
        if kf.version < 2 {
            return self.write_whole(kf);
        }
        keyfile::write_attempts(&self.paths.keys, &kf)?;
        self.kf = kf;
        Ok(())
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
        self.session()?;
        let kek = new_kek(new_passphrase, kdf)?;
        let master = MasterKey::generate()?;
        let (_lock, current) = self.fresh()?;
        let mut body = KeyFileBody {
            store_id: current.body.store_id.clone(),
            slots: vec![],
            next_slot_id: current.body.next_slot_id,
        };
        body.add_passphrase_slot(&kek, SlotRole::Master, master.expose(), platform)?;
        let mut next = KeyFile::new(body);
        next.attempts.wipe_after = current.attempts.wipe_after;
        next.attempts.seq = current.attempts.seq;
        next.attempts.reset();
        sign_policy(&mut next, &master)?;
        keyfile::write(&self.paths.keys_next, &next)?;
        let new_key = db_key(&master, &next.body)?;
        self.session()?.db.rekey(&new_key)?;
        self.session()?.db.set_duress_slots(&[])?;
        self.session()?
            .db
            .set_key_file_format(keyfile::KEYFILE_VERSION)?;
        fs::rename(&self.paths.keys_next, &self.paths.keys)?;
        sync_dir(&self.paths.dir)?;
        self.kf = next;
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
        let _ = fs::remove_file(&self.paths.reserve);
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

fn sign_policy(kf: &mut KeyFile, master: &MasterKey) -> StoreResult<()> {
    let key = master.derive(&kf.body.store_id, Purpose::Policy)?;
    kf.attempts.sign(&key, &kf.body.store_id);
    Ok(())
}

fn verify_policy(kf: &KeyFile, master: &MasterKey) -> StoreResult<bool> {
    let key = master.derive(&kf.body.store_id, Purpose::Policy)?;
    Ok(kf.attempts.verify(&key, &kf.body.store_id))
}

/// chmod; a missing file is not an error.
fn set_mode(path: &Path, mode: u32) -> StoreResult<()> {
    use std::os::unix::fs::PermissionsExt;
    match fs::set_permissions(path, fs::Permissions::from_mode(mode)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
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

/// The key-encryption key of a new passphrase slot: `passphrase` checked, stretched with
/// the parameters `kdf` chooses (themselves checked) and a fresh salt.
fn new_kek(passphrase: &[u8], kdf: KdfChoice) -> StoreResult<PassphraseKek> {
    let params = kdf.checked()?;
    check_passphrase(passphrase)?;
    PassphraseKek::derive_new(passphrase, params)
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
