//! Nothing the officer does waits for the network: with a sync held inside a push, a pull
//! or an attachment upload (a transport that stops until the test releases it), a quick
//! log, an amendment, a checklist answer, a list and a search on another thread of the
//! same shared vault all complete while the request is still held. The sync then
//! completes; nothing is lost or sent twice. Also: the vault locked while a request is in
//! flight fails the sync cleanly, and the retry is harmless.
//!
//! Barriers, not timings: the test waits for the transport to report that it holds the
//! request, runs the officer's calls, and only then releases it. The only timeout is a
//! guard against a hang (a regression would otherwise block the suite forever).

use crate::common;

use std::collections::HashSet;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use common::{log, Device, TestServer};
use vigil_core::advance::template::builtin_templates;
use vigil_core::advance::walk::{self, CheckState, WalkSubject};
use vigil_core::incident::{Category, IncidentFilter, IncidentLog, Page, ReportPatch};
use vigil_core::store::outbox;
use vigil_core::sync::protocol::{paths, PushBatch};
use vigil_core::sync::transport::HttpTransport;
use vigil_core::sync::{Response, SyncError, Transport, TransportError};
use vigil_core::testing::RawConnection;
use vigil_core::{SharedVault, StoreError};
use vigil_testkit::fixtures::{answer, check};

/// Where the transport stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hold {
    /// The first push batch that carries entries.
    Push,
    /// The first pull.
    Pull,
    /// The first chunk of an attachment upload.
    BlobPut,
}

/// The real HTTP transport, stopped once at `hold` until the test releases it.
struct Held {
    inner: HttpTransport,
    hold: Hold,
    entered: Mutex<Option<Sender<()>>>,
    release: Mutex<Option<Receiver<()>>>,
}

impl Held {
    fn new(url: &str, hold: Hold) -> (Held, Receiver<()>, Sender<()>) {
        let (entered_tx, entered_rx) = channel();
        let (release_tx, release_rx) = channel();
        let t = Held {
            inner: HttpTransport::without_reuse(url, Duration::from_secs(30)).unwrap(),
            hold,
            entered: Mutex::new(Some(entered_tx)),
            release: Mutex::new(Some(release_rx)),
        };
        (t, entered_rx, release_tx)
    }

    fn matches(&self, path: &str, body: &[u8]) -> bool {
        match self.hold {
            Hold::Push => {
                path == paths::PUSH
                    && serde_json::from_slice::<PushBatch>(body)
                        .map(|b| !b.entries.is_empty())
                        .unwrap_or(false)
            }
            Hold::Pull => path == paths::PULL,
            Hold::BlobPut => path == paths::BLOB_PUT,
        }
    }

    /// Stops here the first time the request matches, until released.
    fn maybe_hold(&self, path: &str, body: &[u8]) {
        if !self.matches(path, body) {
            return;
        }
        let Some(entered) = self.entered.lock().unwrap().take() else {
            return;
        };
        let release = self.release.lock().unwrap().take().unwrap();
        entered.send(()).unwrap();
        release.recv().unwrap();
    }
}

impl Transport for Held {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        self.maybe_hold(path, &body);
        self.inner.post(path, body)
    }

    fn post_octets(&self, path: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        self.maybe_hold(path, &body);
        self.inner.post_octets(path, body)
    }
}

/// Long enough never to fire unless the officer's calls are stuck behind the held request.
const HANG_GUARD: Duration = Duration::from_secs(120);

struct Scene {
    server: TestServer,
    team: String,
    /// Device A's vault, shared by the sync and the officer's calls.
    shared: SharedVault,
    _dir: tempfile::TempDir,
    b: Device,
    walk_id: String,
    item: String,
    incident: String,
}

/// Device A with three logged incidents (one with a photo), a started walk; device B with
/// one incident already on the server (so A has something to pull).
fn scene() -> Scene {
    let server = TestServer::start();
    let (mut a, mut b, team) = server.pair();
    log(&mut b, "B saw a drone over the car park");
    b.sync().unwrap();

    let incident = log(&mut a, "Grey van opposite the entrance");
    log(&mut a, "Photographer at the side gate");
    {
        let mut l = IncidentLog::new(&mut a.vault);
        let id = l
            .quick_log(Category::SuspiciousActivity, None)
            .unwrap()
            .incident_id;
        l.attach(
            &id,
            &mut &vigil_testkit::photo(1, 300 * 1024)[..],
            "image/jpeg",
            None,
        )
        .unwrap();
    }
    let template = builtin_templates()
        .into_iter()
        .find(|t| t.id == "vigil.vehicle-check")
        .unwrap();
    let item = template
        .items()
        .find(|(_, i)| matches!(i.kind, vigil_core::advance::ItemKind::Check))
        .map(|(_, i)| i.id.clone())
        .unwrap();
    let w = walk::start_walk_with(
        a.db(),
        &template,
        &WalkSubject::Other {
            label: "Car 2".into(),
        },
        "Officer A",
    )
    .unwrap();
    let Device { dir, vault, .. } = a;
    Scene {
        server,
        team,
        shared: SharedVault::new(vault),
        _dir: dir,
        b,
        walk_id: w.id,
        item,
        incident,
    }
}

