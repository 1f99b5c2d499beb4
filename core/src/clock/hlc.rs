//! Hybrid logical clock (Kulkarni et al.): physical milliseconds + a counter + the
//! device id. Stamps are totally ordered, never go backwards on one device even if the
//! wall clock does, and sort as text in the same order (`{ms:013}-{counter:05}-{device}`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TeamTime;

/// Remote stamps further ahead of our wall clock than this are refused, so one device
/// with a bad clock cannot drag the whole team into the future.
pub const MAX_FORWARD_DRIFT_MS: u64 = 5 * 60 * 1000;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    pub physical_ms: u64,
    pub counter: u32,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    #[error("malformed clock stamp")]
    Malformed,
    #[error("clock stamp is {ahead_ms} ms ahead of this device's clock")]
    TooFarAhead { ahead_ms: u64 },
    #[error("clock counter overflow")]
    Overflow,
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:013}-{:05}-{}",
            self.physical_ms, self.counter, self.device
        )
    }
}

impl FromStr for Hlc {
    type Err = HlcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, '-');
        let ms = parts.next().ok_or(HlcError::Malformed)?;
        let counter = parts.next().ok_or(HlcError::Malformed)?;
        let device = parts.next().ok_or(HlcError::Malformed)?;
        if ms.len() != 13 || counter.len() != 5 || device.is_empty() {
            return Err(HlcError::Malformed);
        }
        Ok(Hlc {
            physical_ms: ms.parse().map_err(|_| HlcError::Malformed)?,
            counter: counter.parse().map_err(|_| HlcError::Malformed)?,
            device: device.to_string(),
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One device's clock: the last stamp it issued or saw, and where its physical time
/// comes from (the team's time: the device's wall clock corrected by the offset learned
/// from the team server, see [`crate::clock`]).
#[derive(Clone, Debug)]
pub struct HlcClock {
    last: Hlc,
    time: TeamTime,
}

const MAX_COUNTER: u32 = 99_999;

impl HlcClock {
    pub fn new(device: impl Into<String>, last_ms: u64, last_counter: u32) -> Self {
        HlcClock {
            last: Hlc {
                physical_ms: last_ms,
                counter: last_counter,
                device: device.into(),
            },
            time: TeamTime::default(),
        }
    }

    /// The same clock reading its physical time from `time`.
    pub fn with_time(mut self, time: TeamTime) -> Self {
        self.time = time;
        self
    }

    pub fn last(&self) -> &Hlc {
        &self.last
    }

    /// Where this clock's physical time comes from.
    pub fn time(&self) -> &TeamTime {
        &self.time
    }

    /// The team's time now (wall clock + learned offset).
    pub fn now_ms(&self) -> u64 {
        self.time.now_ms()
    }

    /// A new stamp for a local event, at the team's time.
    pub fn tick_now(&mut self) -> Result<Hlc, HlcError> {
        let now = self.now_ms();
        self.tick(now)
    }

    /// Folds in a remote stamp, refusing one too far ahead of the team's time.
    pub fn observe_now(&mut self, remote: &Hlc) -> Result<(), HlcError> {
        let now = self.now_ms();
        self.observe(remote, now)
    }

    pub(crate) fn set_offset_ms(&mut self, offset_ms: i64) {
        self.time.set_offset_ms(offset_ms);
    }

    /// Replaces the last stamp (after this device's own stamps were rebased).
    pub(crate) fn reset_last(&mut self, physical_ms: u64, counter: u32) {
        self.last.physical_ms = physical_ms;
        self.last.counter = counter;
    }

    /// A new stamp for a local event, strictly greater than every stamp issued or seen.
    pub fn tick(&mut self, wall_ms: u64) -> Result<Hlc, HlcError> {
        if wall_ms > self.last.physical_ms {
            self.last.physical_ms = wall_ms;
            self.last.counter = 0;
        } else {
            self.bump()?;
        }
        Ok(self.last.clone())
    }

    /// Folds in a remote stamp (refusing one too far ahead of `wall_ms`).
    pub fn observe(&mut self, remote: &Hlc, wall_ms: u64) -> Result<(), HlcError> {
        if remote.physical_ms > wall_ms.saturating_add(MAX_FORWARD_DRIFT_MS) {
            return Err(HlcError::TooFarAhead {
                ahead_ms: remote.physical_ms - wall_ms,
            });
        }
        let max_ms = wall_ms.max(self.last.physical_ms).max(remote.physical_ms);
        let counter = if max_ms == self.last.physical_ms && max_ms == remote.physical_ms {
            self.last.counter.max(remote.counter) + 1
        } else if max_ms == self.last.physical_ms {
            self.last.counter + 1
        } else if max_ms == remote.physical_ms {
            remote.counter + 1
        } else {
            0
        };
        if counter > MAX_COUNTER {
            return Err(HlcError::Overflow);
        }
        self.last.physical_ms = max_ms;
        self.last.counter = counter;
        Ok(())
    }

    fn bump(&mut self) -> Result<(), HlcError> {
        if self.last.counter >= MAX_COUNTER {
            // Borrow the next millisecond rather than overflow the counter.
            self.last.physical_ms += 1;
            self.last.counter = 0;
        } else {
            self.last.counter += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_when_wall_clock_steps_back() {
        let mut c = HlcClock::new("dev-a", 0, 0);
        let a = c.tick(1_000).unwrap();
        let b = c.tick(500).unwrap();
        let d = c.tick(1_000).unwrap();
        assert!(a < b && b < d);
        assert!(a.to_string() < b.to_string() && b.to_string() < d.to_string());
    }

    #[test]
    fn text_round_trip_and_order() {
        let h = Hlc {
            physical_ms: 1_700_000_000_000,
            counter: 7,
            device: "d-1".into(),
        };
        assert_eq!(h.to_string().parse::<Hlc>().unwrap(), h);
        assert!("nonsense".parse::<Hlc>().is_err());
    }

    #[test]
    fn observe_moves_past_remote_and_refuses_far_future() {
        let mut c = HlcClock::new("a", 1_000, 0);
        let remote = Hlc {
            physical_ms: 2_000,
            counter: 4,
            device: "b".into(),
        };
        c.observe(&remote, 1_500).unwrap();
        let next = c.tick(1_500).unwrap();
        assert!(next > remote);
        let far = Hlc {
            physical_ms: 4_102_444_800_000,
            counter: 0,
            device: "b".into(),
        };
        assert!(matches!(
            c.observe(&far, 1_500),
            Err(HlcError::TooFarAhead { .. })
        ));
    }
}
