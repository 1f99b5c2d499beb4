//! A phone one release behind: the store it holds (schema 5, a pending outbox written by
//! the previous release) and the bytes it sends (protocol version 1), both recorded from
//! that release in `tests/fixtures/` (see its README). Against the current server and
//! code, nothing is lost.

use crate::common;

use std::path::{Path, PathBuf};

use common::{post_json, Device, TestServer};
use ring::digest;
use vigil_core::advance::venue;
use vigil_core::clock::now_ms;
use vigil_core::incident::{IncidentFilter, IncidentLog, Page};
use vigil_core::sync::protocol::{
    paths, EnrollResponse, PullPage, PullRequest, PushBatch, PushResult, SCHEMA_VERSION,
};
use vigil_core::sync::{InboxState, Transport};
use vigil_core::testing::RawConnection;
use vigil_core::Vault;

const PASSPHRASE: &[u8] = b"fixture passphrase v1";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The photo the fixture's incident carries, rebuilt (fixtures/README.md).
fn fixture_photo() -> Vec<u8> {
    let mut v = vec![0xff, 0xd8, 0xff, 0xe0];
    v.extend((0..150_000u32).map(|i| ((i * 7 + 3) % 251) as u8));
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A copy of the old release's store, unlocked by the current code (which migrates it).
fn old_store(dir: &Path) -> Vault {
    let store = dir.join("store");
    copy_dir(&fixtures().join("store-schema5"), &store);
    let mut v = Vault::open(&store).unwrap();
    v.unlock_with_passphrase(PASSPHRASE, None).unwrap();
    v
}

/// Registers the one-time code recorded in the old client's enrollment on `server`.
fn register_recorded_code(server: &TestServer, team: &str) {
    let code = std::fs::read_to_string(fixtures().join("wire-v1/enroll-code.txt")).unwrap();
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let hash = hex::encode(digest::digest(&digest::SHA256, normalized.as_bytes()));
    server
        .storage
        .add_code(team, &hash, now_ms() + 3_600_000)
        .unwrap();
}

#[test]
fn the_previous_release_s_bytes_are_accepted_as_sent() {
    let server = TestServer::start();
    let team = server.new_team("Alpha");
    register_recorded_code(&server, &team);
    let t = server.transport();
    let enroll = std::fs::read(fixtures().join("wire-v1/enroll.json")).unwrap();
    let r = t.post(paths::ENROLL, enroll).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer: EnrollResponse = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(answer.schema_version, 1, "answered in the version asked");
    assert_eq!(answer.team_id, team);

    let push = std::fs::read(fixtures().join("wire-v1/push.json")).unwrap();
    let sent: PushBatch = serde_json::from_slice(&push).unwrap();
    assert_eq!(sent.schema_version, 1);
    let r = t.post(paths::PUSH, push.clone()).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let result: PushResult = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(result.schema_version, 1);
    assert_eq!(result.results.len(), 8);
    assert!(
        result
            .results
            .iter()
            .all(|r| r.outcome == vigil_core::sync::protocol::EntryOutcome::Applied),
        "{result:?}"
    );
    // The same bytes again (the answer was lost): duplicates, nothing applied twice.
    let r = t.post(paths::PUSH, push).unwrap();
    let again: PushResult = serde_json::from_slice(&r.body).unwrap();
    assert!(again.results.iter().all(|r| matches!(
        r.outcome,
        vigil_core::sync::protocol::EntryOutcome::Duplicate { .. }
    )));
    assert_eq!(server.team_changes(&team).len(), 8);

    // The old phone still pulls in version 1 (its store holds its key).
    let dir = tempfile::tempdir().unwrap();
    let mut old = old_store(dir.path());
    let db = old.db_mut().unwrap();
    let mut req = PullRequest::signed(db.device_id(), 0, 100, now_ms(), db.device_key());
    req.schema_version = 1;
    req.signature = hex::encode(
        db.device_key()
            .sign(&vigil_core::sync::protocol::pull_signing_bytes(&req)),
    );
    let (status, body) = post_json(&t, paths::PULL, &req);
    assert_eq!(status, 200);
    let page: PullPage = serde_json::from_slice(&body).unwrap();
    assert_eq!((page.schema_version, page.changes.len()), (1, 8));

    // A teammate on the current release gets everything the old phone sent, verified.
    let mut b = Device::new(&server.url());
    b.enroll(&server, &team, "B");
    let r = b.sync().unwrap();
    assert_eq!(r.pulled, 8);
    let incidents = IncidentLog::new(&mut b.vault)
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        incidents[0].current.narrative,
        "Grey saloon seen twice outside the embassy gate, registration partly read"
    );
    let venues = venue::list_venues(b.db()).unwrap();
    assert_eq!(venues.len(), 1);
    assert_eq!(venues[0].name, "Fixture Hall");
    // The old release announced its photo without a key: kept in the inbox with the
    // reason, never silently dropped.
    let attachment = b
        .inbox()
        .into_iter()
        .find(|e| e.change.kind == "incident.attachment")
        .unwrap();
    assert_eq!(attachment.state, InboxState::Failed);
    assert!(attachment.note.unwrap().contains("older app"));
}

