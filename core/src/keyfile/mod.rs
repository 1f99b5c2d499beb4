//! The key file (`vigil.keys`) beside the database: key slots, the failed-unlock
//! counter and the wipe policy. Like a LUKS header, it holds no plaintext key.
//!
//! On-disk layout, format 2 (little-endian):
//!
//! ```text
//! magic    8 bytes  "VIGILKEY"
//! version  u32      2
//! length   u32      length of body
//! body     JSON     KeyFileBody (store id, slots: kinds, KDF parameters, salts, sealed blobs)
//! checksum 32 bytes SHA-256 of everything before it
//! region   2 x 88   two copies of the attempts record (see [`Attempts`]), rewritten in place
//! ```
//!
//! The checksum only detects accidental corruption; integrity of the keys themselves
//! comes from AES-GCM on each slot, and that of the wipe policy from an HMAC under a key
//! derived from the master key. Everything but the region is replaced as a whole:
//! written to a uniquely named temporary file, synced, renamed over the old file (and
//! the directory synced), so a crash leaves the old or the new file, never half; writers
//! hold the store lock. The region is what an unlock attempt changes; it is rewritten in
//! place, in bytes the file already owns, so counting an attempt needs no free space.
//!
//! Format 1 (no region; `failed_attempts` and `wipe_after` in the body, unauthenticated)
//! is still read: its counter is kept in format 1 until the first successful unlock
//! upgrades the file to format 2.

mod slot;
mod wrapper;

use std::fs;
use std::io::Write;
use std::path::Path;

use ring::digest::{digest, SHA256};
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::crypto::keys::SubKey;
use crate::error::{StoreError, StoreResult};

pub use slot::{PassphraseKek, Slot, SlotKind, SlotRole};
pub use wrapper::{KeyWrapper, KeyWrapperError};

pub const MAGIC: &[u8; 8] = b"VIGILKEY";
pub const KEYFILE_VERSION: u32 = 2;
const HEADER_LEN: usize = 16;
const CHECKSUM_LEN: usize = 32;
/// One attempts record: seq, reset_seq (u64 each), wipe_after (u32, 0 = off), 4 zero
/// bytes, the policy tag (32), SHA-256 of the 56 bytes before it (32).
const RECORD_LEN: usize = 88;
const RECORD_SIGNED_LEN: usize = 56;
const REGION_LEN: usize = 2 * RECORD_LEN;
const POLICY_LABEL: &[u8] = b"vigil-policy-v2";
/// No legitimate key file comes near this; refuse to read giant files into memory.
const MAX_KEYFILE_LEN: u64 = 1 << 20;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct KeyFileBody {
    /// Random, per store; bound into every slot's AAD and the HKDF salt.
    #[serde(with = "hex_bytes")]
    pub store_id: Vec<u8>,
    pub slots: Vec<Slot>,
    pub next_slot_id: u32,
}

/// Format 1's body: the counter and the policy lived here, unauthenticated.
#[derive(Deserialize, Serialize)]
struct BodyV1 {
    #[serde(with = "hex_bytes")]
    store_id: Vec<u8>,
    slots: Vec<Slot>,
    failed_attempts: u32,
    wipe_after: Option<u32>,
    next_slot_id: u32,
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

    /// Adds a slot that `kek` opens (stacked on `platform` when one is given), sealing
    /// `key` in `role`. Returns the new slot's id.
    pub fn add_passphrase_slot(
        &mut self,
        kek: &PassphraseKek,
        role: SlotRole,
        key: &[u8; 32],
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<u32> {
        let id = self.allocate_slot_id();
        let slot = Slot::new_passphrase(id, &self.store_id, kek, role, key, platform)?;
        self.slots.push(slot);
        Ok(id)
    }
}

/// The failed-unlock counter and the wipe policy.
///
/// `seq` goes up by one on every write of the record (each unlock attempt, before its
/// check, and each reset); `reset_seq` is the `seq` of the last successful unlock, so
/// the attempts since then are `seq - reset_seq`. The tag, an HMAC-SHA256 under a key
/// derived from the master key, covers the store id, `reset_seq` and the policy: without
/// the master key nobody can switch the policy off, change it, or move `reset_seq` up to
/// hide failed attempts, without the next successful unlock seeing it
/// ([`StoreError::PolicyTampered`]). What nobody can prevent without secure hardware is
/// putting back an older copy of the record (or of the whole key file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempts {
    pub seq: u64,
    pub reset_seq: u64,
    pub wipe_after: Option<u32>,
    pub tag: [u8; 32],
}

