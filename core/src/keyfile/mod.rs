//! The key file (`vigil.keys`) beside the database: key slots, the failed-unlock
//! counter and the wipe policy. Like a LUKS header, it holds no plaintext key.
//!
//! On-disk envelope (little-endian):
//!
//! ```text
//! magic    8 bytes  "VIGILKEY"
//! version  u32      KEYFILE_VERSION
//! length   u32      length of body
//! body     JSON     KeyFileBody (slot kinds, KDF parameters, salts, sealed blobs)
//! checksum 32 bytes SHA-256 of everything before it
//! ```
//!
//! The checksum only detects accidental corruption; integrity of the keys themselves
//! comes from AES-GCM on each slot. Writes go to a uniquely named temporary file, are
//! synced, then renamed over the old file (and the directory synced), so a crash leaves
//! the old or the new file, never half; writers hold the store lock.

mod slot;
mod wrapper;

use std::fs;
use std::io::Write;
use std::path::Path;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};

pub use slot::{PassphraseKek, Slot, SlotKind, SlotRole};
pub use wrapper::{KeyWrapper, KeyWrapperError};

pub const MAGIC: &[u8; 8] = b"VIGILKEY";
pub const KEYFILE_VERSION: u32 = 1;
const HEADER_LEN: usize = 16;
const CHECKSUM_LEN: usize = 32;
/// No legitimate key file comes near this; refuse to read giant files into memory.
const MAX_KEYFILE_LEN: u64 = 1 << 20;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyFileBody {
    /// Random, per store; bound into every slot's AAD and the HKDF salt.
    #[serde(with = "hex_bytes")]
    pub store_id: Vec<u8>,
    pub slots: Vec<Slot>,
    /// Failed unlock attempts since the last success. Written *before* each attempt is
    /// checked, so killing the app mid-attempt does not reset it.
    pub failed_attempts: u32,
    /// Wipe the store after this many consecutive failures (`None`: never).
    pub wipe_after: Option<u32>,
    pub next_slot_id: u32,
}

impl KeyFileBody {
    pub fn slot(&self, id: u32) -> StoreResult<&Slot> {
        self.slots
            .iter()
            .find(|s| s.id == id)
            .ok_or(StoreError::UnknownSlot(id))
    }

    pub fn allocate_slot_id(&mut self) -> u32 {
        let id = self.next_slot_id;
        self.next_slot_id += 1;
        id
    }
}

/// Serializes a body into the on-disk envelope.
pub fn encode(body: &KeyFileBody) -> StoreResult<Vec<u8>> {
    let json = serde_json::to_vec(body).map_err(|_| StoreError::KeyFileCorrupt)?;
    let len = u32::try_from(json.len()).map_err(|_| StoreError::KeyFileCorrupt)?;
    let mut out = Vec::with_capacity(HEADER_LEN + json.len() + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&KEYFILE_VERSION.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&json);
    let sum = digest(&SHA256, &out);
    out.extend_from_slice(sum.as_ref());
    Ok(out)
}

/// Parses an envelope, telling apart "not ours", "newer than us" and "damaged".
pub fn decode(bytes: &[u8]) -> StoreResult<KeyFileBody> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(StoreError::NotAStore {
            what: "the key file does not start with Vigil's magic bytes",
        });
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(StoreError::KeyFileCorrupt);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > KEYFILE_VERSION {
        return Err(StoreError::NewerFormat {
            what: "key file",
            found: version,
            supported: KEYFILE_VERSION,
        });
    }
    if version == 0 {
        return Err(StoreError::KeyFileCorrupt);
    }
    let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    if bytes.len() != HEADER_LEN + len + CHECKSUM_LEN {
        return Err(StoreError::KeyFileCorrupt);
    }
    let (content, sum) = bytes.split_at(HEADER_LEN + len);
    if digest(&SHA256, content).as_ref() != sum {
        return Err(StoreError::KeyFileCorrupt);
    }
    let body: KeyFileBody =
        serde_json::from_slice(&content[HEADER_LEN..]).map_err(|_| StoreError::KeyFileCorrupt)?;
    if body.store_id.len() != 16 || body.slots.iter().any(|s| s.validate().is_err()) {
        return Err(StoreError::KeyFileCorrupt);
    }
    Ok(body)
}

pub fn read(path: &Path) -> StoreResult<KeyFileBody> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if meta.len() > MAX_KEYFILE_LEN {
        return Err(StoreError::KeyFileCorrupt);
    }
    decode(&fs::read(path)?)
}

/// Replaces the key file atomically and durably: a fresh temporary file with a unique
/// name in the same directory (created 0600), written, synced, renamed over the old one,
/// then the directory synced. A crash leaves the old file or the new one, never half of
/// either; a failed write removes its temporary file. The caller holds the store lock
/// ([`crate::store::lock::StoreLock`]), so writers never race on the same file.
pub fn write(path: &Path, body: &KeyFileBody) -> StoreResult<()> {
    replace(path, &encode(body)?)
}

pub(crate) fn replace(path: &Path, bytes: &[u8]) -> StoreResult<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| StoreError::from(e.error))?;
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

const TEMP_PREFIX: &str = "vigil.keys.";
const TEMP_SUFFIX: &str = ".tmp";

/// A temporary file of [`replace`] (or the fixed `vigil.keys.tmp` of older releases).
pub(crate) fn is_temporary_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

pub(crate) use hex_bytes as hex_serde;

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> KeyFileBody {
        KeyFileBody {
            store_id: vec![1; 16],
            slots: vec![],
            failed_attempts: 2,
            wipe_after: Some(5),
            next_slot_id: 1,
        }
    }

    #[test]
    fn round_trip() {
        let b = body();
        assert_eq!(decode(&encode(&b).unwrap()).unwrap(), b);
    }

    #[test]
    fn every_kind_of_damage_is_typed() {
        let good = encode(&body()).unwrap();
        assert!(matches!(
            decode(b"SQLite format 3\0..............................."),
            Err(StoreError::NotAStore { .. })
        ));
        assert!(matches!(
            decode(&good[..20]),
            Err(StoreError::KeyFileCorrupt)
        ));
        for i in HEADER_LEN..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            assert!(
                matches!(decode(&bad), Err(StoreError::KeyFileCorrupt)),
                "byte {i}"
            );
        }
        let mut newer = good.clone();
        newer[8] = 9;
        assert!(matches!(
            decode(&newer),
            Err(StoreError::NewerFormat { found: 9, .. })
        ));
    }
}
