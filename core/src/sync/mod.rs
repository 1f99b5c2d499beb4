//! Sync: the hybrid logical clock, the wire protocol (shared with `vigil-server`), the
//! transport trait with a built-in HTTP client, and the engine that drains the outbox
//! and fills the inbox of remote changes. See `docs/SYNC.md`.

pub mod apply;
pub mod backoff;
pub mod blobs;
pub mod engine;
pub mod error;
pub mod hlc;
pub mod protocol;
pub mod state;
pub mod transport;

pub use apply::{Appliers, ApplyError, InboxEntry, InboxState, RemoteApplier};
pub use backoff::RetryPolicy;
pub use engine::{status, Enrollment, ProgressSink, SyncEngine, SyncProgress, SyncReport};
pub use error::SyncError;
pub use hlc::{Hlc, HlcClock};
pub use state::SyncStatus;
pub use transport::{Response, Transport, TransportError};

/// The appliers of every domain, registered in one place; [`SyncEngine::new`] uses them.
///
/// - `incident.entry`: verified against the author's key and chain, then stored
///   (`incident::IncidentEntryApplier`).
/// - `incident.attachment`: the teammate's attachment recorded, its file downloaded after
///   the pull (`incident::transfer::AttachmentApplier`, `sync::blobs`).
/// - `checklist.answer`: last writer wins per item (`advance::remote::AnswerApplier`).
/// - `checklist.walk.start`, `checklist.walk.complete`: `advance::remote::WalkApplier`.
/// - `checklist.walk.signoff`: verified under the signer's key, closes the walk
///   (`advance::remote::SignOffApplier`).
/// - `venue.upsert`, `haven.upsert`, `route.upsert`: last writer wins per field
///   (`advance::remote::RecordApplier`).
pub fn default_appliers() -> Appliers {
    use crate::advance::remote::{AnswerApplier, RecordApplier, SignOffApplier, WalkApplier};
    use std::sync::Arc;
    let mut a = Appliers::new();
    a.register(
        crate::incident::chain::OUTBOX_KIND_ENTRY,
        Arc::new(crate::incident::IncidentEntryApplier),
    );
    a.register(
        crate::incident::OUTBOX_KIND_ATTACHMENT,
        Arc::new(crate::incident::transfer::AttachmentApplier),
    );
    a.register("checklist.answer", Arc::new(AnswerApplier));
    let walks = Arc::new(WalkApplier);
    a.register("checklist.walk.start", walks.clone());
    a.register("checklist.walk.complete", walks);
    a.register("checklist.walk.signoff", Arc::new(SignOffApplier));
    let records = Arc::new(RecordApplier);
    for k in ["venue.upsert", "haven.upsert", "route.upsert"] {
        a.register(k, records.clone());
    }
    a
}