impl Attempts {
    fn fresh() -> Self {
        Attempts {
            seq: 0,
            reset_seq: 0,
            wipe_after: None,
            tag: [0; 32],
        }
    }

    /// Failed attempts since the last successful unlock (the one being checked included).
    pub fn failed(&self) -> u32 {
        u32::try_from(self.seq.saturating_sub(self.reset_seq)).unwrap_or(u32::MAX)
    }

    /// Attempts left before the wipe policy triggers, `None` without a policy.
    pub fn left(&self) -> Option<u32> {
        self.wipe_after.map(|n| n.saturating_sub(self.failed()))
    }

    fn tag_input(&self, store_id: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(POLICY_LABEL.len() + store_id.len() + 12);
        m.extend_from_slice(POLICY_LABEL);
        m.extend_from_slice(store_id);
        m.extend_from_slice(&self.reset_seq.to_le_bytes());
        m.extend_from_slice(&self.wipe_after.unwrap_or(0).to_le_bytes());
        m
    }

    /// Authenticates the current policy and `reset_seq` under `key` (the master key's
    /// `Purpose::Policy` subkey).
    pub fn sign(&mut self, key: &SubKey, store_id: &[u8]) {
        let k = hmac::Key::new(hmac::HMAC_SHA256, key.expose());
        let t = hmac::sign(&k, &self.tag_input(store_id));
        self.tag.copy_from_slice(t.as_ref());
    }

    /// True if the tag matches (constant time).
    pub fn verify(&self, key: &SubKey, store_id: &[u8]) -> bool {
        let k = hmac::Key::new(hmac::HMAC_SHA256, key.expose());
        hmac::verify(&k, &self.tag_input(store_id), &self.tag).is_ok()
    }

    /// Records an attempt (before its check).
    pub fn count_attempt(&mut self) {
        self.seq = self.seq.saturating_add(1);
    }

    /// A successful unlock: no failed attempts since now. Sign again afterwards.
    pub fn reset(&mut self) {
        self.seq = self.seq.saturating_add(1);
        self.reset_seq = self.seq;
    }

    fn encode(&self) -> [u8; RECORD_LEN] {
        let mut r = [0u8; RECORD_LEN];
        r[0..8].copy_from_slice(&self.seq.to_le_bytes());
        r[8..16].copy_from_slice(&self.reset_seq.to_le_bytes());
        r[16..20].copy_from_slice(&self.wipe_after.unwrap_or(0).to_le_bytes());
        r[24..56].copy_from_slice(&self.tag);
        let sum = digest(&SHA256, &r[..RECORD_SIGNED_LEN]);
        r[RECORD_SIGNED_LEN..].copy_from_slice(sum.as_ref());
        r
    }

