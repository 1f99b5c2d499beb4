//! Sync: the hybrid logical clock, the wire protocol (shared with `vigil-server`), the
//! transport trait with a built-in HTTP client, and the engine that drains the outbox
//! and fills the inbox of remote changes. See `docs/SYNC.md`.

pub mod apply;
pub mod backoff;
pub mod engine;
pub mod error;
pub mod hlc;
pub mod protocol;
pub mod state;
pub mod transport;

pub use apply::{Appliers, ApplyError, InboxEntry, InboxState, RemoteApplier};
pub use backoff::RetryPolicy;
pub use engine::{status, Enrollment, SyncEngine, SyncReport};
pub use error::SyncError;
pub use hlc::{Hlc, HlcClock};
pub use state::SyncStatus;
pub use transport::{Response, Transport, TransportError};
