//! `vigil-bench`: what encryption, signing and sync cost in Vigil, measured on real
//! encrypted stores on disk and a real `vigil-server` on loopback. JSON out; the
//! `report` subcommand merges it with `vigil-baseline`'s JSON into a markdown table.
//!
//! ```text
//! vigil-bench [--sizes 1000,10000,100000] [--sync-sizes 1000,10000,30000] [--smoke] [--only GROUP] [--out FILE.json]
//! vigil-bench report VIGIL.json BASELINE.json
//! ```
//! Groups: `store` (log, list, search, open, answer, route, cost split), `kdf`, `sync`
//! (push and pull), `ingest` (several devices at once, SQLite and PostgreSQL), and
//! `memsec` (log and search with SQLCipher's memory security on: only with `--only`,
//! since it cannot be switched off again in the process), and `slow_link` (20 incidents'
//! text to a teammate over a throttled link: only with `--only`, inside the namespace
//! `bench/scripts/slow-link.sh` makes).

// Shared with vigil-baseline, which uses the items this binary does not.
#[allow(dead_code)]
#[path = "../common/data.rs"]
mod data;
#[path = "../common/harness.rs"]
mod harness;
mod report;
mod result;
#[allow(dead_code)]
#[path = "../common/rows.rs"]
mod rows;
mod slow_link;
mod stats;
mod store;
mod sync;

use std::process::ExitCode;

use result::Figure;

/// What to run, and how hard.
pub struct Plan {
    pub sizes: Vec<u64>,
    pub sync_sizes: Vec<u64>,
    pub smoke: bool,
    pub only: Option<String>,
    pub out: Option<String>,
}

impl harness::Effort for Plan {
    fn smoke(&self) -> bool {
        self.smoke
    }
}

impl Plan {
    fn wants(&self, group: &str) -> bool {
        match self.only.as_deref() {
            Some(o) => o == group,
            // Memory security cannot be switched off again in a process, and the slow
            // link needs a throttled namespace (bench/scripts/slow-link.sh): only on request.
            None => group != "memsec" && group != "slow_link",
        }
    }

    /// Changes pushed and pulled in the sync and ingest workloads, one run per size:
    /// `--sync-sizes` (by default 1,000, 10,000 and 30,000: a reader sees how the cost
    /// grows, and a full run stays well under an hour on 2 cores); a smoke run (a debug
    /// build) does 300.
    fn sync_changes(&self) -> Vec<u64> {
        if self.smoke {
            vec![300]
        } else {
            self.sync_sizes.clone()
        }
    }
}

const GROUPS: &[&str] = &["store", "kdf", "sync", "ingest", "memsec", "slow_link"];

fn usage() -> String {
    "usage: vigil-bench [--sizes N,N,..] [--sync-sizes N,N,..] [--smoke] [--only store|kdf|sync|ingest|memsec|slow_link] [--out FILE]\n\
     \x20      vigil-bench report VIGIL.json BASELINE.json"
        .to_string()
}

fn parse(args: &[String]) -> Result<Plan, String> {
    let mut plan = Plan {
        sizes: vec![1_000, 10_000, 100_000],
        sync_sizes: vec![1_000, 10_000, 30_000],
        smoke: false,
        only: None,
        out: None,
    };
    let mut sizes_given = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--smoke" => plan.smoke = true,
            "--sizes" => {
                plan.sizes = harness::sizes(&value("--sizes")?)?;
                sizes_given = true;
            }
            "--sync-sizes" => plan.sync_sizes = harness::sizes(&value("--sync-sizes")?)?,
            "--only" => {
                let g = value("--only")?;
                if !GROUPS.contains(&g.as_str()) {
                    return Err(format!("unknown group {g:?}; one of {GROUPS:?}"));
                }
                plan.only = Some(g);
            }
            "--out" => plan.out = Some(value("--out")?),
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    if plan.smoke && !sizes_given {
        plan.sizes = vec![100, 300];
    }
    if plan.sizes.is_empty()
        || plan.sizes.contains(&0)
        || plan.sync_sizes.is_empty()
        || plan.sync_sizes.contains(&0)
    {
        return Err("sizes must be positive".into());
    }
    Ok(plan)
}

fn run(plan: &Plan) -> Vec<Figure> {
    let mut out = Vec::new();
    if plan.wants("store") {
        for &n in &plan.sizes {
            eprintln!("store: {n} incidents");
            store::run_size(plan, n, &mut out);
        }
    }
    if plan.wants("sync") {
        for c in plan.sync_changes() {
            eprintln!("sync: push and pull {c} changes");
            sync::push_pull(c, &mut out);
        }
        let logs = if plan.smoke { 20 } else { 200 };
        eprintln!("sync: {logs} quick logs, without and during a sync");
        sync::log_during_sync(logs, &mut out);
    }
    if plan.wants("ingest") {
        for c in plan.sync_changes() {
            eprintln!("ingest: 4 devices, {c} changes, SQLite");
            out.extend(sync::ingest_sqlite(4, c));
            eprintln!("ingest: 4 devices, {c} changes, PostgreSQL");
            out.extend(sync::ingest_postgres(4, c));
        }
    }
    if plan.wants("memsec") {
        for &n in &plan.sizes {
            eprintln!("memsec: {n} incidents, cipher_memory_security = ON");
            store::memory_security(plan, n, &mut out);
        }
    }
    if plan.wants("slow_link") {
        eprintln!("slow_link: 20 incidents' text to a teammate, without and with photos queued");
        slow_link::run(&mut out);
    }
    if plan.wants("kdf") {
        eprintln!("kdf: default Argon2id, open + unlock");
        store::open_default_kdf(plan, &mut out);
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("report") {
        return match report::main(&args[1..]) {
            Ok(md) => {
                print!("{md}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vigil-bench report: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let plan = match parse(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let figures = run(&plan);
    let doc = serde_json::json!({
        "tool": "vigil-bench",
        "date": chrono::Utc::now().to_rfc3339(),
        "smoke": plan.smoke,
        "sizes": plan.sizes,
        "release": !cfg!(debug_assertions),
        "peak_rss_note": "VmHWM after the workload, reset just before it: the process's peak resident set during the workload, including what was already resident",
        "figures": figures,
    });
    harness::write_results(&doc, plan.out.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_flags() {
        let p = parse(&args("--sizes 10,20 --only sync --out x.json")).expect("parse");
        assert_eq!(p.sizes, vec![10, 20]);
        assert_eq!(
            parse(&args("--sync-sizes 5,6"))
                .expect("parse")
                .sync_changes(),
            vec![5, 6]
        );
        assert!(parse(&args("--sync-sizes 0")).is_err());
        assert_eq!(p.only.as_deref(), Some("sync"));
        assert_eq!(p.out.as_deref(), Some("x.json"));
        assert_eq!(
            parse(&[]).expect("parse").sizes,
            vec![1_000, 10_000, 100_000]
        );
        assert_eq!(
            parse(&args("--smoke")).expect("parse").sizes,
            vec![100, 300]
        );
        assert!(parse(&args("--only nothing")).is_err());
        assert!(parse(&args("--sizes 1,x")).is_err());
        assert!(parse(&args("--sizes")).is_err());
    }
}
