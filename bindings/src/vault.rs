//! The `Vault` object: one store on disk, shared behind a mutex.

use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};

use vigil_core::SharedVault;

use zeroize::Zeroizing;

use crate::platform_key::{KeyWrapper, PlatformKey};
use vigil_core::StorageStatus;
use vigil_core::StoreError;
use vigil_core::{KdfChoice, VaultStatus};

use crate::records::OutboxEntry;

/// An encrypted Vigil store. Every method may block (SQLite, and the KDF where noted):
/// call off the main thread. Close it (`close()` / `use {}`) when done. A sync of this
/// vault (`SyncClient`) never makes these calls wait for the network: it holds the vault
/// only for short writes between its requests.
#[derive(uniffi::Object)]
pub struct Vault {
    inner: SharedVault,
}

/// Takes ownership of passphrase bytes so they are zeroized when dropped.
fn secret(bytes: Vec<u8>) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(bytes)
}

fn platform(p: &Option<Arc<dyn KeyWrapper>>) -> Option<PlatformKey> {
    p.as_ref().map(|p| PlatformKey(p.clone()))
}

impl Vault {
    pub(crate) fn guard(&self) -> MutexGuard<'_, vigil_core::Vault> {
        self.inner.lock()
    }

    /// The vault as the sync shares it.
    pub(crate) fn shared(&self) -> SharedVault {
        self.inner.clone()
    }
}

