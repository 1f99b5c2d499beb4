//! The device's side of sync: a real engine over a real encrypted store, talking to a
//! "server" whose answers are the fuzzer's bytes (a hostile or broken server, or a
//! teammate's changes as it relays them). Enrollment, the time probe, push, pull and the
//! blob transfers read whatever comes back: never a panic, a typed error at worst, and
//! the store still opens and its incident log still verifies afterwards (nothing lost).
//!
//! Input: answers as `vigil_fuzz::parts`, each `u8 status pick ‖ body`; `@DEVICE@` in a
//! body stands for the device's id (an enrollment answer must name it), `@OP1@`, `@OP2@`...
//! for the op ids of the last push batch (the store's ids are random; push results must
//! name them). When the answers run out the connection fails (transient), as a dropped
//! link would.
#![no_main]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use vigil_core::crypto::KdfParams;
use vigil_core::incident::{Category, IncidentLog};
use vigil_core::sync::protocol::{paths, PushBatch};
use vigil_core::sync::{Response, RetryPolicy, Transport, TransportError};
use vigil_core::{KdfChoice, Vault};
use vigil_fuzz::{parts, replace_bytes};

const PASSPHRASE: &[u8] = b"fuzz passphrase";
const STATUSES: [u16; 16] = [
    200, 200, 200, 200, 200, 200, 204, 400, 401, 403, 404, 409, 413, 429, 500, 503,
];

struct Scripted {
    answers: Mutex<VecDeque<Response>>,
    /// The op ids of the last push batch sent, for `@OP1@`, `@OP2@`, ... in answers.
    pushed: Mutex<Vec<String>>,
}

impl Transport for Scripted {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        if path == paths::PUSH {
            if let Ok(batch) = serde_json::from_slice::<PushBatch>(&body) {
                *self.pushed.lock().expect("pushed") =
                    batch.entries.into_iter().map(|e| e.op_id).collect();
            }
        }
        let mut answer = self
            .answers
            .lock()
            .expect("answers")
            .pop_front()
            .ok_or(TransportError::Connect)?;
        if std::env::var_os("VIGIL_FUZZ_DEBUG").is_some() {
            eprintln!(
                "{path}: answered {} ({} bytes)",
                answer.status,
                answer.body.len()
            );
        }
        let pushed = self.pushed.lock().expect("pushed");
        for (i, op) in pushed.iter().enumerate() {
            let placeholder = format!("@OP{}@", i + 1);
            answer.body = replace_bytes(&answer.body, placeholder.as_bytes(), op.as_bytes());
        }
        Ok(answer)
    }
}

/// A store made once: one incident logged (so there is a chain to push and anchor) and
/// a note in the outbox. Each input gets a fresh copy of it.
fn template() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = dir.path().join("store");
        let kdf = KdfChoice {
            params: KdfParams::Argon2id {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            allow_weak: true,
        };
        let mut vault = Vault::create(&store, PASSPHRASE, kdf, None).expect("create store");
        IncidentLog::new(&mut vault)
            .quick_log(Category::Medical, None)
            .expect("log");
        vault
            .db_mut()
            .expect("unlocked")
            .write(|w| Ok(w.emit("note", "n1", &serde_json::json!({"text": "x"}))?.seq))
            .expect("emit");
        vault.lock().expect("lock");
        (dir, store)
    })
    .1
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read template") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn answers(data: &[u8], device_id: &str) -> VecDeque<Response> {
    parts(data)
        .into_iter()
        .filter_map(|p| p.split_first())
        .map(|(pick, body)| {
            let status = STATUSES[usize::from(*pick) % STATUSES.len()];
            let body = replace_bytes(body, b"@DEVICE@", device_id.as_bytes());
            let headers = if pick & 0x80 != 0 {
                vec![("retry-after".to_string(), "1".to_string())]
            } else {
                Vec::new()
            };
            Response {
                status,
                headers,
                body,
            }
        })
        .collect()
}

/// With `VIGIL_FUZZ_DEBUG` set (reproducing one input), says how each step ended.
fn debug<T: std::fmt::Debug, E: std::fmt::Debug>(step: &str, r: &Result<T, E>) {
    if std::env::var_os("VIGIL_FUZZ_DEBUG").is_some() {
        eprintln!("{step}: {r:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    copy_dir(template(), &store);
    let mut vault = Vault::open(&store).expect("open the copy");
    vault
        .unlock_with_passphrase(PASSPHRASE, None)
        .expect("unlock the copy");
    let device_id = vault.db_mut().expect("unlocked").device_id().to_string();
    let engine = vigil_core::team::engine(Box::new(Scripted {
        answers: Mutex::new(answers(data, &device_id)),
        pushed: Mutex::new(Vec::new()),
    }))
    .with_retry_policy(RetryPolicy {
        base_ms: 0,
        max_ms: 0,
        max_retry_after_ms: 0,
    });
    let db = vault.db_mut().expect("unlocked");
    let enrolled = engine.enroll(db, "https://fuzz.invalid", "CODE", "Fuzz");
    debug("enroll", &enrolled);
    if enrolled.is_ok() {
        debug("sync", &engine.sync_now(db));
        debug("sync again", &engine.sync_now(db));
    }
    let report = IncidentLog::new(&mut vault).verify().expect("verify");
    assert!(report.ok, "the local incident log no longer verifies");
    vault.lock().expect("lock");
});
