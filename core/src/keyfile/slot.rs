//! Key slots: each holds the master key (or, for a duress slot, a decoy) sealed with
//! AES-256-GCM under a key-encryption key (KEK), with AAD = label || store id || slot id || kind.
//!
//! | kind                     | KEK                              | `sealed` holds                         |
//! |--------------------------|----------------------------------|----------------------------------------|
//! | `passphrase`             | Argon2id/PBKDF2(passphrase, salt)| AES-GCM(KEK, payload)                  |
//! | `platform`               | random; `wrapped_kek` = wrap(KEK)| AES-GCM(KEK, payload)                  |
//! | `passphrase_and_platform`| Argon2id/PBKDF2(passphrase, salt)| wrap(AES-GCM(KEK, payload))            |
//!
//! The payload is one role byte (master or duress) followed by 32 bytes. A duress slot
//! is a passphrase slot like any other on disk: only its sealed role tells it apart.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::hex_serde;
use super::wrapper::KeyWrapper;
use crate::crypto::{aead, random, KdfParams};
use crate::error::{CryptoError, StoreError, StoreResult};

pub const SALT_LEN: usize = 16;
const AAD_LABEL: &[u8] = b"vigil-slot-v1";
const PAYLOAD_LEN: usize = 33;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    Passphrase,
    Platform,
    PassphraseAndPlatform,
}

impl SlotKind {
    fn tag(self) -> u8 {
        match self {
            SlotKind::Passphrase => 1,
            SlotKind::Platform => 2,
            SlotKind::PassphraseAndPlatform => 3,
        }
    }

    pub fn uses_passphrase(self) -> bool {
        !matches!(self, SlotKind::Platform)
    }