#[test]
fn the_previous_release_s_store_with_a_pending_outbox_syncs_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = old_store(dir.path());
    // Opened by the current code: migrated, nothing sent yet.
    assert_eq!(
        old.status().unwrap().schema_version,
        Some(vigil_core::store::SCHEMA_VERSION)
    );
    let pending = vigil_core::team::status(old.db().unwrap()).unwrap();
    assert_eq!((pending.pending, pending.attachments_to_upload), (8, 1));
    // Its pages keep the HMAC they were written with (new stores use HMAC-SHA256).
    let hmac: String = old
        .db()
        .unwrap()
        .raw_connection()
        .query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0))
        .unwrap();
    assert_eq!(hmac, "HMAC_SHA512");
    // Its per-entry search index became one row per incident (schema 8): the report's
    // words, the amendment's reason and its new words all still find the incident.
    {
        let log = IncidentLog::new(&mut old);
        let found = |q: &str| log.search(q, &Page::default()).unwrap().len();
        assert_eq!(
            (found("embassy gate"), found("photo"), found("partly read")),
            (1, 1, 1)
        );
        assert_eq!(found("helicopter"), 0);
    }

    let server = TestServer::start();
    let team = server.new_team("Alpha");
    let code = server.code(&team);
    let engine = vigil_core::team::engine(Box::new(server.transport()));
    engine
        .enroll(
            old.db_mut().unwrap(),
            &server.url(),
            &code,
            "Fixture Officer",
        )
        .unwrap();
    let r = engine.sync_now(old.db_mut().unwrap()).unwrap();
    assert_eq!((r.pushed, r.quarantined, r.attachments_uploaded), (8, 0, 1));
    assert_eq!(SCHEMA_VERSION, 3);

    let mut b = Device::new(&server.url());
    b.enroll(&server, &team, "B");
    let r = b.sync().unwrap();
    assert_eq!(
        (r.pulled, r.attachments_downloaded, r.attachments_failed),
        (8, 1, 0)
    );
    let log = IncidentLog::new(&mut b.vault);
    let incidents = log
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap();
    assert_eq!(incidents.len(), 1);
    let view = log.get(&incidents[0].incident_id).unwrap();
    assert_eq!(view.current.attachments.len(), 1);
    let mut photo = Vec::new();
    log.read_attachment(&view.current.attachments[0].id, &mut photo)
        .unwrap();
    assert_eq!(photo, fixture_photo());
    // Every change the old phone had queued is on the server once.
    assert_eq!(server.team_changes(&team).len(), 8);
    assert!(
        b.inbox().iter().all(|e| e.state == InboxState::Applied),
        "{:?}",
        b.inbox()
    );
}

