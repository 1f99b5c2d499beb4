//! Cryptographic building blocks. Everything here goes through `ring` or `argon2`;
//! nothing is home-made. Secrets live in [`zeroize::Zeroizing`] buffers.

pub(crate) mod aead;
pub mod hash;
pub(crate) mod kdf;
pub(crate) mod keys;
pub mod random;
pub mod signing;

pub use kdf::{kdf_runs, KdfParams};
pub use keys::{MasterKey, SubKey};
