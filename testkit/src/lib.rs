//! What Vigil's tests and benchmarks share, written once: the insecure-but-fast KDF
//! choice, temporary vaults on disk, the record inputs tests build ([`fixtures`]), a
//! throwaway PostgreSQL cluster ([`pg`]), the fault-injecting proxy ([`proxy`]), the CLI
//! runner ([`cli`]) and the guard of the one-test-binary-per-crate layout ([`layout`]).
//! Dev-only (`publish = false`): the apps, the CLI and the server never link it.

use std::path::Path;

use tempfile::TempDir;
use vigil_core::Vault;

pub mod cli;
pub mod fixtures;
pub mod layout;
pub mod pg;
pub mod proxy;

/// The passphrase of the vaults made here.
pub const PASSPHRASE: &[u8] = b"correct horse battery staple";

/// The insecure-but-fast KDF choice, defined once in the core (`vigil_core::testing`).
pub use vigil_core::testing::fast_kdf;

/// A new unlocked vault in `dir`, with [`fast_kdf`] and `passphrase`.
pub fn vault_in(dir: &Path, passphrase: &[u8]) -> Vault {
    Vault::create(dir, passphrase, fast_kdf(), None).expect("create a vault")
}

/// A new unlocked vault in a new temporary directory (removed when the `TempDir` drops),
/// with [`PASSPHRASE`].
pub fn temp_vault() -> (TempDir, Vault) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let vault = vault_in(dir.path(), PASSPHRASE);
    (dir, vault)
}

/// Deterministic bytes that do not compress, `len` of them: a photo stand-in for
/// attachment tests (the same `seed` gives the same bytes).
pub fn photo(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