    fn decode(r: &[u8]) -> Option<Attempts> {
        if r.len() != RECORD_LEN
            || digest(&SHA256, &r[..RECORD_SIGNED_LEN]).as_ref() != &r[RECORD_SIGNED_LEN..]
            || r[20..24] != [0; 4]
        {
            return None;
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&r[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let wipe = u32::from_le_bytes([r[16], r[17], r[18], r[19]]);
        let mut tag = [0u8; 32];
        tag.copy_from_slice(&r[24..56]);
        let a = Attempts {
            seq: u64_at(0),
            reset_seq: u64_at(8),
            wipe_after: (wipe != 0).then_some(wipe),
            tag,
        };
        (a.reset_seq <= a.seq).then_some(a)
    }
}

/// A key file as read: its format, the body and the attempts record.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyFile {
    /// 1 until the first successful unlock upgrades it, then 2.
    pub version: u32,
    pub body: KeyFileBody,
    pub attempts: Attempts,
}

impl KeyFile {
    /// A new store's key file (format 2; sign `attempts` before writing it).
    pub fn new(body: KeyFileBody) -> KeyFile {
        KeyFile {
            version: KEYFILE_VERSION,
            body,
            attempts: Attempts::fresh(),
        }
    }
}

/// Serializes a key file into its on-disk layout (format 1 stays format 1).
pub fn encode(kf: &KeyFile) -> StoreResult<Vec<u8>> {
    let json = if kf.version == 1 {
        serde_json::to_vec(&BodyV1 {
            store_id: kf.body.store_id.clone(),
            slots: kf.body.slots.clone(),
            failed_attempts: kf.attempts.failed(),
            wipe_after: kf.attempts.wipe_after,
            next_slot_id: kf.body.next_slot_id,
        })
    } else {
        serde_json::to_vec(&kf.body)
    }
    .map_err(|_| StoreError::KeyFileCorrupt)?;
    let len = u32::try_from(json.len()).map_err(|_| StoreError::KeyFileCorrupt)?;
    let mut out = Vec::with_capacity(HEADER_LEN + json.len() + CHECKSUM_LEN + REGION_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&kf.version.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&json);
    let sum = digest(&SHA256, &out);
    out.extend_from_slice(sum.as_ref());
    if kf.version >= 2 {
        let record = kf.attempts.encode();
        out.extend_from_slice(&record);
        out.extend_from_slice(&record);
    }
    Ok(out)
}

/// Parses a key file, telling apart "not ours", "newer than us" and "damaged".
pub fn decode(bytes: &[u8]) -> StoreResult<KeyFile> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(StoreError::NotAStore {
            what: "the key file does not start with Vigil's magic bytes".into(),
        });
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(StoreError::KeyFileCorrupt);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > KEYFILE_VERSION {
        return Err(StoreError::NewerFormat {
            what: "key file".into(),
            found: version,
            supported: KEYFILE_VERSION,
        });
    }
    if version == 0 {
        return Err(StoreError::KeyFileCorrupt);
    }
    let len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    let region = if version >= 2 { REGION_LEN } else { 0 };
    if bytes.len() != HEADER_LEN + len + CHECKSUM_LEN + region {
        return Err(StoreError::KeyFileCorrupt);
    }
    let (content, rest) = bytes.split_at(HEADER_LEN + len);
    let (sum, region_bytes) = rest.split_at(CHECKSUM_LEN);
    if digest(&SHA256, content).as_ref() != sum {
        return Err(StoreError::KeyFileCorrupt);
    }
    let json = &content[HEADER_LEN..];
    let (body, attempts) = if version == 1 {
        let v1: BodyV1 = serde_json::from_slice(json).map_err(|_| StoreError::KeyFileCorrupt)?;
        let attempts = Attempts {
            seq: u64::from(v1.failed_attempts),
            reset_seq: 0,
            wipe_after: v1.wipe_after.filter(|n| *n != 0),
            tag: [0; 32],
        };
        let body = KeyFileBody {
            store_id: v1.store_id,
            slots: v1.slots,
            next_slot_id: v1.next_slot_id,
        };
        (body, attempts)
    } else {
        let body: KeyFileBody =
            serde_json::from_slice(json).map_err(|_| StoreError::KeyFileCorrupt)?;
        // A torn in-place write damages at most one copy: the newest intact one wins.
        let attempts = region_bytes
            .chunks(RECORD_LEN)
            .filter_map(Attempts::decode)
            .max_by_key(|a| a.seq)
            .ok_or(StoreError::KeyFileCorrupt)?;
        (body, attempts)
    };
    if body.store_id.len() != 16 || body.slots.iter().any(|s| s.validate().is_err()) {
        return Err(StoreError::KeyFileCorrupt);
    }
    Ok(KeyFile {
        version,
        body,
        attempts,
    })
}

