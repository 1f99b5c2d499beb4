//! Kill-and-restart soak (issue 15, "The key file can be destroyed"): rounds of `vigil`
//! processes unlocking, logging, listing and checking status on one store, some of them
//! SIGKILLed a few milliseconds in. After every round the store must open, and at the
//! end it must verify and hold every entry whose `incident log` reported success.
//!
//! `VIGIL_SOAK_SECS` sets how long it runs (default 8 s here; `tests/run` runs 60 s;
//! a long run: `VIGIL_SOAK_SECS=1800 cargo test -p vigil --test soak -- --nocapture`).
//! The kill schedule comes from a fixed seed (`VIGIL_SOAK_SEED` to change it); where a
//! kill lands depends on the machine's timing, which is the point.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASS: &str = "soak-pass";
const PER_ROUND: usize = 6;

/// xorshift64*: a small, seeded, reproducible schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn command(dir: &Path, pass: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigil"));
    c.arg("--data-dir").arg(dir).args(args);
    c.env("VIGIL_PASSPHRASE", pass)
        .env_remove("VIGIL_NEW_PASSPHRASE")
        .env_remove("VIGIL_WAIT");
    c
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    command(dir, PASS, args).output().expect("run vigil")
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

enum Job {
    Log(String),
    Read,
    WrongPassphrase,
}

#[test]
fn killed_writers_never_break_the_store_or_lose_a_reported_write() {
    let secs = env_u64("VIGIL_SOAK_SECS", 8);
    let mut rng = Rng(env_u64("VIGIL_SOAK_SEED", 0x5eed_f00d).max(1));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let o = run(&dir, &vigil_testkit::cli::INIT_FAST_KDF);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let started = Instant::now();
    let mut confirmed: Vec<String> = vec![];
    let (mut rounds, mut killed, mut n) = (0u64, 0u64, 0u64);
    while started.elapsed() < Duration::from_secs(secs) {
        rounds += 1;
        let mut kids: Vec<(Child, Job, Option<Duration>)> = vec![];
        for _ in 0..PER_ROUND {
            n += 1;
            let job = match rng.below(8) {
                0..=3 => Job::Log(format!("soak-entry-{n}")),
                4..=6 => Job::Read,
                _ => Job::WrongPassphrase,
            };
            let mut c = match &job {
                Job::Log(narrative) => command(
                    &dir,
                    PASS,
                    &[
                        "incident",
                        "log",
                        "--category",
                        "other",
                        "--severity",
                        "info",
                        "--narrative",
                        narrative,
                    ],
                ),
                Job::Read if rng.below(2) == 0 => command(&dir, PASS, &["status"]),
                Job::Read => command(&dir, PASS, &["incident", "list"]),
                Job::WrongPassphrase => command(&dir, "not-the-passphrase", &["status"]),
            };
            let child = c
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn vigil");
            let kill_at = (rng.below(2) == 0).then(|| Duration::from_millis(1 + rng.below(40)));
            kids.push((child, job, kill_at));
        }
        let round_start = Instant::now();
        let mut schedule: Vec<usize> = (0..kids.len()).filter(|i| kids[*i].2.is_some()).collect();
        schedule.sort_by_key(|i| kids[*i].2);
        for i in schedule {
            let at = kids[i].2.unwrap_or_default();
            if let Some(left) = at.checked_sub(round_start.elapsed()) {
                std::thread::sleep(left);
            }
            // SIGKILL; a process that already finished is simply reaped below.
            let _ = kids[i].0.kill();
        }
        for (child, job, kill_at) in kids {
            let out = child.wait_with_output().expect("wait");
            let ok = out.status.success();
            if kill_at.is_some() && out.status.code().is_none() {
                killed += 1;
                continue;
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            match job {
                Job::Log(narrative) => {
                    assert!(
                        ok,
                        "round {rounds}: a log that was not killed failed: {stderr}"
                    );
                    confirmed.push(narrative);
                }
                Job::Read => assert!(
                    ok,
                    "round {rounds}: a read that was not killed failed: {stderr}"
                ),
                Job::WrongPassphrase => assert_eq!(
                    out.status.code(),
                    Some(3),
                    "round {rounds}: a wrong passphrase was not refused as such: {stderr}"
                ),
            }
        }
        let o = run(&dir, &["status"]);
        assert!(
            o.status.success(),
            "round {rounds}: the store no longer opens: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    let v = run(&dir, &["incident", "verify"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let mut present = std::collections::HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["--json", "incident", "list", "--limit", "500"];
        if let Some(a) = &after {
            args.extend_from_slice(&["--after", a]);
        }
        let o = run(&dir, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let page: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let page = page.as_array().unwrap();
        if page.is_empty() {
            break;
        }
        for i in page {
            present.insert(i["current"]["narrative"].as_str().unwrap_or("").to_string());
        }
        after = page
            .last()
            .and_then(|i| i["incident_id"].as_str())
            .map(str::to_string);
    }
    let lost: Vec<&String> = confirmed.iter().filter(|n| !present.contains(*n)).collect();
    assert!(lost.is_empty(), "reported written, then lost: {lost:?}");
    let stray: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("vigil.keys.") && n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "temporary key files left: {stray:?}");
    assert!(rounds > 0 && !confirmed.is_empty());
    eprintln!(
        "soak: {secs} s, {rounds} rounds, {killed} processes killed, {} logs confirmed, all present",
        confirmed.len()
    );
}
