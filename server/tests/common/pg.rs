//! A throwaway PostgreSQL cluster on loopback for one test (feature `postgres`): Debian's
//! postgresql binaries, `initdb` into a temporary directory, a free port, stopped on drop.
//! As root the cluster runs as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub struct PgCluster {
    dir: TempDir,
    bin: PathBuf,
    as_root: bool,
    pub url: String,
}

fn bin_dir() -> PathBuf {
    if let Ok(p) = std::env::var("VIGIL_PG_BIN") {
        return PathBuf::from(p);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (apt-get install postgresql), or set VIGIL_PG_BIN")
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    pub fn start() -> PgCluster {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("tempdir");
        let as_root = is_root();
        if as_root {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(ok.success());
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
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
                path(&data),
                "-A",
                "trust",
                "-U",
                "vigil",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            path(c.dir.path())
        );
        let log = c.dir.path().join("pg.log");
        c.run(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-o",
                &opts,
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        );
        c
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let out = if self.as_root {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            Command::new(&exe).args(args).output()
        }
        .expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", path(&data), "-m", "immediate", "stop"];
        let _ = if self.as_root {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            Command::new(&exe).args(args).output()
        };
    }
}