pub fn read(path: &Path) -> StoreResult<KeyFile> {
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

/// Writes the attempts record of `kf` (read under the same store lock) into the key
/// file in place: the copy that does not hold the newest record, then `fdatasync`.
/// No new block is allocated, so this works on a full disk. A format 1 file has no
/// region and is replaced whole.
pub fn write_attempts(path: &Path, kf: &KeyFile) -> StoreResult<()> {
    if kf.version < 2 {
        return write(path, kf);
    }
    use std::os::unix::fs::FileExt;
    let file = fs::OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    let region_start = len
        .checked_sub(REGION_LEN as u64)
        .ok_or(StoreError::KeyFileCorrupt)?;
    let copy = (kf.attempts.seq % 2) * RECORD_LEN as u64;
    file.write_all_at(&kf.attempts.encode(), region_start + copy)?;
    file.sync_data()?;
    Ok(())
}

/// Replaces the key file atomically and durably: a fresh temporary file with a unique
/// name in the same directory (created 0600), written, synced, renamed over the old one,
/// then the directory synced. A crash leaves the old file or the new one, never half of
/// either; a failed write removes its temporary file. The caller holds the store lock
/// ([`crate::store::lock::StoreLock`]), so writers never race on the same file.
pub fn write(path: &Path, kf: &KeyFile) -> StoreResult<()> {
    replace(path, &encode(kf)?)
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

    fn key_file() -> KeyFile {
        let mut kf = KeyFile::new(KeyFileBody {
            store_id: vec![1; 16],
            slots: vec![],
            next_slot_id: 1,
        });
        kf.attempts.seq = 7;
        kf.attempts.reset_seq = 5;
        kf.attempts.wipe_after = Some(5);
        kf.attempts.tag = [9; 32];
        kf
    }

    #[test]
    fn round_trip() {
        let kf = key_file();
        assert_eq!(decode(&encode(&kf).unwrap()).unwrap(), kf);
        assert_eq!(kf.attempts.failed(), 2);
        assert_eq!(kf.attempts.left(), Some(3));
        let mut v1 = kf.clone();
        v1.version = 1;
        let back = decode(&encode(&v1).unwrap()).unwrap();
        assert_eq!(back.version, 1);
        assert_eq!(back.attempts.failed(), 2);
        assert_eq!(back.attempts.wipe_after, Some(5));
    }

    #[test]
    fn a_torn_record_falls_back_to_the_other_copy() {
        let kf = key_file();
        let mut bytes = encode(&kf).unwrap();
        let n = bytes.len();
        // The newer copy (seq 8) half-written over the older one.
        let mut next = kf.clone();
        next.attempts.count_attempt();
        let rec = next.attempts.encode();
        let at = n - REGION_LEN; // seq 8 goes to copy 0
        bytes[at..at + 40].copy_from_slice(&rec[..40]);
        assert_eq!(decode(&bytes).unwrap().attempts.seq, 7);
        bytes[at..at + RECORD_LEN].copy_from_slice(&rec);
        assert_eq!(decode(&bytes).unwrap().attempts.seq, 8);
        // Both copies damaged: corrupt, never a silent reset.
        let mut both = bytes.clone();
        both[n - 1] ^= 1;
        both[n - RECORD_LEN - 1] ^= 1;
        assert!(matches!(decode(&both), Err(StoreError::KeyFileCorrupt)));
    }

    proptest::proptest! {
        // Fixed seed: the same cases on every run; a failure is kept in
        // core/proptest-regressions/ (committed) and replayed first.
        #![proptest_config(proptest::test_runner::Config {
            cases: 512,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x6b65_7966),
            ..Default::default()
        })]

        /// Outside bytes (a copied or hostile key file) never panic the parser: any
        /// edit of a valid file, or any bytes behind the magic, give a key file or a
        /// typed error.
        #[test]
        fn any_bytes_decode_to_a_key_file_or_a_typed_error(
            edits in proptest::collection::vec((0usize..2048, proptest::prelude::any::<u8>()), 0..16),
            cut in 0usize..2048,
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
        ) {
            let mut bytes = encode(&key_file()).unwrap();
            for (at, b) in edits {
                let n = bytes.len();
                bytes[at % n] = b;
            }
            bytes.truncate(cut.max(8));
            let typed = |r: StoreResult<KeyFile>| {
                matches!(
                    r,
                    Ok(_)
                        | Err(StoreError::NotAStore { .. })
                        | Err(StoreError::KeyFileCorrupt)
                        | Err(StoreError::NewerFormat { .. })
                )
            };
            proptest::prop_assert!(typed(decode(&bytes)));
            let mut foreign = MAGIC.to_vec();
            foreign.extend_from_slice(&tail);
            proptest::prop_assert!(typed(decode(&foreign)));
        }
    }

    #[test]
    fn every_kind_of_damage_is_typed() {
        let good = encode(&key_file()).unwrap();
        assert!(matches!(
            decode(b"SQLite format 3\0..............................."),
            Err(StoreError::NotAStore { .. })
        ));
        assert!(matches!(
            decode(&good[..20]),
            Err(StoreError::KeyFileCorrupt)
        ));
        for i in HEADER_LEN..good.len() - REGION_LEN {
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
