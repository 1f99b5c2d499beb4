//! What a sync did and how far a running one has got: the records the engine, the CLI
//! (text and JSON) and the apps (through the bindings) all show, under one set of names.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What one sync did. Every pulled change is counted in exactly one of `applied`,
/// `stored_only`, `refused` and `already_had` (they add up to `pulled`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncReport {
    /// Local changes acknowledged by the server and removed from the outbox.
    pub pushed: u64,
    /// Local changes refused (by the server, or unsendable here), kept in quarantine.
    pub quarantined: u64,
    /// Teammates' changes the server sent.
    pub pulled: u64,
    /// Of those, applied to local records.
    pub applied: u64,
    /// Of those, kept as they came: this app has nothing to apply them to (a newer
    /// teammate's kind of change).
    pub stored_only: u64,
    /// Of those, kept but not applied, with the reason in the inbox (a clock stamp too far
    /// ahead, a change that does not verify or conflicts with what is here).
    pub refused: u64,
    /// Of those, already here from an earlier sync (nothing to do).
    pub already_had: u64,
    /// Attachment files uploaded whole.
    pub attachments_uploaded: u64,
    /// Teammates' attachment files downloaded and verified.
    pub attachments_downloaded: u64,
    /// Downloads that could not complete (the reason is kept with the attachment;
    /// retried at the next sync).
    pub attachments_failed: u64,
}

impl SyncReport {
    /// The sum of two reports (rounds of one wake).
    pub fn plus(self, o: SyncReport) -> SyncReport {
        SyncReport {
            pushed: self.pushed + o.pushed,
            quarantined: self.quarantined + o.quarantined,
            pulled: self.pulled + o.pulled,
            applied: self.applied + o.applied,
            stored_only: self.stored_only + o.stored_only,
            refused: self.refused + o.refused,
            already_had: self.already_had + o.already_had,
            attachments_uploaded: self.attachments_uploaded + o.attachments_uploaded,
            attachments_downloaded: self.attachments_downloaded + o.attachments_downloaded,
            attachments_failed: self.attachments_failed + o.attachments_failed,
        }
    }
}

/// How far a running sync has got, for a progress line or bar.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncProgress {
    /// A batch was acknowledged: changes acknowledged so far in this sync, still queued.
    Pushed { acked: u64, pending: u64 },
    /// An attachment file is whole on the server (count so far in this sync).
    AttachmentUploaded { count: u64 },
    /// A page of team changes was stored (changes pulled so far in this sync).
    Pulled { received: u64 },
    /// A teammate's attachment file arrived: so far, and still to fetch.
    AttachmentDownloaded { count: u64, remaining: u64 },
}

/// Receives [`SyncProgress`] on the thread running the sync; must return quickly.
pub type ProgressSink = Arc<dyn Fn(SyncProgress) + Send + Sync>;
