//! Plain records crossing the FFI.

use vigil_core::crypto::KdfParams;

/// A passphrase KDF and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Kdf {
    Argon2id {
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    },
    Pbkdf2Sha256 {
        iterations: u32,
    },
}

impl From<KdfParams> for Kdf {
    fn from(p: KdfParams) -> Self {
        match p {
            KdfParams::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => Kdf::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            },
            KdfParams::Pbkdf2Sha256 { iterations } => Kdf::Pbkdf2Sha256 { iterations },
        }
    }
}

impl From<Kdf> for KdfParams {
    fn from(k: Kdf) -> Self {
        match k {
            Kdf::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            } => KdfParams::Argon2id {
                memory_kib,
                iterations,
                parallelism,
            },
            Kdf::Pbkdf2Sha256 { iterations } => KdfParams::Pbkdf2Sha256 { iterations },
        }
    }
}

/// KDF parameters for a new passphrase slot. `allow_weak` must be true to go below
/// OWASP's minimum (tests only).
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct KdfChoice {
    pub kdf: Kdf,
    pub allow_weak: bool,
}

/// The core's choice for an optional FFI one (`null`: the secure default).
pub(crate) fn kdf_choice(c: Option<KdfChoice>) -> vigil_core::KdfChoice {
    {
        match c {
            Some(c) => vigil_core::KdfChoice {
                params: c.kdf.into(),
                allow_weak: c.allow_weak,
            },
            None => vigil_core::KdfChoice::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SlotKind {
    Passphrase,
    Platform,
    PassphraseAndPlatform,
}

impl From<vigil_core::SlotKind> for SlotKind {
    fn from(k: vigil_core::SlotKind) -> Self {
        match k {
            vigil_core::SlotKind::Passphrase => SlotKind::Passphrase,
            vigil_core::SlotKind::Platform => SlotKind::Platform,
            vigil_core::SlotKind::PassphraseAndPlatform => SlotKind::PassphraseAndPlatform,
        }
    }
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SlotInfo {
    pub id: u32,
    pub kind: SlotKind,
    pub kdf: Option<Kdf>,
    /// Known only while unlocked.
    pub duress: bool,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct VaultStatus {
    pub unlocked: bool,
    pub key_file_version: u32,
    pub schema_version: Option<u32>,
    pub slots: Vec<SlotInfo>,
    pub failed_attempts: u32,
    pub wipe_after: Option<u32>,
    pub outbox_pending: Option<u64>,
    pub outbox_quarantined: Option<u64>,
    pub device_id: Option<String>,
}

impl From<vigil_core::VaultStatus> for VaultStatus {
    fn from(s: vigil_core::VaultStatus) -> Self {
        VaultStatus {
            unlocked: s.unlocked,
            key_file_version: s.key_file_version,
            schema_version: s.schema_version,
            slots: s
                .slots
                .into_iter()
                .map(|x| SlotInfo {
                    id: x.id,
                    kind: x.kind.into(),
                    kdf: x.kdf.map(Into::into),
                    duress: x.duress,
                })
                .collect(),
            failed_attempts: s.failed_attempts,
            wipe_after: s.wipe_after,
            outbox_pending: s.outbox.as_ref().map(|o| o.pending),
            outbox_quarantined: s.outbox.as_ref().map(|o| o.quarantined),
            device_id: s.device_id,
        }
    }
}

/// One queued change waiting for sync.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxEntry {
    pub seq: u64,
    pub op_id: String,
    pub hlc: String,
    pub kind: String,
    pub entity_id: String,
    pub attempts: u32,
    pub quarantined: bool,
    pub last_error: Option<String>,
}

impl From<vigil_core::store::OutboxEntry> for OutboxEntry {
    fn from(e: vigil_core::store::OutboxEntry) -> Self {
        OutboxEntry {
            seq: e.seq,
            op_id: e.op_id,
            hlc: e.hlc.to_string(),
            kind: e.kind,
            entity_id: e.entity_id,
            attempts: e.attempts,
            quarantined: e.quarantined,
            last_error: e.last_error,
        }
    }
}
