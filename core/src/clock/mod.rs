//! Time on a device: its own wall clock (injectable, so tests and drills can put a phone
//! an hour off) and the team's time, which is the wall clock corrected by the offset the
//! sync engine learns from the team server's answers.
//!
//! Which is used where:
//! - **Team time** (`Database::now_ms`, [`TeamTime`]): every hybrid-logical-clock stamp
//!   (local writes, folding in remote stamps, restamps by appliers) and the pull
//!   request's `issued_ms`. These are compared with other devices' and the server's.
//! - **Wall time** (`Database::wall_ms`): what only this device compares with itself or
//!   shows its user: backoff (`next_attempt_ms`), `last_success_ms`, `Retry-After`, the
//!   round trip measured to learn the offset.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub mod hlc;

pub use hlc::{Hlc, HlcClock};

/// The operating system's wall-clock milliseconds since the Unix epoch. Stamps do not use
/// it: they use the store's team time (`Database::now_ms`).
pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait WallClock: Send + Sync {
    fn now_ms(&self) -> u64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_ms(&self) -> u64 {
        now_ms()
    }
}

/// The system clock plus an offset that can be changed at any time (a phone whose clock
/// is an hour off, or jumps while offline).
#[derive(Debug, Default)]
pub struct ShiftedWallClock {
    offset_ms: AtomicI64,
}

impl ShiftedWallClock {
    pub fn new(offset_ms: i64) -> ShiftedWallClock {
        ShiftedWallClock {
            offset_ms: AtomicI64::new(offset_ms),
        }
    }

    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

impl WallClock for ShiftedWallClock {
    fn now_ms(&self) -> u64 {
        shift(now_ms(), self.offset_ms())
    }
}

/// `ms + offset`, saturating at 0 and `u64::MAX`.
pub fn shift(ms: u64, offset_ms: i64) -> u64 {
    if offset_ms >= 0 {
        ms.saturating_add(offset_ms.unsigned_abs())
    } else {
        ms.saturating_sub(offset_ms.unsigned_abs())
    }
}

/// The team's time: a wall clock plus the offset to the team server's clock.
#[derive(Clone)]
pub struct TeamTime {
    wall: Arc<dyn WallClock>,
    offset_ms: i64,
}

impl std::fmt::Debug for TeamTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamTime")
            .field("offset_ms", &self.offset_ms)
            .finish_non_exhaustive()
    }
}

impl Default for TeamTime {
    fn default() -> Self {
        TeamTime::new(Arc::new(SystemClock), 0)
    }
}

impl TeamTime {
    pub fn new(wall: Arc<dyn WallClock>, offset_ms: i64) -> TeamTime {
        TeamTime { wall, offset_ms }
    }

    /// The device's own clock.
    pub fn wall_ms(&self) -> u64 {
        self.wall.now_ms()
    }

    /// The team's time: wall + offset.
    pub fn now_ms(&self) -> u64 {
        shift(self.wall.now_ms(), self.offset_ms)
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms
    }

    pub fn wall(&self) -> &Arc<dyn WallClock> {
        &self.wall
    }

    pub(crate) fn set_offset_ms(&mut self, offset_ms: i64) {
        self.offset_ms = offset_ms;
    }
}

/// Answers whose round trip took longer than this teach nothing useful about the
/// server's clock (the midpoint could be off by more than the freshness margin allows).
pub const MAX_USEFUL_ROUND_TRIP_MS: u64 = 10_000;

/// The offset from a device's wall clock to the server's, estimated from one answer:
/// `server_time - midpoint(sent, received)`. `None` when the round trip is too long (or
/// negative: the wall clock stepped during the request).
pub fn offset_from_answer(sent_wall_ms: u64, received_wall_ms: u64, server_ms: u64) -> Option<i64> {
    let rtt = received_wall_ms.checked_sub(sent_wall_ms)?;
    if rtt > MAX_USEFUL_ROUND_TRIP_MS {
        return None;
    }
    let mid = sent_wall_ms + rtt / 2;
    let diff = i128::from(server_ms) - i128::from(mid);
    i64::try_from(diff).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_server_minus_midpoint() {
        // Device 1 h ahead: sent at wall 10_000 + 1h, answered 200 ms later, server said 10_100.
        let h = 3_600_000u64;
        assert_eq!(
            offset_from_answer(10_000 + h, 10_200 + h, 10_100),
            Some(-(h as i64))
        );
        // Device 1 h behind.
        assert_eq!(
            offset_from_answer(10_000, 10_200, 10_100 + h),
            Some(h as i64)
        );
        assert_eq!(offset_from_answer(5_000, 5_000, 5_000), Some(0));
    }

    #[test]
    fn slow_or_inconsistent_answers_teach_nothing() {
        assert_eq!(offset_from_answer(0, MAX_USEFUL_ROUND_TRIP_MS + 1, 5), None);
        assert!(offset_from_answer(0, MAX_USEFUL_ROUND_TRIP_MS, 5).is_some());
        // The wall clock stepped back during the request.
        assert_eq!(offset_from_answer(10_000, 9_000, 10_000), None);
    }

    #[test]
    fn shifted_clocks_and_team_time() {
        let wall = Arc::new(ShiftedWallClock::new(3_600_000));
        let sys = now_ms();
        assert!(wall.now_ms() >= sys + 3_600_000);
        let t = TeamTime::new(wall.clone(), -3_600_000);
        assert!(t.now_ms().abs_diff(now_ms()) < 5_000);
        wall.set_offset_ms(0);
        assert!(t.wall_ms().abs_diff(now_ms()) < 5_000);
        assert_eq!(shift(5, -10), 0);
        assert_eq!(shift(u64::MAX, 1), u64::MAX);
    }
}
