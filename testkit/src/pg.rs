//! A throwaway PostgreSQL cluster on loopback (the server's tests on PostgreSQL, the
//! benchmark's ingest workload): Debian's binaries (or `VIGIL_PG_BIN`), `initdb` into a
//! temporary directory, a free port, fsync off, stopped on drop. As root the cluster runs
//! as the `postgres` user. [`PgCluster::start`] returns an error when PostgreSQL is not
//! installed (the benchmark then skips its workload); tests use [`PgCluster::for_test`].

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub struct PgCluster {
    dir: TempDir,
    bin: PathBuf,
    as_root: bool,
    pub url: String,
}

fn bin_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("VIGIL_PG_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn path(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| "a non-UTF-8 temporary path".to_string())
}

impl PgCluster {
    /// A running cluster; panics (with the reason) when it cannot start: for tests.
    pub fn for_test() -> PgCluster {
        PgCluster::start().unwrap_or_else(|e| {
            panic!("PostgreSQL cluster: {e} (apt-get install postgresql, or set VIGIL_PG_BIN)")
        })
    }

    pub fn start() -> Result<PgCluster, String> {
        let bin = bin_dir().ok_or("no initdb under /usr/lib/postgresql/*/bin")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let as_root = is_root();
        if as_root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?;
            if !ok.success() {
                return Err("chown of the cluster directory failed".into());
            }
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            l.local_addr().map_err(|e| e.to_string())?.port()
        };
        let data = dir.path().join("data");
        let c = PgCluster {
            url: format!("host=127.0.0.1 port={port} user=vigil dbname=postgres"),
            dir,
            bin,
            as_root,
        };
        c.run(
            "initdb",
            &[
                "-D",
                path(&data)?,
                "-A",
                "trust",
                "-U",
                "vigil",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            path(c.dir.path())?
        );
        let log = c.dir.path().join("pg.log");
        c.run(
            "pg_ctl",
            &[
                "-D",
                path(&data)?,
                "-o",
                &opts,
                "-l",
                path(&log)?,
                "-w",
                "start",
            ],
        )?;
        Ok(c)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .map_err(|e| format!("{tool}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        if let Ok(d) = path(&data) {
            let _ = self
                .command("pg_ctl")
                .args(["-D", d, "-m", "immediate", "stop"])
                .output();
        }
    }
}