/// What the officer does meanwhile: a quick log, an amendment, a checklist answer, a list
/// and a search. Returns how many changes it queued.
fn officer_calls(shared: &SharedVault, walk_id: &str, item: &str, incident: &str) -> u64 {
    let mut v = shared.lock();
    let mut l = IncidentLog::new(&mut v);
    l.quick_log(Category::Medical, None).unwrap();
    let patch = ReportPatch {
        narrative: Some("The van left at 14:05".into()),
        ..ReportPatch::default()
    };
    l.amend(incident, "more detail", patch).unwrap();
    let listed = l
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap();
    assert!(listed.len() >= 3, "the list answers while the sync is held");
    let found = l.search("grey van", &Page::default()).unwrap();
    assert_eq!(found.len(), 1, "the search answers while the sync is held");
    drop(l);
    let input = answer(item, check(CheckState::Ok), "Officer A");
    walk::answer_item(v.db_mut().unwrap(), walk_id, &input).unwrap();
    3
}

/// Syncs A with `transport` on its own thread, waits until the request is held, runs the
/// officer's calls on another thread and requires them to finish before the release.
fn held_sync_with_officer(sc: &Scene, hold: Hold) -> u64 {
    let (t, entered, release) = Held::new(&sc.server.url(), hold);
    let engine = vigil_core::team::engine(Box::new(t));
    let mut store = sc.shared.clone();
    let sync = thread::spawn(move || engine.sync_now(&mut store));
    entered
        .recv_timeout(HANG_GUARD)
        .expect("the sync reaches the held request");

    let (done_tx, done_rx) = channel();
    let officer = {
        let shared = sc.shared.clone();
        let (w, i, inc) = (sc.walk_id.clone(), sc.item.clone(), sc.incident.clone());
        thread::spawn(move || {
            let n = officer_calls(&shared, &w, &i, &inc);
            done_tx.send(n).unwrap();
        })
    };
    let queued = done_rx
        .recv_timeout(HANG_GUARD)
        .expect("the officer's calls complete while the request is still held");
    officer.join().unwrap();

    release.send(()).unwrap();
    let report = sync.join().unwrap().expect("the held sync completes");
    assert_eq!(report.quarantined, 0);
    queued
}

/// Drains A and checks the server holds each of A's changes exactly once, and B sees them.
fn drain_and_check(sc: &mut Scene) {
    let engine = vigil_core::team::engine(Box::new(sc.server.transport()));
    let mut store = sc.shared.clone();
    engine.sync_now(&mut store).unwrap();
    let (pending, device) = sc
        .shared
        .with_db(|db| {
            (
                outbox::status(db.raw_connection()).unwrap().pending,
                db.device_id().to_string(),
            )
        })
        .unwrap();
    assert_eq!(pending, 0, "nothing left behind");
    let mine: Vec<_> = sc
        .server
        .team_changes(&sc.team)
        .into_iter()
        .filter(|c| c.device_id == device)
        .collect();
    let seqs: HashSet<u64> = mine.iter().map(|c| c.seq).collect();
    assert_eq!(seqs.len(), mine.len(), "no change stored twice");
    let expected: Vec<u64> = (1..=mine.len() as u64).collect();
    let mut got: Vec<u64> = seqs.into_iter().collect();
    got.sort();
    assert_eq!(got, expected, "every change of A, in order, none missing");
    // Before: 3 incidents, the photo (its amendment and its attachment), the walk's start;
    // during: a quick log, an amendment, an answer.
    assert_eq!(mine.len(), 9);

    sc.b.sync().unwrap();
    let l = IncidentLog::new(&mut sc.b.vault);
    let listed = l
        .list(&IncidentFilter::default(), &Page::default())
        .unwrap();
    assert_eq!(listed.len(), 5, "B has its own incident and A's four");
    let found = l.search("van left", &Page::default()).unwrap();
    assert_eq!(found.len(), 1, "A's amendment reached B");
}

#[test]
fn officer_calls_do_not_wait_for_a_held_push() {
    let mut sc = scene();
    held_sync_with_officer(&sc, Hold::Push);
    drain_and_check(&mut sc);
}

#[test]
fn officer_calls_do_not_wait_for_a_held_pull() {
    let mut sc = scene();
    held_sync_with_officer(&sc, Hold::Pull);
    drain_and_check(&mut sc);
}

#[test]
fn officer_calls_do_not_wait_for_a_held_attachment_upload() {
    let mut sc = scene();
    held_sync_with_officer(&sc, Hold::BlobPut);
    drain_and_check(&mut sc);
}

/// The vault is locked while a push is in flight: recording the answer fails cleanly with
/// `Locked`, nothing is lost; after unlocking, the retry is answered `duplicate` and
/// acknowledged, and nothing is stored twice.
#[test]
fn a_vault_locked_during_a_push_fails_cleanly_and_the_retry_is_harmless() {
    let mut sc = scene();
    let (t, entered, release) = Held::new(&sc.server.url(), Hold::Push);
    let engine = vigil_core::team::engine(Box::new(t));
    let mut store = sc.shared.clone();
    let sync = thread::spawn(move || engine.sync_now(&mut store));
    entered.recv_timeout(HANG_GUARD).expect("held");
    sc.shared.lock().lock().unwrap();
    release.send(()).unwrap();
    match sync.join().unwrap() {
        Err(SyncError::Store(StoreError::Locked)) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
    sc.shared
        .lock()
        .unlock_with_passphrase(b"correct horse", None)
        .unwrap();
    let pending = sc
        .shared
        .with_db(|db| outbox::status(db.raw_connection()).unwrap().pending)
        .unwrap();
    assert_eq!(
        pending, 6,
        "the acknowledgement was not recorded: all still queued"
    );
    let engine = vigil_core::team::engine(Box::new(sc.server.transport()));
    let r = engine.sync_now(&mut sc.shared.clone()).unwrap();
    assert_eq!((r.pushed, r.quarantined), (6, 0), "duplicates acknowledged");
    // The officer's changes after the retry, then the same end state as the others.
    officer_calls(&sc.shared, &sc.walk_id, &sc.item, &sc.incident);
    drain_and_check(&mut sc);
}
