//! Sync: the hybrid logical clock, the wire protocol (shared with `vigil-server`), the
//! transport trait with a built-in HTTP client, and the engine that drains the outbox
//! and fills the inbox of remote changes. See `docs/SYNC.md`. The engine names no domain:
//! it receives its appliers, blob host and receipt store ([`SyncDomain`]); `crate::team`
//! wires this crate's own and runs the engine for the apps and the CLI.

pub(crate) mod access;
mod answer;
pub mod apply;
pub(crate) mod backoff;
pub(crate) mod blobs;
pub mod engine;
pub mod error;
pub mod protocol;
pub mod report;
pub(crate) mod state;
pub mod stored;
pub mod transport;

pub use access::StoreAccess;
pub use apply::{Appliers, ApplyError, InboxEntry, InboxState, RemoteApplier};
pub use backoff::RetryPolicy;
pub use engine::{Enrollment, ReceiptStore, SyncDomain, SyncEngine};
pub use error::SyncError;
pub use report::{ProgressSink, SyncProgress, SyncReport};
pub use state::SyncStatus;
pub use transport::{Response, Transport, TransportError};
