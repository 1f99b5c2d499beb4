//! `vigil-ffi`: the uniffi facade over `vigil-core` for the Android (Kotlin) and iOS
//! (Swift) apps. Thin by rule: it holds the objects (`Vault`, `IncidentLog`,
//! `AdvanceWork`, `SyncClient`) and the foreign traits; all behaviour lives in the core. The
//! core's records, enums and errors cross as they are (`vigil-core`'s `uniffi` feature; each
//! error with its `code()`); the few types defined here say why they must differ.
//!
//! Blocking calls: `Vault.create`, every unlock, `change_passphrase`,
//! `add_passphrase_slot`, `set_duress_passphrase` and `rekey` run the passphrase KDF
//! (about half a second with the default parameters) and all calls touch SQLite: apps
//! call them off the main thread (`Dispatchers.IO`, a background actor). Every
//! `IncidentLog` method blocks too (SQLite, file I/O, hashing).

mod advance;
mod error;
mod incident;
mod platform_key;
mod records;
mod report;
mod sync;
mod vault;

pub use advance::*;
pub use error::KeyWrapperError;
pub use incident::*;
pub use platform_key::KeyWrapper;
pub use records::*;
pub use sync::{HttpHeader, HttpResponse, PlatformTransport, PlatformTransportError, SyncClient};
pub use vault::Vault;

uniffi::setup_scaffolding!();

// Instants in the few records defined here cross as the core maps them
// (core/src/ffi.rs: epoch milliseconds).
uniffi::use_remote_type!(vigil_core::chrono::DateTime<chrono::Utc>);

/// The default passphrase KDF (Argon2id, 64 MiB, t = 3).
#[uniffi::export]
pub fn default_kdf() -> vigil_core::crypto::KdfParams {
    vigil_core::crypto::KdfParams::default()
}

/// How hard `passphrase` is to guess (zxcvbn), for the apps' strength meter; `acceptable`
/// is the core's threshold for a new passphrase. Pure computation, a few milliseconds.
#[uniffi::export]
pub fn score_passphrase(passphrase: String) -> vigil_core::passphrase::PassphraseScore {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    vigil_core::passphrase::score_passphrase(&passphrase)
}

/// Installs a panic hook that reports a panic's location (never its payload, which
/// could hold user data) on stderr. uniffi turns the panic itself into an exception.
#[uniffi::export]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("vigil-ffi: panic at {at}");
    }));
}
