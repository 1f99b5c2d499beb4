//! The one record of the vault that must differ from the core's at the boundary.

/// One queued change waiting for sync.
///
/// Differs from `vigil_core::store::OutboxEntry`: the entry's payload (JSON, and the
/// content itself) does not cross; an app sees what is queued, not what it says.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OutboxEntry {
    pub seq: u64,
    pub op_id: String,
    pub hlc: vigil_core::clock::Hlc,
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
            hlc: e.hlc,
            kind: e.kind,
            entity_id: e.entity_id,
            attempts: e.attempts,
            quarantined: e.quarantined,
            last_error: e.last_error,
        }
    }
}
