//! The one way the CLI's tests run `vigil`: the binary (`env!("CARGO_BIN_EXE_vigil")`,
//! known only to the CLI's own tests) on the store in `dir`, in an environment cleared of
//! what the CLI reads, so a variable of the developer's shell never leaks into a test.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The variables the CLI reads; each run starts without them.
const CLI_ENV: &[&str] = &[
    "VIGIL_PASSPHRASE",
    "VIGIL_NEW_PASSPHRASE",
    "VIGIL_WAIT",
    "VIGIL_OFFICER",
];

/// `vigil init` with [`crate::fast_kdf`]'s parameters (64 KiB, one pass, asked for with
/// `--allow-weak-kdf`): a store the tests open in milliseconds. Extra flags go after it.
pub const INIT_FAST_KDF: [&str; 6] = [
    "init",
    "--kdf-memory-kib",
    "64",
    "--kdf-iterations",
    "1",
    "--allow-weak-kdf",
];

/// One run of `vigil --data-dir DIR ARGS...`.
pub struct Run<'a> {
    exe: &'a str,
    dir: &'a Path,
    env: Vec<(&'a str, &'a str)>,
    stdin: Option<&'a str>,
}

/// A run of the binary `exe` on the store in `dir`.
pub fn vigil<'a>(exe: &'a str, dir: &'a Path) -> Run<'a> {
    Run {
        exe,
        dir,
        env: Vec::new(),
        stdin: None,
    }
}

impl<'a> Run<'a> {
    /// `VIGIL_PASSPHRASE`, when given.
    pub fn pass(self, pass: Option<&'a str>) -> Self {
        match pass {
            Some(p) => self.env("VIGIL_PASSPHRASE", p),
            None => self,
        }
    }

    pub fn env(mut self, key: &'a str, value: &'a str) -> Self {
        self.env.push((key, value));
        self
    }

    /// What the command reads on its standard input (closed after).
    pub fn stdin(mut self, text: Option<&'a str>) -> Self {
        self.stdin = text;
        self
    }

    pub fn run<S: AsRef<OsStr>>(self, args: &[S]) -> Output {
        let mut c = Command::new(self.exe);
        c.arg("--data-dir").arg(self.dir).args(args);
        for k in CLI_ENV {
            c.env_remove(k);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("run vigil");
        {
            let mut pipe = child.stdin.take().expect("stdin");
            if let Some(s) = self.stdin {
                pipe.write_all(s.as_bytes()).expect("write stdin");
            }
        }
        child.wait_with_output().expect("vigil output")
    }
}

#[cfg(test)]
mod tests {
    use vigil_core::KdfParams;

    #[test]
    fn init_fast_kdf_asks_for_the_fast_kdf() {
        let KdfParams::Argon2id {
            memory_kib,
            iterations,
            ..
        } = crate::fast_kdf().params
        else {
            panic!("the fast KDF is Argon2id");
        };
        assert_eq!(super::INIT_FAST_KDF[2], memory_kib.to_string());
        assert_eq!(super::INIT_FAST_KDF[4], iterations.to_string());
    }
}
