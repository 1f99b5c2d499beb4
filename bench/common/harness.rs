//! What the command lines of `vigil-bench` and `vigil-baseline` share: how hard a run
//! works (a smoke run, a debug build under tests/run, does a handful of everything), the
//! `--sizes` list, and writing the JSON results. Included by `#[path]`, as `data.rs`.

use std::process::ExitCode;

/// How many times to run a workload, the same in both harnesses so their figures compare.
pub trait Effort {
    /// A smoke run (`--smoke`).
    fn smoke(&self) -> bool;

    /// Iterations of a workload: `full` normally, a handful in a smoke run.
    fn iters(&self, full: usize) -> usize {
        if self.smoke() {
            full.clamp(1, 3)
        } else {
            full
        }
    }

    /// Iterations of a workload that reads the whole store of `n`: fewer when large.
    fn iters_big(&self, n: u64, full: usize) -> usize {
        if self.smoke() {
            1
        } else if n <= 10_000 {
            full * 4
        } else {
            full
        }
    }

    /// Points of the synthetic route (10,000; 1,000 in a smoke run, debug builds are slow).
    fn route_points(&self) -> usize {
        if self.smoke() {
            1_000
        } else {
            10_000
        }
    }
}

/// A comma-separated list of sizes (`--sizes 1000,10000`).
pub fn sizes(list: &str) -> Result<Vec<u64>, String> {
    list.split(',')
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("bad size {s:?}"))
        })
        .collect()
}

/// Writes the results document to the file `out`, or to stdout.
pub fn write_results(doc: &serde_json::Value, out: Option<&str>) -> ExitCode {
    let text = match serde_json::to_string_pretty(doc) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("encode the results: {e}");
            return ExitCode::FAILURE;
        }
    };
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, text + "\n") {
                eprintln!("write {path}: {e}");
                return ExitCode::FAILURE;
            }
            eprintln!("wrote {path}");
        }
        None => println!("{text}"),
    }
    ExitCode::SUCCESS
}
