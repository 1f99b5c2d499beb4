//! The guard of the one-test-binary-per-crate layout. Each crate's integration tests are one
//! binary (`tests/it.rs`, `autotests = false`: every test binary links SQLCipher and
//! OpenSSL, about 50 MB each), so cargo no longer builds a file under `tests/` by itself: a
//! file must be reached by a `mod` line. [`assert_every_test_file_compiled`] fails naming a
//! file nothing reaches, so a new test file can never be skipped silently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Panics naming every `.rs` file under `crate_dir/tests` that no `mod name;` line reaches
/// from `roots` (the crate's test targets, e.g. `["tests/it.rs"]`, paths relative to
/// `crate_dir`). Follows Rust's module file rules (`x.rs` or `x/mod.rs`, beside a root or a
/// `mod.rs`, in `x/` beside any other file); `#[path]` attributes are refused.
pub fn assert_every_test_file_compiled(crate_dir: &str, roots: &[&str]) {
    let crate_dir = Path::new(crate_dir);
    let mut reached = BTreeSet::new();
    let mut todo: Vec<(PathBuf, bool)> = roots.iter().map(|r| (crate_dir.join(r), true)).collect();
    while let Some((file, is_root)) = todo.pop() {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        assert!(
            !text.contains("#[path"),
            "{}: #[path] is not followed by this guard; name files after their modules",
            file.display()
        );
        let owns_dir = is_root || file.file_name().is_some_and(|n| n == "mod.rs");
        let dir = if owns_dir {
            file.parent().expect("a file has a directory").to_path_buf()
        } else {
            file.with_extension("")
        };
        for name in text.lines().filter_map(declared_module) {
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            let child = if flat.exists() { flat } else { nested };
            todo.push((child, false));
        }
        reached.insert(file);
    }
    let mut missing = vec![];
    let mut dirs = vec![crate_dir.join("tests")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read the tests directory")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !reached.contains(&path) {
                missing.push(path);
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "not compiled into any test binary (add a `mod` line to tests/it.rs): {missing:#?}"
    );
}

/// `x` for a line `mod x;` (`pub`/`pub(crate)` allowed); `None` for anything else.
fn declared_module(line: &str) -> Option<String> {
    let line = line.trim();
    let line = line
        .strip_prefix("pub(crate) ")
        .or_else(|| line.strip_prefix("pub "))
        .unwrap_or(line);
    let name = line.strip_prefix("mod ")?.strip_suffix(';')?.trim();
    let ident = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ident.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::declared_module;

    #[test]
    fn reads_mod_lines_only() {
        assert_eq!(declared_module("mod vault;").as_deref(), Some("vault"));
        assert_eq!(
            declared_module("  pub mod proxy;").as_deref(),
            Some("proxy")
        );
        assert_eq!(
            declared_module("pub(crate) mod a_b;").as_deref(),
            Some("a_b")
        );
        assert_eq!(declared_module("// mod vault;"), None);
        assert_eq!(declared_module("mod tests {"), None);
        assert_eq!(declared_module("use crate::common;"), None);
    }
}
