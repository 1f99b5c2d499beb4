//! The server's clock, injectable so tests (and drills) can step it: request freshness,
//! enrollment-code expiry and the `server_time_ms` the server reports all read it.
//! Cursors never do: they are `server_seq`, an autoincrement, so a clock stepping back
//! cannot move them.

use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        crate::now_ms()
    }
}

/// The system clock shifted by an offset that can be changed while the server runs
/// (tests: a server whose clock steps back or jumps ahead).
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    pub fn new(offset_ms: i64) -> ShiftedClock {
        ShiftedClock {
            offset_ms: AtomicI64::new(offset_ms),
        }
    }

    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now_ms(&self) -> u64 {
        let base = crate::now_ms() as i64;
        u64::try_from(base.saturating_add(self.offset_ms.load(Ordering::SeqCst))).unwrap_or(0)
    }
}
