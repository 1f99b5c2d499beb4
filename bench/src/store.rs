//! Workloads on a real encrypted store on disk: log, list, search, open and unlock,
//! answer a checklist item, route analytics, and the cost split of one log.

use std::time::{Duration, Instant};

use rusqlite::types::Value;
use vigil_core::advance::route::{self, RouteInput};
use vigil_core::advance::walk::{self, AnswerInput, CheckState, WalkSubject};
use vigil_core::advance::{haven, summary, HavenFilter, HavenKind, HospitalInfo, Position};
use vigil_core::advance::{SafeHaven, SafeHavenInput};
use vigil_core::crypto::KdfParams;
use vigil_core::incident::{
    Category, IncidentFilter, IncidentLog, Location, LocationSource, OccurredAt, Page, Report,
    Severity,
};
use vigil_core::{KdfChoice, Vault};

use crate::data::{self, Incident};
use crate::harness::Effort;
use crate::result::Figure;
use crate::rows;
use crate::stats::time_n;
use crate::Plan;
use vigil_core::testing::RawConnection;
use vigil_testkit::fixtures::{answer, check};

/// The data workloads' stores use the test kit's tiny Argon2id (the KDF is measured on
/// its own, `kdf_*`).
pub use vigil_testkit::{fast_kdf, PASSPHRASE};

/// Vigil's report for synthetic incident `i`.
pub fn report(i: &Incident) -> Report {
    let mut r = Report::quick(
        i.category.parse().unwrap_or(Category::Other),
        Some(Location {
            latitude: i.latitude,
            longitude: i.longitude,
            accuracy_m: Some(8.0),
            source: LocationSource::Gps,
        }),
    );
    r.occurred = OccurredAt {
        utc: chrono::DateTime::from_timestamp_millis(i.occurred_ms).unwrap_or_default(),
        offset_minutes: 0,
        zone: None,
    };
    r.severity = i.severity.parse::<Severity>().ok();
    r.narrative = i.narrative.clone();
    r.tags = i.tags.clone();
    r.officer = Some("PS Hale".into());
    r
}

