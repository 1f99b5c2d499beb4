//! How the core's own types cross the FFI (only with the `uniffi` feature; the bindings
//! crate turns it on). Records and enums derive their FFI form where they are defined
//! (`#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]`); the few foreign or
//! opaque types their fields use are mapped here, once.

use chrono::{DateTime, TimeZone, Utc};

use crate::advance::{Walk, WalkProgress};
use crate::clock::hlc::Hlc;

/// An instant crosses as milliseconds since the Unix epoch, UTC (Kotlin `Long`, Swift
/// `Int64`). Sub-millisecond precision does not cross; an instant outside chrono's range
/// is refused when lifted.
type Timestamp = DateTime<Utc>;

uniffi::custom_type!(Timestamp, i64, {
    remote,
    lower: |t| t.timestamp_millis(),
    try_lift: |ms| Utc
        .timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| uniffi::deps::anyhow::anyhow!("instant out of range")),
});

// A hybrid logical clock stamp crosses as its text form (`Hlc`'s `Display`), which
// sorts as the stamps do.
uniffi::custom_type!(Hlc, String, {
    lower: |h| h.to_string(),
    try_lift: |s| s
        .parse::<Hlc>()
        .map_err(|_| uniffi::deps::anyhow::anyhow!("not a clock stamp")),
});

// A walk's progress is computed from its answers, not stored: apps ask the record for
// it (`walk.progress()` in Kotlin, `walk.progress()` in Swift), as Rust callers do.
#[uniffi::export]
impl Walk {
    #[uniffi::method(name = "progress")]
    pub fn ffi_progress(&self) -> WalkProgress {
        self.progress()
    }
}
