//! Vigil's shared core: the encrypted store and its key hierarchy, the outbox, the
//! hybrid logical clock, the incident log, advance work and the sync engine. It knows
//! nothing of FFI, HTTP servers or screens: `vigil-ffi`, the CLI and the server sit on top.
//!
//! # The public API
//! What callers use is re-exported here (the store's life cycle, its errors, the shared
//! vault, the clock's stamps) and reached through the domain namespaces below
//! (`incident`, `advance`, `sync`, `team`, `clock`, `crypto` for KDF parameters and device
//! keys, `store` for the database handle and its outbox records, `passphrase` for the
//! apps' strength meter). Everything else is
//! crate-private. No caller reaches a raw SQLite connection: every write goes through
//! [`Database::write`], the one write path that stamps the change and records it in the
//! outbox in the same transaction. (Tests that play an attacker editing the file use the
//! `test-support` feature, [`testing`].)

pub mod advance;
pub mod canonical_json;
pub mod clock;
mod codes;
pub mod crypto;
mod error;
pub mod evidence;
#[cfg(feature = "uniffi")]
mod ffi;
pub mod files;
pub mod incident;
mod keyfile;
pub mod passphrase;
mod shared;
pub mod store;
pub mod sync;
pub mod team;
#[cfg(feature = "test-support")]
pub mod testing;
mod vault;

pub use advance::AdvanceError;
pub use clock::{now_ms, Hlc};
pub use crypto::KdfParams;
pub use error::{CryptoError, StoreError, StoreResult};
pub use incident::{IncidentError, IncidentLog};
pub use keyfile::{KeyWrapper, KeyWrapperError, SlotKind};
pub use shared::SharedVault;
pub use store::{Database, OutboxEntry, OutboxStatus, StorageStatus};
pub use sync::SyncError;
pub use vault::{KdfChoice, SlotInfo, Vault, VaultPaths, VaultStatus};

// With the `uniffi` feature the core's public records derive their FFI form here (see
// docs/ARCHITECTURE.md, "Bindings"); without it (CLI, server) nothing of uniffi is built.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
