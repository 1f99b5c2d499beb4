//! Shared helpers for the incident tests: real SQLCipher stores on disk.
#![allow(dead_code)]

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use vigil_core::testing::RawConnection;
use vigil_core::Vault;

pub use vigil_testkit::fixtures::report;
pub use vigil_testkit::PASSPHRASE as PASS;

pub fn vault(dir: &Path) -> Vault {
    vigil_testkit::vault_in(dir, PASS)
}

pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid time")
}

/// A store with one report ("Baseline.", other) logged: its directory, the unlocked vault
/// and what the log answered.
pub fn baseline() -> (tempfile::TempDir, Vault, vigil_core::incident::EntryReceipt) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut v = vault(dir.path());
    let r = vigil_core::IncidentLog::new(&mut v)
        .log(report(
            vigil_core::incident::Category::Other,
            "Baseline.",
            at(2024, 5, 4, 8, 0),
        ))
        .expect("log");
    (dir, v, r)
}

/// Row counts of everything an incident write touches, plus the attachment files.
#[derive(Debug, PartialEq, Eq)]
pub struct Counts {
    pub entries: i64,
    pub outbox: i64,
    pub views: i64,
    pub fts: i64,
    pub attachments: i64,
    pub files: usize,
}

pub fn counts(v: &Vault) -> Counts {
    let conn = v.db().expect("unlocked").raw_connection();
    let n = |t: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .expect("count")
    };
    Counts {
        entries: n("incident_entries"),
        outbox: n("outbox"),
        views: n("incident_views"),
        fts: n("incident_search"),
        attachments: n("incident_attachments"),
        files: std::fs::read_dir(&v.paths().attachments)
            .map(|d| d.count())
            .unwrap_or(0),
    }
}