/// Logs incidents `from..to` through the real API.
pub fn fill(vault: &mut Vault, from: u64, to: u64) {
    let mut log = IncidentLog::new(vault);
    for n in from..to {
        log.log(report(&data::incident(n)))
            .expect("log a synthetic incident");
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Every store workload at size `n`. Reads first (the store holds exactly `n` incidents),
/// then the writes.
pub fn run_size(plan: &Plan, n: u64, out: &mut Vec<Figure>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = dir.path().join("store");
    let mut vault = Vault::create(&store, PASSPHRASE, fast_kdf(), None).expect("create a store");
    let t = Instant::now();
    fill(&mut vault, 0, n);
    eprintln!("  filled {n} incidents in {:.1} s", ms_since(t) / 1e3);

    // Reads.
    let filter = IncidentFilter::default();
    let samples = time_n(plan.iters(50), |_| {
        let log = IncidentLog::new(&mut vault);
        let got = log.list(&filter, &Page::default()).expect("list");
        assert_eq!(got.len() as u64, n.min(50));
    });
    out.push(Figure::from_samples("list_newest_50", n, &samples));

    let samples = time_n(plan.iters_big(n, 5), |_| {
        let log = IncidentLog::new(&mut vault);
        let mut total = 0u64;
        let mut page = Page::first(500);
        loop {
            let got = log.list(&filter, &page).expect("list a page");
            total += got.len() as u64;
            match got.last() {
                Some(last) if got.len() == 500 => {
                    page = Page::after(500, last.incident_id.clone());
                }
                _ => break,
            }
        }
        assert_eq!(total, n);
    });
    out.push(
        Figure::from_samples("list_all", n, &samples)
            .with_note("keyset pages of 500, every view decoded"),
    );

    let mut hits = 0;
    let samples = time_n(plan.iters(50), |_| {
        let log = IncidentLog::new(&mut vault);
        hits = log
            .search(data::SEARCH_TEXT, &Page::default())
            .expect("search")
            .len();
    });
    out.push(
        Figure::from_samples("search_50", n, &samples).with_note(format!(
            "FTS5 \"{}\", newest 50 ({hits} returned)",
            data::SEARCH_TEXT
        )),
    );

    // Open and unlock this store (tiny KDF: the cost is SQLCipher's open and the schema).
    vault.lock().expect("lock");
    let samples = time_n(plan.iters(20), |_| {
        let mut v = Vault::open(&store).expect("open");
        v.unlock_with_passphrase(PASSPHRASE, None).expect("unlock");
        v.lock().expect("lock");
    });
    out.push(
        Figure::from_samples("open_unlock_no_kdf", n, &samples)
            .with_note("Vault::open + unlock with a 64 KiB Argon2 (KDF negligible)"),
    );
    let mut vault = Vault::open(&store).expect("open");
    vault
        .unlock_with_passphrase(PASSPHRASE, None)
        .expect("unlock");

    // Writes: log one incident on a store of n.
    let iters = plan.iters(200) as u64;
    let mut next = n;
    let samples = time_n(iters as usize, |_| {
        let mut log = IncidentLog::new(&mut vault);
        log.log(report(&data::incident(next))).expect("log");
        next += 1;
    });
    out.push(
        Figure::from_samples("log_incident", n, &samples)
            .with_note("seal (SQLCipher), sign, chain, view, FTS, outbox"),
    );

    // The cost split: the same rows by raw SQL on the same keyed connection.
    split(plan, &mut vault, n, out);

    // Answer a checklist item.
    let db = vault.db_mut().expect("unlocked");
    let subject = WalkSubject::Other {
        label: "Vehicle 3".into(),
    };
    let w = walk::start_walk(db, "vigil.vehicle-check", None, &subject, "PS Hale")
        .expect("start a walk");
    let samples = time_n(plan.iters(200), |i| {
        let state = if i % 2 == 0 {
            CheckState::Ok
        } else {
            CheckState::Issue
        };
        let input = AnswerInput {
            note: format!("checked {i}"),
            position: Some(Position::new(51.5158, -0.0917)),
            ..answer("underside", check(state), "PS Hale")
        };
        walk::answer_item(db, &w.id, &input).expect("answer");
    });
    out.push(Figure::from_samples("answer_item", n, &samples));

    route_workloads(plan, &mut vault, n, out);
}

/// Log one incident three ways on the same store: Vigil's API (already measured), the
/// same rows by raw SQL (SQLCipher, no canonical encoding, hashing, signing or view
/// rebuild), and those rows without the outbox row. Plus signing and hashing alone.
fn split(plan: &Plan, vault: &mut Vault, n: u64, out: &mut Vec<Figure>) {
    let conn = vault.db().expect("unlocked").raw_connection();
    for (name, with_outbox, salt) in [
        ("log_raw_sql", true, 0xA11CE_u64),
        ("log_raw_sql_no_outbox", false, 0xB0B_u64),
    ] {
        let device = format!("bench-{name}");
        let samples = time_n(plan.iters(200), |k| {
            let i = data::incident(n + 10_000 + k as u64);
            let id = data::incident_id(i.index, salt);
            let view = data::view_json(&i, &id);
            let body = data::entry_json(&i, &id);
            rows::insert(
                conn,
                &rows::Rows {
                    device_id: &device,
                    seq: k as i64 + 1,
                    id: &id,
                    occurred_ms: i.occurred_ms,
                    category: i.category,
                    body: body.as_bytes(),
                    view: Value::Text(view.clone()),
                    fts: Some(&i.narrative),
                    outbox: with_outbox.then(|| Value::Text(body.clone())),
                },
            )
            .expect("raw insert");
        });
        out.push(Figure::from_samples(name, n, &samples).with_note(
            "same rows as a log, raw SQL on the keyed SQLCipher connection, nothing signed",
        ));
    }

    // Hashing and signing alone: SHA-256 over an entry-sized body, then Ed25519.
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("a key");
    let key = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("a key");
    let body = data::entry_json(&data::incident(n), "bench");
    let samples = time_n(plan.iters(2000), |_| {
        let h = ring::digest::digest(&ring::digest::SHA256, body.as_bytes());
        std::hint::black_box(key.sign(h.as_ref()));
    });
    out.push(
        Figure::from_samples("sign_and_hash", n, &samples)
            .with_note("SHA-256 of a ~1 KB body + Ed25519 signature (ring)"),
    );
}

/// A 10,000-point route (a wandering line through London) and 50 havens.
fn synthetic_route(points: usize) -> (RouteInput, Vec<SafeHavenInput>) {
    let line: Vec<Position> = data::route_line(points)
        .into_iter()
        .map(|(lat, lon)| Position::new(lat, lon))
        .collect();
    let havens = (0..50)
        .map(|k| {
            let at = line[k * points / 50];
            SafeHavenInput {
                id: None,
                kind: HavenKind::Hospital,
                name: format!("Hospital {k}"),
                position: Position::new(at.lat + 0.01, at.lon - 0.01),
                hospital: Some(HospitalInfo {
                    emergency_department: k % 2 == 0,
                    trauma_level: None,
                    helipad: false,
                }),
                address: None,
                phone: None,
                opening_hours: Some("24/7".into()),
                notes: String::new(),
            }
        })
        .collect();
    let route = RouteInput {
        name: "Primary, hotel to venue".into(),
        line,
        ..RouteInput::default()
    };
    (route, havens)
}

fn route_workloads(plan: &Plan, vault: &mut Vault, n: u64, out: &mut Vec<Figure>) {
    let db = vault.db_mut().expect("unlocked");
    let points = plan.route_points();
    let (input, haven_inputs) = synthetic_route(points);
    let t = Instant::now();
    let saved = route::save_route(db, &input).expect("save the route");
    let save_ms = ms_since(t);
    let havens: Vec<SafeHaven> = haven_inputs
        .iter()
        .map(|h| haven::save_haven(db, h).expect("save a haven"))
        .collect();
    out.push(
        Figure::from_samples("route_save", n, &[Duration::from_secs_f64(save_ms / 1e3)]).with_note(
            format!("{points} points, one save (validation, JSON, encrypted insert, outbox)"),
        ),
    );
    let samples = time_n(plan.iters(20), |_| {
        std::hint::black_box(route::get_route(db, &saved.id).expect("get route"));
    });
    out.push(Figure::from_samples("route_load", n, &samples).with_note(format!("{points} points")));
    let mut rng = data::Rng::new(7);
    let probe = |rng: &mut data::Rng| {
        let at = saved.line[rng.below(saved.line.len() as u64) as usize];
        Position::new(at.lat + 0.0005, at.lon)
    };
    let samples = time_n(plan.iters(100), |_| {
        let p = probe(&mut rng);
        std::hint::black_box(saved.off_route(p, 50.0).expect("off route"));
        std::hint::black_box(saved.progress(p).expect("progress"));
    });
    out.push(
        Figure::from_samples("route_off_route_progress", n, &samples).with_note(format!(
            "off_route + progress of one position, {points} points"
        )),
    );
    let samples = time_n(plan.iters(100), |_| {
        let p = probe(&mut rng);
        std::hint::black_box(haven::nearest_in(
            &havens,
            p,
            HavenFilter::EmergencyHospital,
        ));
    });
    out.push(Figure::from_samples("route_nearest_haven", n, &samples).with_note("50 havens"));
    let samples = time_n(plan.iters(10), |_| {
        std::hint::black_box(summary::summarize(&saved, &havens).expect("summary"));
        std::hint::black_box(
            saved
                .havens_in_corridor(&havens, 2_000.0, HavenFilter::Any)
                .expect("corridor"),
        );
    });
    out.push(
        Figure::from_samples("route_summary_corridor", n, &samples)
            .with_note("summary (length, bounds, coverage gap) + havens in a 2 km corridor"),
    );
}

/// The default KDF alone, and open + unlock of a store protected by it.
pub fn open_default_kdf(plan: &Plan, out: &mut Vec<Figure>) {
    let params = KdfParams::default();
    let samples = time_n(plan.iters(5), |_| {
        std::hint::black_box(params.derive(PASSPHRASE, &[1u8; 16]).expect("derive"));
    });
    out.push(
        Figure::from_samples("kdf_default", 0, &samples)
            .with_note("Argon2id m=64 MiB t=3 p=1 (the default), alone"),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = dir.path().join("store");
    let mut v =
        Vault::create(&store, PASSPHRASE, KdfChoice::default(), None).expect("create a store");
    fill(&mut v, 0, 10);
    v.lock().expect("lock");
    let samples = time_n(plan.iters(5), |_| {
        let mut v = Vault::open(&store).expect("open");
        v.unlock_with_passphrase(PASSPHRASE, None).expect("unlock");
        v.lock().expect("lock");
    });
    out.push(
        Figure::from_samples("open_unlock_default_kdf", 0, &samples)
            .with_note("a 10-incident store; minus kdf_default = SQLCipher open + key file"),
    );
}

/// The same log and search with SQLCipher's memory security on, which Vigil leaves off
/// (docs/SECURITY.md): what that choice buys in time. Once on it stays on for the
/// process, so this group runs in a process of its own (`bench/run` does).
pub fn memory_security(plan: &Plan, n: u64, out: &mut Vec<Figure>) {
    let on = rusqlite::Connection::open_in_memory()
        .and_then(|c| {
            c.pragma_update(
                None,
                "key",
                "x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'",
            )?;
            c.pragma_update(None, "cipher_memory_security", "ON")?;
            c.query_row("PRAGMA cipher_memory_security", [], |r| {
                r.get::<_, String>(0)
            })
        })
        .expect("switch memory security on");
    assert!(
        on == "1" || on.eq_ignore_ascii_case("on"),
        "SQLCipher reports memory security {on}"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut vault = Vault::create(&dir.path().join("store"), PASSPHRASE, fast_kdf(), None)
        .expect("create a store");
    fill(&mut vault, 0, n);
    let samples = time_n(plan.iters(50), |_| {
        let log = IncidentLog::new(&mut vault);
        std::hint::black_box(
            log.search(data::SEARCH_TEXT, &Page::default())
                .expect("search"),
        );
    });
    out.push(
        Figure::from_samples("search_50_memory_security", n, &samples)
            .with_note("search_50 with cipher_memory_security = ON"),
    );
    let mut next = n;
    let samples = time_n(plan.iters(200), |_| {
        let mut log = IncidentLog::new(&mut vault);
        log.log(report(&data::incident(next))).expect("log");
        next += 1;
    });
    out.push(
        Figure::from_samples("log_incident_memory_security", n, &samples)
            .with_note("log_incident with cipher_memory_security = ON"),
    );
}