/// A server of the previous release (schema 1, no anchoring) that already took the old
/// phone's push is upgraded: each device's chain head starts at its latest stored entry,
/// so the phone's next incident entry links on instead of being refused.
#[test]
fn a_server_upgraded_from_the_previous_release_keeps_anchoring_its_devices_on_sqlite() {
    crate::common::sqlite_only();
    use std::sync::Arc;
    use vigil_server::{BackgroundServer, SqliteStorage, Storage};

    let dir = tempfile::tempdir().unwrap();
    let enroll: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("wire-v1/enroll.json")).unwrap())
            .unwrap();
    let push: PushBatch =
        serde_json::from_slice(&std::fs::read(fixtures().join("wire-v1/push.json")).unwrap())
            .unwrap();
    let code = std::fs::read_to_string(fixtures().join("wire-v1/enroll-code.txt")).unwrap();
    let code_hash = {
        let n: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        hex::encode(digest::digest(&digest::SHA256, n.as_bytes()))
    };
    let device = push.device_id.clone();
    {
        // What the previous release's server held after that push, in its own schema.
        let db = rusqlite::Connection::open(dir.path().join("vigil-server.db")).unwrap();
        db.execute_batch(include_str!("../src/sql/0001_init.sql"))
            .unwrap();
        db.pragma_update(None, "user_version", 1).unwrap();
        let now = now_ms() as i64;
        db.execute(
            "INSERT INTO teams(id, name, created_ms) VALUES ('team-1', 'Alpha', ?1)",
            [now],
        )
        .unwrap();
        db.execute(
            "INSERT INTO officers(id, team_id, name, created_ms)
             VALUES ('officer-1', 'team-1', 'Fixture Officer', ?1)",
            [now],
        )
        .unwrap();
        let key = hex::decode(enroll["public_key"].as_str().unwrap()).unwrap();
        db.execute(
            "INSERT INTO devices(id, team_id, officer_id, public_key, enrolled_ms)
             VALUES (?1, 'team-1', 'officer-1', ?2, ?3)",
            rusqlite::params![device, key, now],
        )
        .unwrap();
        db.execute(
            "INSERT INTO enrollment_codes(code_hash, team_id, created_ms, expires_ms, used_ms, used_by)
             VALUES (?1, 'team-1', ?2, ?3, ?2, ?4)",
            rusqlite::params![code_hash, now, now + 3_600_000, device],
        )
        .unwrap();
        for e in &push.entries {
            db.execute(
                "INSERT INTO changes(team_id, device_id, seq, op_id, hlc, kind, entity_id,
                                     payload, received_ms)
                 VALUES ('team-1', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    device,
                    e.seq as i64,
                    e.op_id,
                    e.hlc.to_string(),
                    e.kind,
                    e.entity_id,
                    e.payload.to_string(),
                    now
                ],
            )
            .unwrap();
            db.execute(
                "INSERT INTO op_results(device_id, seq, op_id, outcome) VALUES (?1, ?2, ?3, 'applied')",
                rusqlite::params![device, e.seq as i64, e.op_id],
            )
            .unwrap();
        }
        db.execute(
            "INSERT INTO device_cursor(device_id, last_seq) VALUES (?1, 8)",
            [&device],
        )
        .unwrap();
    }

    // The upgrade: the current server opens that file, encrypting it on the way.
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_dir(dir.path()).unwrap());
    let file = std::fs::read(dir.path().join("vigil-server.db")).unwrap();
    assert!(!file.starts_with(b"SQLite format 3"), "encrypted in place");
    assert!(
        !file.windows(16).any(|w| w == b"Grey saloon seen"),
        "no narrative left in the clear"
    );
    let head = storage
        .chain_head(&device)
        .unwrap()
        .expect("head from the stored entries");
    let last = push
        .entries
        .iter()
        .rfind(|e| e.kind == "incident.entry")
        .unwrap();
    assert_eq!(head.seq, last.payload["seq"].as_u64().unwrap());
    assert_eq!(
        hex::encode(head.hash),
        last.payload["hash"].as_str().unwrap()
    );
    let server = BackgroundServer::start(
        storage.clone(),
        "127.0.0.1:0".parse().unwrap(),
        vigil_server::api::DEFAULT_BODY_LIMIT,
    )
    .unwrap();
    let url = server.url();

    // The phone (that release's store, updated to this one) finds its enrollment again
    // (the same code and key get the same answer), its queue is answered as duplicates,
    // and its next incident entry is anchored on top of the old ones.
    let store = tempfile::tempdir().unwrap();
    let mut phone = old_store(store.path());
    let engine = vigil_core::team::engine(Box::new(
        vigil_core::sync::transport::HttpTransport::without_reuse(
            &url,
            std::time::Duration::from_secs(5),
        )
        .unwrap(),
    ));
    engine
        .enroll(
            phone.db_mut().unwrap(),
            &url,
            code.trim(),
            "Fixture Officer",
        )
        .unwrap();
    let r = engine.sync_now(phone.db_mut().unwrap()).unwrap();
    assert_eq!((r.pushed, r.quarantined), (8, 0));
    let incident = IncidentLog::new(&mut phone)
        .quick_log(vigil_core::incident::Category::Medical, None)
        .unwrap();
    let r = engine.sync_now(phone.db_mut().unwrap()).unwrap();
    assert_eq!((r.pushed, r.quarantined), (1, 0), "the new entry links on");
    assert_eq!(
        storage.chain_head(&device).unwrap().unwrap().seq,
        incident.seq
    );
}
