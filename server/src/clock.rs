//! The server's clock, injectable so tests (and drills) can step it: request freshness,
//! enrollment-code expiry and the `server_time_ms` the server reports all read it.
//! Cursors never do: they are `server_seq`, an autoincrement, so a clock stepping back
//! cannot move them. `Ctx` wraps whatever clock it is given in a [`MonotonicClock`].

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

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

/// A clock that never goes back: `max(inner clock, the highest time it ever gave)`, the
/// highest starting from what this server already recorded (`Storage::time_high_water`).
/// When the inner clock steps back, this one holds still until the inner one catches up,
/// so request freshness, the times told to devices and stamp checks never go backwards.
pub struct MonotonicClock {
    inner: Arc<dyn Clock>,
    high: AtomicU64,
}

impl MonotonicClock {
    pub fn new(inner: Arc<dyn Clock>, high_water_ms: u64) -> MonotonicClock {
        MonotonicClock {
            inner,
            high: AtomicU64::new(high_water_ms),
        }
    }
}

impl Clock for MonotonicClock {
    fn now_ms(&self) -> u64 {
        let raw = self.inner.now_ms();
        let prev = self.high.fetch_max(raw, Ordering::SeqCst);
        prev.max(raw)
    }
}

impl Clock for ShiftedClock {
    fn now_ms(&self) -> u64 {
        let base = crate::now_ms() as i64;
        u64::try_from(base.saturating_add(self.offset_ms.load(Ordering::SeqCst))).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_clock_holds_still_while_the_inner_one_is_behind() {
        let inner = Arc::new(ShiftedClock::new(0));
        let start = inner.now_ms();
        let m = MonotonicClock::new(inner.clone(), 0);
        let a = m.now_ms();
        assert!(a >= start);
        inner.set_offset_ms(-2 * 3_600_000);
        let b = m.now_ms();
        assert!(b >= a);
        assert!(b < a + 1_000);
        inner.set_offset_ms(30 * 60_000);
        assert!(m.now_ms() >= a + 30 * 60_000 - 1_000);
        // A high-water from storage (a restart after the clock stepped back).
        let later = MonotonicClock::new(Arc::new(ShiftedClock::new(-3_600_000)), start + 1_000_000);
        assert!(later.now_ms() >= start + 1_000_000);
    }
}
