//! Retry timing: exponential backoff with full jitter (AWS's "full jitter"), never sooner
//! than the server's `Retry-After`.

/// Backoff parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Ceiling of the first retry's delay.
    pub base_ms: u64,
    /// Ceiling of any delay.
    pub max_ms: u64,
    /// A server's Retry-After is honoured up to this.
    pub max_retry_after_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_ms: 2_000,
            max_ms: 15 * 60 * 1000,
            max_retry_after_ms: 60 * 60 * 1000,
        }
    }
}

impl RetryPolicy {
    /// The ceiling after `failures` consecutive failures (1 = first): base · 2^(failures-1),
    /// capped at `max_ms`.
    pub fn ceiling_ms(&self, failures: u32) -> u64 {
        let exp = failures.saturating_sub(1).min(40);
        self.base_ms.saturating_mul(1u64 << exp).min(self.max_ms)
    }

    /// The delay before the next attempt: uniform in [0, ceiling] (`random` supplies the
    /// randomness), but at least the server's Retry-After when it sent one.
    pub fn delay_ms(&self, failures: u32, retry_after_ms: Option<u64>, random: u64) -> u64 {
        let ceiling = self.ceiling_ms(failures);
        let jittered = random % ceiling.saturating_add(1);
        match retry_after_ms {
            Some(ra) => jittered.max(ra.min(self.max_retry_after_ms)),
            None => jittered,
        }
    }
}

/// Parses a Retry-After value: delta-seconds or an HTTP date. Returns milliseconds from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    let date = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let at = u64::try_from(date.timestamp_millis()).ok()?;
    Some(at.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_and_caps() {
        let p = RetryPolicy {
            base_ms: 100,
            max_ms: 1_000,
            max_retry_after_ms: 5_000,
        };
        assert_eq!(p.ceiling_ms(1), 100);
        assert_eq!(p.ceiling_ms(2), 200);
        assert_eq!(p.ceiling_ms(4), 800);
        assert_eq!(p.ceiling_ms(5), 1_000);
        assert_eq!(p.ceiling_ms(500), 1_000);
    }

    #[test]
    fn delay_is_full_jitter_but_honours_retry_after() {
        let p = RetryPolicy {
            base_ms: 100,
            max_ms: 1_000,
            max_retry_after_ms: 5_000,
        };
        for r in [0u64, 1, 57, 100, 12345, u64::MAX] {
            assert!(p.delay_ms(1, None, r) <= 100);
        }
        assert_eq!(p.delay_ms(1, None, 0), 0);
        assert_eq!(p.delay_ms(1, Some(3_000), 7), 3_000);
        assert_eq!(p.delay_ms(1, Some(60_000), 7), 5_000);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7", 0), Some(7_000));
        let now = 1_445_412_470_000; // 2015-10-21 07:27:50 UTC
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(10_000)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }
}
