//! Sync building blocks. For now: the hybrid logical clock that stamps every change.
//! The engine that sends the outbox arrives with the sync issue.

pub mod hlc;

pub use hlc::{Hlc, HlcClock};
