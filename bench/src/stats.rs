//! Timing samples to median and p95, and the process's peak memory.

use std::time::{Duration, Instant};

/// Summary of a set of timings, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub iterations: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

/// Nearest-rank percentile of sorted samples (`q` in 0..=1).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median (mean of the two middle samples when even), p95, min and max.
pub fn summarize(samples: &[Duration]) -> Summary {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    let median = match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => ms[n / 2],
        _ => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    };
    Summary {
        iterations: n,
        median_ms: median,
        p95_ms: percentile(&ms, 0.95),
        min_ms: ms.first().copied().unwrap_or(f64::NAN),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
    }
}

/// Runs `f` `n` times and times each run. The peak resident set is reset first, so the
/// figure taken right after is this workload's own peak (see [`reset_peak_rss`]).
pub fn time_n(n: usize, mut f: impl FnMut(usize)) -> Vec<Duration> {
    reset_peak_rss();
    (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect()
}

/// Resets the process's peak resident set (`VmHWM`) to its current resident set
/// (Linux: `5` written to `/proc/self/clear_refs`), so that the next [`peak_rss_kib`]
/// is the peak since this call: the memory a workload used, on top of what was already
/// resident (the open store, the data of earlier workloads still held). False when the
/// kernel refuses; the figure is then the run's high-water mark so far.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The process's peak resident set (`VmHWM`, KiB) from /proc/self/status, since the last
/// [`reset_peak_rss`] (or since the process started).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_odd_and_even() {
        assert_eq!(summarize(&ms(&[5, 1, 3])).median_ms, 3.0);
        assert_eq!(summarize(&ms(&[4, 1, 3, 2])).median_ms, 2.5);
    }

    #[test]
    fn p95_is_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        let s = summarize(&ms(&v));
        assert_eq!(s.p95_ms, 95.0);
        assert_eq!(s.min_ms, 1.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(summarize(&ms(&[7])).p95_ms, 7.0);
    }

    #[test]
    fn empty_is_nan_not_a_panic() {
        assert!(summarize(&[]).median_ms.is_nan());
    }

    #[test]
    fn reads_vm_hwm() {
        let s = "Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(s), Some(2048));
        assert_eq!(parse_vm_hwm("Name: x\n"), None);
        assert!(peak_rss_kib().is_some());
    }

    /// A 64 MiB buffer touched then freed raises the peak; after a reset the peak is
    /// back near the resident set, so each workload's figure is its own.
    #[test]
    fn peak_resets_between_workloads() {
        let buf = vec![1u8; 64 << 20];
        std::hint::black_box(&buf);
        drop(buf);
        let high = peak_rss_kib().expect("VmHWM");
        assert!(reset_peak_rss(), "clear_refs accepted");
        let after = peak_rss_kib().expect("VmHWM");
        assert!(
            after + 32 * 1024 < high,
            "peak {high} KiB, after reset {after} KiB"
        );
    }
}
