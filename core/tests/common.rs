//! Shared helpers for the core's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vigil_core::Vault;

pub fn new_vault(dir: &Path, pass: &str) -> Vault {
    vigil_testkit::vault_in(dir, pass.as_bytes())
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file's bytes under `dir`, for "no plaintext anywhere" scans.
pub fn scan_for(dir: &Path, needles: &[Vec<u8>]) -> Vec<(PathBuf, usize)> {
    let mut hits = vec![];
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        for (i, n) in needles.iter().enumerate() {
            if contains(&bytes, n) {
                hits.push((f.clone(), i));
            }
        }
    }
    hits
}