#[uniffi::export]
impl Vault {
    /// Creates a store in `dir` with one passphrase slot (stacked on the platform key
    /// when `platform` is given) and returns it unlocked. Blocks for the KDF.
    #[uniffi::constructor]
    pub fn create(
        dir: String,
        passphrase: Vec<u8>,
        kdf: Option<KdfChoice>,
        platform: Option<Arc<dyn KeyWrapper>>,
    ) -> Result<Arc<Self>, StoreError> {
        let passphrase = secret(passphrase);
        let pk = self::platform(&platform);
        let v = vigil_core::Vault::create(
            &PathBuf::from(dir),
            &passphrase,
            kdf.unwrap_or_default(),
            pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper),
        )?;
        Ok(Arc::new(Vault {
            inner: SharedVault::new(v),
        }))
    }

    /// Opens the store in `dir`, locked. Reads only the key file.
    #[uniffi::constructor]
    pub fn open(dir: String) -> Result<Arc<Self>, StoreError> {
        let v = vigil_core::Vault::open(&PathBuf::from(dir))?;
        Ok(Arc::new(Vault {
            inner: SharedVault::new(v),
        }))
    }

    /// Unlocks with a passphrase. Blocks for the KDF. A wrong passphrase throws
    /// `WrongPassphrase` with the attempts left under a wipe policy.
    pub fn unlock_with_passphrase(
        &self,
        passphrase: Vec<u8>,
        platform: Option<Arc<dyn KeyWrapper>>,
    ) -> Result<(), StoreError> {
        let passphrase = secret(passphrase);
        let pk = self::platform(&platform);
        self.guard().unlock_with_passphrase(
            &passphrase,
            pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper),
        )?;
        Ok(())
    }

    /// Unlocks with the platform key alone (a platform slot).
    pub fn unlock_with_platform(&self, platform: Arc<dyn KeyWrapper>) -> Result<(), StoreError> {
        self.guard().unlock_with_platform(&PlatformKey(platform))?;
        Ok(())
    }

    /// After `PolicyTampered` (the key file's wipe policy was altered outside Vigil;
    /// tell the owner): unlocks with the passphrase and puts in the policy the owner
    /// confirms (`null`: off), authenticated again.
    pub fn unlock_confirming_policy(
        &self,
        passphrase: Vec<u8>,
        platform: Option<Arc<dyn KeyWrapper>>,
        wipe_after: Option<u32>,
    ) -> Result<(), StoreError> {
        let passphrase = secret(passphrase);
        let pk = self::platform(&platform);
        self.guard().unlock_confirming_policy(
            &passphrase,
            pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper),
            wipe_after,
        )?;
        Ok(())
    }

    /// Free space on the store's volume, locked or not: show a warning when `low`,
    /// before logging fails on a full phone.
    pub fn storage(&self) -> Result<StorageStatus, StoreError> {
        self.guard().storage()
    }

    /// Closes the database and forgets the keys.
    pub fn lock(&self) -> Result<(), StoreError> {
        self.guard().lock()?;
        Ok(())
    }

    pub fn is_unlocked(&self) -> bool {
        self.guard().is_unlocked()
    }

    pub fn status(&self) -> Result<VaultStatus, StoreError> {
        self.guard().status()
    }

    /// Adds a passphrase slot; returns its id. Blocks for the KDF.
    pub fn add_passphrase_slot(
        &self,
        passphrase: Vec<u8>,
        kdf: Option<KdfChoice>,
        platform: Option<Arc<dyn KeyWrapper>>,
    ) -> Result<u32, StoreError> {
        let passphrase = secret(passphrase);
        let pk = self::platform(&platform);
        self.guard().add_passphrase_slot(
            &passphrase,
            kdf.unwrap_or_default(),
            pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper),
        )
    }

    /// Adds a slot the platform key alone opens; returns its id.
    pub fn add_platform_slot(&self, platform: Arc<dyn KeyWrapper>) -> Result<u32, StoreError> {
        self.guard().add_platform_slot(&PlatformKey(platform))
    }

    pub fn remove_slot(&self, id: u32) -> Result<(), StoreError> {
        self.guard().remove_slot(id)?;
        Ok(())
    }

    /// Changes a passphrase: rewraps the master key, the database is untouched.
    pub fn change_passphrase(
        &self,
        old: Vec<u8>,
        new: Vec<u8>,
        platform: Option<Arc<dyn KeyWrapper>>,
    ) -> Result<(), StoreError> {
        let (old, new) = (secret(old), secret(new));
        let pk = self::platform(&platform);
        self.guard().change_passphrase(
            &old,
            &new,
            pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper),
        )?;
        Ok(())
    }

    /// Sets a duress passphrase; returns its slot id.
    pub fn set_duress_passphrase(&self, passphrase: Vec<u8>) -> Result<u32, StoreError> {
        let passphrase = secret(passphrase);
        self.guard().set_duress_passphrase(&passphrase)
    }

    /// Wipe after this many consecutive failed unlocks; `null` turns the policy off.
    pub fn set_wipe_policy(&self, max_failed_attempts: Option<u32>) -> Result<(), StoreError> {
        self.guard().set_wipe_policy(max_failed_attempts)?;
        Ok(())
    }

    /// Suspected compromise: new master key, database re-encrypted, all slots replaced
    /// by one passphrase slot.
    pub fn rekey(
        &self,
        new_passphrase: Vec<u8>,
        kdf: Option<KdfChoice>,
        platform: Option<Arc<dyn KeyWrapper>>,
    ) -> Result<(), StoreError> {
        let passphrase = secret(new_passphrase);
        let pk = self::platform(&platform);
        self.guard().rekey(
            &passphrase,
            kdf.unwrap_or_default(),
            pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper),
        )?;
        Ok(())
    }

    /// Panic wipe: platform key, key file, database, attachments. Irreversible.
    pub fn wipe(&self, platform: Option<Arc<dyn KeyWrapper>>) -> Result<(), StoreError> {
        let pk = self::platform(&platform);
        self.guard()
            .wipe(pk.as_ref().map(|p| p as &dyn vigil_core::KeyWrapper))?;
        Ok(())
    }

    /// Queued changes, oldest first, after `after_seq`.
    pub fn outbox(&self, after_seq: u64, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let v = self.guard();
        let entries = v.db()?.outbox(after_seq, limit)?;
        Ok(entries.into_iter().map(Into::into).collect())
    }
}