    pub fn uses_platform(self) -> bool {
        !matches!(self, SlotKind::Passphrase)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotRole {
    Master,
    Duress,
}

/// What a slot yields once opened.
pub struct Payload {
    pub role: SlotRole,
    pub key: Zeroizing<Vec<u8>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub id: u32,
    pub kind: SlotKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfParams>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    pub salt: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_hex")]
    pub wrapped_kek: Option<Vec<u8>>,
    #[serde(with = "hex_serde")]
    pub sealed: Vec<u8>,
}

fn aad(store_id: &[u8], id: u32, kind: SlotKind) -> Vec<u8> {
    let mut v = Vec::with_capacity(AAD_LABEL.len() + store_id.len() + 5);
    v.extend_from_slice(AAD_LABEL);
    v.extend_from_slice(store_id);
    v.extend_from_slice(&id.to_be_bytes());
    v.push(kind.tag());
    v
}

fn encode_payload(role: SlotRole, key: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    let mut p = Zeroizing::new(Vec::with_capacity(PAYLOAD_LEN));
    p.push(match role {
        SlotRole::Master => 1,
        SlotRole::Duress => 2,
    });
    p.extend_from_slice(key);
    p
}

fn decode_payload(p: Zeroizing<Vec<u8>>) -> Option<Payload> {
    if p.len() != PAYLOAD_LEN {
        return None;
    }
    let role = match p[0] {
        1 => SlotRole::Master,
        2 => SlotRole::Duress,
        _ => return None,
    };
    Some(Payload {
        role,
        key: Zeroizing::new(p[1..].to_vec()),
    })
}

fn wrapper_err(e: super::KeyWrapperError) -> StoreError {
    StoreError::KeyWrapper(e.0)
}

/// Everything needed to build a passphrase-based slot without running the KDF again.
pub struct PassphraseKek {
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub kek: Zeroizing<[u8; 32]>,
}

impl PassphraseKek {
    /// Runs the KDF once with a fresh salt.
    pub fn derive_new(passphrase: &[u8], kdf: KdfParams) -> StoreResult<Self> {
        let salt = random::bytes::<SALT_LEN>()?.to_vec();
        let kek = kdf.derive(passphrase, &salt)?;
        Ok(PassphraseKek { kdf, salt, kek })
    }
}

impl Slot {
    pub fn validate(&self) -> StoreResult<()> {
        let ok = match self.kind {
            SlotKind::Passphrase | SlotKind::PassphraseAndPlatform => {
                self.kdf.is_some()
                    && self.salt.as_ref().is_some_and(|s| s.len() == SALT_LEN)
                    && self.wrapped_kek.is_none()
            }
            SlotKind::Platform => {
                self.kdf.is_none() && self.salt.is_none() && self.wrapped_kek.is_some()
            }
        };
        if ok && !self.sealed.is_empty() {
            Ok(())
        } else {
            Err(StoreError::KeyFileCorrupt)
        }
    }

    /// A passphrase slot (optionally wrapped again by the platform key).
    pub fn new_passphrase(
        id: u32,
        store_id: &[u8],
        kek: &PassphraseKek,
        role: SlotRole,
        key: &[u8; 32],
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<Slot> {
        let kind = if platform.is_some() {
            SlotKind::PassphraseAndPlatform
        } else {
            SlotKind::Passphrase
        };
        let inner = aead::seal(
            &kek.kek,
            &aad(store_id, id, kind),
            &encode_payload(role, key),
        )?;
        let sealed = match platform {
            Some(w) => w.wrap(&inner).map_err(wrapper_err)?,
            None => inner,
        };
        Ok(Slot {
            id,
            kind,
            kdf: Some(kek.kdf),
            salt: Some(kek.salt.clone()),
            wrapped_kek: None,
            sealed,
        })
    }

    /// A slot opened by the platform key alone.
    pub fn new_platform(
        id: u32,
        store_id: &[u8],
        key: &[u8; 32],
        platform: &dyn KeyWrapper,
    ) -> StoreResult<Slot> {
        let kek = Zeroizing::new(random::bytes::<32>()?);
        let wrapped_kek = platform.wrap(&kek[..]).map_err(wrapper_err)?;
        let sealed = aead::seal(
            &kek,
            &aad(store_id, id, SlotKind::Platform),
            &encode_payload(SlotRole::Master, key),
        )?;
        Ok(Slot {
            id,
            kind: SlotKind::Platform,
            kdf: None,
            salt: None,
            wrapped_kek: Some(wrapped_kek),
            sealed,
        })
    }

    /// Runs this slot's KDF on `passphrase`. Always called for every passphrase slot
    /// during an unlock, so every outcome costs the same KDF work.
    pub fn derive_kek(&self, passphrase: &[u8]) -> StoreResult<Zeroizing<[u8; 32]>> {
        let (Some(kdf), Some(salt)) = (self.kdf, self.salt.as_ref()) else {
            return Err(StoreError::KeyFileCorrupt);
        };
        Ok(kdf.derive(passphrase, salt)?)
    }

    /// Opens a passphrase-based slot with an already derived KEK. `None`: not this slot's passphrase.
    pub fn open_with_kek(
        &self,
        store_id: &[u8],
        kek: &[u8; 32],
        platform: Option<&dyn KeyWrapper>,
    ) -> StoreResult<Option<Payload>> {
        let unwrapped;
        let inner: &[u8] = match (self.kind, platform) {
            (SlotKind::Passphrase, _) => &self.sealed,
            (SlotKind::PassphraseAndPlatform, Some(w)) => match w.unwrap(&self.sealed) {
                Ok(v) => {
                    unwrapped = v;
                    &unwrapped
                }
                Err(_) => return Ok(None),
            },
            _ => return Ok(None),
        };
        match aead::open(kek, &aad(store_id, self.id, self.kind), inner) {
            Ok(p) => Ok(decode_payload(p)),
            Err(CryptoError::Open) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens a platform-only slot. `None`: this platform key does not open it.
    pub fn open_platform(
        &self,
        store_id: &[u8],
        platform: &dyn KeyWrapper,
    ) -> StoreResult<Option<Payload>> {
        let Some(wrapped) = self.wrapped_kek.as_ref() else {
            return Ok(None);
        };
        let Ok(kek) = platform.unwrap(wrapped) else {
            return Ok(None);
        };
        let Ok(kek) = <[u8; 32]>::try_from(&kek[..]) else {
            return Ok(None);
        };
        let kek = Zeroizing::new(kek);
        match aead::open(&kek, &aad(store_id, self.id, self.kind), &self.sealed) {
            Ok(p) => Ok(decode_payload(p)),
            Err(_) => Ok(None),
        }
    }
}

mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| hex::decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
