//! One measured figure, as written to the JSON output.

use serde::{Deserialize, Serialize};

use crate::stats::{peak_rss_kib, summarize, Summary};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// `vigil`, `plain` or `field` (the baselines write the same shape).
    pub system: String,
    pub workload: String,
    /// Incidents in the store; for the sync workloads, the number of changes.
    pub size: u64,
    pub iterations: usize,
    /// Per operation, milliseconds.
    pub median_ms: f64,
    pub p95_ms: f64,
    /// For throughput workloads: changes per second over the wall time.
    #[serde(default)]
    pub rate_per_s: Option<f64>,
    /// `VmHWM` after the workload, reset just before it: its peak resident set (KiB).
    #[serde(default)]
    pub peak_rss_kib: Option<u64>,
    #[serde(default)]
    pub note: String,
}

impl Figure {
    pub fn timed(workload: &str, size: u64, s: Summary) -> Figure {
        Figure {
            system: "vigil".into(),
            workload: workload.into(),
            size,
            iterations: s.iterations,
            median_ms: s.median_ms,
            p95_ms: s.p95_ms,
            rate_per_s: None,
            peak_rss_kib: peak_rss_kib(),
            note: String::new(),
        }
    }

    pub fn from_samples(workload: &str, size: u64, samples: &[std::time::Duration]) -> Figure {
        Self::timed(workload, size, summarize(samples))
    }

    pub fn skipped(workload: &str, size: u64, why: &str) -> Figure {
        Figure {
            system: "vigil".into(),
            workload: workload.into(),
            size,
            iterations: 0,
            median_ms: 0.0,
            p95_ms: 0.0,
            rate_per_s: None,
            peak_rss_kib: peak_rss_kib(),
            note: format!("skipped: {why}"),
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Figure {
        self.note = note.into();
        self
    }
}
