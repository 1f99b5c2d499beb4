//! Vigil's shared core: the encrypted store and its key hierarchy, the outbox, the
//! hybrid logical clock and (as they land) the domain. It knows nothing of FFI, HTTP
//! or screens: `vigil-ffi`, the CLI and the server sit on top of it.

pub mod advance;
pub mod clock;
mod codes;
pub mod crypto;
pub mod error;
pub mod evidence;
#[cfg(feature = "uniffi")]
mod ffi;
pub mod incident;
pub mod keyfile;
pub mod passphrase;
pub mod shared;
pub mod store;
pub mod sync;
pub mod team;
pub mod vault;

pub use error::{CryptoError, StoreError, StoreResult};
pub use keyfile::{KeyWrapper, KeyWrapperError, SlotKind};
pub use shared::SharedVault;
pub use vault::{KdfChoice, SlotInfo, Vault, VaultPaths, VaultStatus};

// With the `uniffi` feature the core's public records derive their FFI form here (see
// docs/ARCHITECTURE.md, "Bindings"); without it (CLI, server) nothing of uniffi is built.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
