//! `vigil-baseline`: the floors `vigil-bench` is compared with, on Vigil's own schema and
//! the same synthetic incidents. Two systems:
//!
//! * `plain`: plain SQLite, no encryption at all (the floor);
//! * `field`: plain SQLite with each record sealed by AES-256-GCM (ring, random nonce,
//!   key in memory): entry body, view and outbox payload. Sealed text cannot be indexed,
//!   so search decrypts every view and scans it (the point of the comparison).
//!
//! ```text
//! vigil-baseline [--sizes 1000,10000,100000] [--smoke] [--out FILE.json]
//! ```

#[allow(dead_code)]
#[path = "../../common/data.rs"]
mod data;
#[path = "../../common/harness.rs"]
mod harness;
#[path = "../../common/rows.rs"]
mod rows;
#[allow(dead_code)]
#[path = "../../src/stats.rs"]
mod stats;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::json;

use harness::Effort;
use stats::{peak_rss_kib, summarize, time_n};

struct Plan {
    sizes: Vec<u64>,
    smoke: bool,
    out: Option<String>,
}

impl harness::Effort for Plan {
    fn smoke(&self) -> bool {
        self.smoke
    }
}

fn parse(args: &[String]) -> Result<Plan, String> {
    let mut plan = Plan {
        sizes: vec![1_000, 10_000, 100_000],
        smoke: false,
        out: None,
    };
    let mut sizes_given = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => plan.smoke = true,
            "--sizes" => {
                let v = it.next().ok_or("--sizes needs a value")?;
                plan.sizes = harness::sizes(v)?;
                sizes_given = true;
            }
            "--out" => plan.out = Some(it.next().ok_or("--out needs a value")?.clone()),
            other => {
                return Err(format!(
                    "unknown argument {other:?}\n\
                     usage: vigil-baseline [--sizes N,N,..] [--smoke] [--out FILE]"
                ))
            }
        }
    }
    if plan.smoke && !sizes_given {
        plan.sizes = vec![100, 300];
    }
    if plan.sizes.is_empty() || plan.sizes.contains(&0) {
        return Err("sizes must be positive".into());
    }
    Ok(plan)
}

#[derive(Clone, Copy, PartialEq)]
enum System {
    Plain,
    Field,
}

impl System {
    fn name(self) -> &'static str {
        match self {
            System::Plain => "plain",
            System::Field => "field",
        }
    }
}

/// AES-256-GCM with a random 96-bit nonce per record, stored as nonce || ciphertext.
struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl Sealer {
    fn new() -> Sealer {
        let mut k = [0u8; 32];
        SystemRandom::new().fill(&mut k).expect("random key");
        Sealer::from_key(&k)
    }

    fn from_key(k: &[u8; 32]) -> Sealer {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, k).expect("AES-256 key"));
        Sealer {
            key,
            rng: SystemRandom::new(),
        }
    }

    fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut n = [0u8; NONCE_LEN];
        self.rng.fill(&mut n).expect("random nonce");
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(n), Aad::empty(), &mut buf)
            .expect("seal");
        let mut out = n.to_vec();
        out.extend_from_slice(&buf);
        out
    }

    fn open(&self, sealed: &[u8]) -> Vec<u8> {
        let (n, ct) = sealed.split_at(NONCE_LEN.min(sealed.len()));
        let nonce = Nonce::try_assume_unique_for_key(n).expect("a stored nonce");
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut buf)
            .expect("open a sealed record");
        plain.to_vec()
    }
}

/// Opens (or creates) the database as Vigil does, minus the key: WAL, synchronous
/// NORMAL, secure_delete, temp_store MEMORY, foreign keys, a 16 MiB page cache; applies
/// the schema if new.
fn open(path: &Path, system: System) -> Connection {
    let conn = Connection::open(path).expect("open SQLite");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .expect("WAL");
    for (k, v) in [
        ("secure_delete", "ON"),
        ("temp_store", "MEMORY"),
        ("foreign_keys", "ON"),
        ("synchronous", "NORMAL"),
        // Vigil's page cache (16 MiB), so both hold the same number of pages in memory.
        ("cache_size", "-16384"),
    ] {
        conn.pragma_update(None, k, v).expect("pragma");
    }
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    if version == 0 {
        for (i, sql) in rows::SCHEMA.iter().enumerate() {
            let sql = match system {
                // Sealed documents are bytes; the STRICT tables must say so.
                System::Field => sql
                    .replace("view          TEXT", "view          BLOB")
                    .replace("record   TEXT NOT NULL", "record   BLOB NOT NULL")
                    .replace("doc      TEXT NOT NULL", "doc      BLOB NOT NULL")
                    .replace("template_doc   TEXT", "template_doc   BLOB"),
                System::Plain => sql.to_string(),
            };
            conn.execute_batch(&sql).expect("schema");
            conn.pragma_update(None, "user_version", i as i64 + 1)
                .expect("user_version");
        }
    }
    conn
}

/// The view decoded into a typed value, as Vigil decodes its `IncidentSummary` (times
/// stay strings here: Vigil also parses them, so this is slightly kinder to the baseline).
#[allow(dead_code)]
#[derive(Deserialize)]
struct View {
    incident_id: String,
    recorded_at: String,
    updated_at: String,
    amendments: u32,
    current: Current,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Occurred {
    utc: String,
    offset_minutes: i32,
    zone: Option<String>,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Loc {
    latitude: f64,
    longitude: f64,
    accuracy_m: Option<f64>,
    source: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Current {
    occurred: Occurred,
    category: String,
    severity: Option<String>,
    location: Option<Loc>,
    narrative: String,
    people: Vec<IgnoredAny>,
    vehicles: Vec<IgnoredAny>,
    actions_taken: Vec<String>,
    police_reference: Option<String>,
    witnesses: Vec<String>,
    tags: Vec<String>,
    venue_id: Option<String>,
    route_id: Option<String>,
    officer: Option<String>,
    attachments: Vec<IgnoredAny>,
}

/// The built-in vehicle-check template, as a walk stores its copy.
const VEHICLE_CHECK: &str = include_str!("../../../core/src/advance/templates/vehicle_check.json");

#[allow(dead_code)]
#[derive(Deserialize)]
struct Pt {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct RouteDoc {
    line: Vec<Pt>,
}

struct Store {
    conn: Connection,
    system: System,
    sealer: Sealer,
}

impl Store {
    fn log(&self, index: u64, salt: u64, with_outbox: bool) {
        let i = data::incident(index);
        let id = data::incident_id(index, salt);
        let view = data::view_json(&i, &id);
        let body = data::entry_json(&i, &id);
        let device = format!("baseline-{salt}");
        let seq = index as i64 + 1;
        let r = match self.system {
            System::Plain => rows::Rows {
                device_id: &device,
                seq,
                id: &id,
                occurred_ms: i.occurred_ms,
                category: i.category,
                body: body.as_bytes(),
                view: Value::Text(view),
                fts: Some(&i.narrative),
                outbox: with_outbox.then(|| Value::Text(body.clone())),
            },
            System::Field => {
                let sealed_body = self.sealer.seal(body.as_bytes());
                return rows::insert(
                    &self.conn,
                    &rows::Rows {
                        device_id: &device,
                        seq,
                        id: &id,
                        occurred_ms: i.occurred_ms,
                        category: i.category,
                        body: &sealed_body,
                        view: Value::Blob(self.sealer.seal(view.as_bytes())),
                        fts: None,
                        outbox: with_outbox.then(|| Value::Blob(self.sealer.seal(body.as_bytes()))),
                    },
                )
                .expect("insert");
            }
        };
        rows::insert(&self.conn, &r).expect("insert");
    }

    /// Decoded views of one page, newest first, after the incident `after` (as Vigil's
    /// list: the same keyset seek by id, SQL page, JSON decode).
    fn page(&self, limit: u32, after: Option<&str>) -> Vec<View> {
        let rows: Vec<Value> = match after {
            None => {
                let mut stmt = self
                    .conn
                    .prepare_cached(
                        "SELECT view FROM incident_views
                         ORDER BY occurred_ms DESC, incident_id DESC LIMIT ?1",
                    )
                    .expect("prepare");
                let rows = stmt.query_map([limit], |r| r.get(0)).expect("query");
                rows.map(|v| v.expect("row")).collect()
            }
            Some(id) => {
                let ms: i64 = self
                    .conn
                    .prepare_cached("SELECT occurred_ms FROM incident_views WHERE incident_id = ?1")
                    .expect("prepare")
                    .query_row([id], |r| r.get(0))
                    .expect("the page's last incident");
                let mut stmt = self
                    .conn
                    .prepare_cached(
                        "SELECT view FROM incident_views
                         WHERE occurred_ms <= ?1 AND (occurred_ms < ?2 OR incident_id < ?3)
                         ORDER BY occurred_ms DESC, incident_id DESC LIMIT ?4",
                    )
                    .expect("prepare");
                let rows = stmt
                    .query_map(rusqlite::params![ms, ms, id, limit], |r| r.get(0))
                    .expect("query");
                rows.map(|v| v.expect("row")).collect()
            }
        };
        rows.into_iter().map(|v| self.decode(v)).collect()
    }

    /// A document as stored: text, or sealed bytes.
    fn doc(&self, json: &str) -> Value {
        match self.system {
            System::Plain => Value::Text(json.to_string()),
            System::Field => Value::Blob(self.sealer.seal(json.as_bytes())),
        }
    }

    /// A stored document's JSON bytes (opened when sealed).
    fn json(&self, v: Value) -> Vec<u8> {
        match v {
            Value::Text(t) => t.into_bytes(),
            Value::Blob(b) => self.sealer.open(&b),
            _ => panic!("a document is text or bytes"),
        }
    }

    fn in_tx(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<()>) {
        self.conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        f(&self.conn).expect("write");
        self.conn.execute_batch("COMMIT").expect("commit");
    }

    fn outbox(
        &self,
        conn: &Connection,
        op: &str,
        kind: &str,
        payload: Value,
    ) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO outbox(op_id, hlc, kind, entity_id, payload, created_ms)
             VALUES (?1, '0000000000000-0000-bench', ?2, ?1, ?3, 0)",
        )?
        .execute(rusqlite::params![op, kind, payload])?;
        Ok(())
    }

    /// A walk of the built-in vehicle check, as Vigil stores it (its own template copy).
    fn start_walk(&self, walk_id: &str) {
        let template = self.doc(VEHICLE_CHECK);
        self.in_tx(|c| {
            c.execute(
                "INSERT INTO adv_walks(id, template_doc, subject_kind, subject_id, started_hlc,
                     started_by) VALUES (?1, ?2, 'other', 'Vehicle 3', 'h', 'PS Hale')",
                rusqlite::params![walk_id, template],
            )?;
            Ok(())
        });
    }

    /// Answers one item as Vigil does: read the walk and its template, write the answer
    /// record (upsert) and its outbox row in one transaction.
    fn answer(&self, walk_id: &str, k: usize) {
        let record = data::answer_json(walk_id, k);
        self.in_tx(|c| {
            let template: Value = c
                .prepare_cached("SELECT template_doc FROM adv_walks WHERE id = ?1")?
                .query_row([walk_id], |r| r.get(0))?;
            let template: serde_json::Value =
                serde_json::from_slice(&self.json(template)).expect("the template's JSON");
            std::hint::black_box(template);
            c.prepare_cached(
                "INSERT INTO adv_answers(walk_id, item_id, record, hlc) VALUES (?1, 'underside', ?2, ?3)
                 ON CONFLICT(walk_id, item_id) DO UPDATE SET record = excluded.record,
                 hlc = excluded.hlc",
            )?
            .execute(rusqlite::params![walk_id, self.doc(&record), format!("h{k}")])?;
            self.outbox(c, &format!("answer-{k}"), "checklist.answer", self.doc(&record))
        });
    }

    /// Saves a route document and its outbox row in one transaction.
    fn save_route(&self, id: &str, doc: &str) {
        self.in_tx(|c| {
            c.execute(
                "INSERT INTO adv_routes(id, journey, doc, hlc) VALUES (?1, NULL, ?2, 'h')
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, hlc = excluded.hlc",
                rusqlite::params![id, self.doc(doc)],
            )?;
            self.outbox(c, &format!("route-{id}"), "advance.route", self.doc(doc))
        });
    }

    /// Loads a route and decodes its line; returns the number of points.
    fn load_route(&self, id: &str) -> usize {
        let v: Value = self
            .conn
            .prepare_cached("SELECT doc FROM adv_routes WHERE id = ?1")
            .expect("prepare")
            .query_row([id], |r| r.get(0))
            .expect("the route");
        let route: RouteDoc = serde_json::from_slice(&self.json(v)).expect("the route's JSON");
        route.line.len()
    }

    fn decode(&self, v: Value) -> View {
        let bytes = match v {
            Value::Text(t) => t.into_bytes(),
            Value::Blob(b) => self.sealer.open(&b),
            _ => panic!("a view is text or bytes"),
        };
        serde_json::from_slice(&bytes).expect("a view's JSON")
    }

    /// The newest 50 incidents whose narrative or tags contain every word of `text`.
    fn search(&self, text: &str) -> Vec<View> {
        match self.system {
            System::Plain => {
                let q: Vec<String> = text
                    .split_whitespace()
                    .map(|w| format!("\"{w}\"*"))
                    .collect();
                // The same two steps as Vigil's search (core/src/incident/query.rs):
                // matching rowids from FTS, then row lookups or the index walk.
                let hits: Vec<i64> = self
                    .conn
                    .prepare_cached(
                        "SELECT rowid FROM incident_search WHERE incident_search MATCH ?1",
                    )
                    .expect("prepare")
                    .query_map([q.join(" AND ")], |r| r.get(0))
                    .expect("query")
                    .map(|r| r.expect("row"))
                    .collect();
                let incidents: i64 = self
                    .conn
                    .query_row(
                        "SELECT coalesce(max(rowid), 0) FROM incident_views",
                        [],
                        |r| r.get(0),
                    )
                    .expect("count");
                let many = (hits.len() as f64).powi(2) * 40.0 > 50.0 * incidents as f64;
                let member = if many { "+rowid" } else { "rowid" };
                let ids: Vec<String> = hits.iter().map(i64::to_string).collect();
                let mut stmt = self
                    .conn
                    .prepare_cached(&format!(
                        "SELECT view FROM incident_views
                         WHERE {member} IN (SELECT value FROM json_each(?1))
                         ORDER BY occurred_ms DESC, incident_id DESC LIMIT 50"
                    ))
                    .expect("prepare");
                let rows = stmt
                    .query_map([format!("[{}]", ids.join(","))], |r| r.get::<_, Value>(0))
                    .expect("query");
                rows.map(|v| self.decode(v.expect("row"))).collect()
            }
            System::Field => {
                // Nothing to index: decrypt every view, scan it, sort, keep 50.
                let mut stmt = self
                    .conn
                    .prepare_cached("SELECT view FROM incident_views")
                    .expect("prepare");
                let rows = stmt.query_map([], |r| r.get::<_, Value>(0)).expect("query");
                let mut hits: Vec<View> = Vec::new();
                for v in rows {
                    let view = self.decode(v.expect("row"));
                    let c = &view.current;
                    let mut hay = c.narrative.clone();
                    for t in &c.tags {
                        hay.push(' ');
                        hay.push_str(t);
                    }
                    if data::matches_all(&hay, text) {
                        hits.push(view);
                    }
                }
                // Same-width RFC 3339 strings sort as times do.
                hits.sort_by(|a, b| {
                    (&b.current.occurred.utc, &b.incident_id)
                        .cmp(&(&a.current.occurred.utc, &a.incident_id))
                });
                hits.truncate(50);
                hits
            }
        }
    }
}

fn figure(
    system: System,
    workload: &str,
    size: u64,
    samples: &[Duration],
    note: &str,
) -> serde_json::Value {
    let s = summarize(samples);
    json!({
        "system": system.name(),
        "workload": workload,
        "size": size,
        "iterations": s.iterations,
        "median_ms": s.median_ms,
        "p95_ms": s.p95_ms,
        "rate_per_s": null,
        "peak_rss_kib": peak_rss_kib(),
        "note": note,
    })
}

fn run_size(plan: &Plan, system: System, n: u64, out: &mut Vec<serde_json::Value>) {
    let dir = std::env::temp_dir().join(format!(
        "vigil-baseline-{}-{}-{n}",
        std::process::id(),
        system.name()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("store.db");
    let store = Store {
        conn: open(&path, system),
        system,
        sealer: Sealer::new(),
    };
    for k in 0..n {
        store.log(k, 1, true);
    }
    eprintln!("  {} {n}: filled", system.name());

    let s = time_n(plan.iters(50), |_| {
        assert_eq!(store.page(50, None).len() as u64, n.min(50));
    });
    out.push(figure(system, "list_newest_50", n, &s, ""));
    let s = time_n(plan.iters_big(n, 5), |_| {
        let mut total = 0u64;
        let mut after: Option<String> = None;
        loop {
            let got = store.page(500, after.as_deref());
            total += got.len() as u64;
            match got.last() {
                Some(last) if got.len() == 500 => after = Some(last.incident_id.clone()),
                _ => break,
            }
        }
        assert_eq!(total, n);
    });
    out.push(figure(
        system,
        "list_all",
        n,
        &s,
        "keyset pages of 500, every view decoded",
    ));
    let mut hits = 0;
    // Field-level search decrypts the whole store each time: fewer runs when large.
    let search_iters = match system {
        System::Plain => plan.iters(50),
        System::Field => plan.iters_big(n, 5),
    };
    let s = time_n(search_iters, |_| {
        hits = store.search(data::SEARCH_TEXT).len();
    });
    let how = match system {
        System::Plain => "FTS5",
        System::Field => "decrypt and scan every view",
    };
    out.push(figure(
        system,
        "search_50",
        n,
        &s,
        &format!("{how}, newest 50 ({hits} returned)"),
    ));
    drop(store);

    let s = time_n(plan.iters(20), |_| {
        let c = open(&path, system);
        let _: i64 = c
            .query_row("SELECT count(*) FROM incident_chain_head", [], |r| r.get(0))
            .expect("read");
    });
    out.push(figure(
        system,
        "open_unlock_no_kdf",
        n,
        &s,
        "open, pragmas, first read",
    ));

    let store = Store {
        conn: open(&path, system),
        system,
        sealer: Sealer::new(),
    };
    let s = time_n(plan.iters(200), |k| store.log(n + k as u64, 2, true));
    out.push(figure(
        system,
        "log_incident",
        n,
        &s,
        "same rows as Vigil's log, one transaction",
    ));
    let s = time_n(plan.iters(200), |k| {
        store.log(n + 1_000 + k as u64, 3, false)
    });
    out.push(figure(
        system,
        "log_incident_no_outbox",
        n,
        &s,
        "without the outbox row",
    ));

    store.start_walk("walk-1");
    let s = time_n(plan.iters(200), |k| store.answer("walk-1", k));
    out.push(figure(
        system,
        "answer_item",
        n,
        &s,
        "read the walk and its template, upsert the answer, outbox row",
    ));

    let points = plan.route_points();
    let doc = data::route_json("route-1", &data::route_line(points));
    let s = time_n(1, |_| store.save_route("route-1", &doc));
    out.push(figure(
        system,
        "route_save",
        n,
        &s,
        &format!("{points} points, one save (JSON document, insert, outbox)"),
    ));
    let s = time_n(plan.iters(20), |_| {
        assert_eq!(store.load_route("route-1"), points);
    });
    out.push(figure(
        system,
        "route_load",
        n,
        &s,
        &format!("{points} points"),
    ));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Field-level sealing derives its key from the passphrase too: the same default
/// Argon2id as Vigil, then open and a first read (plain SQLite has no key to derive).
fn open_default_kdf(plan: &Plan, out: &mut Vec<serde_json::Value>) {
    let dir = std::env::temp_dir().join(format!("vigil-baseline-{}-kdf", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("store.db");
    drop(open(&path, System::Field));
    let params = argon2::Params::new(64 * 1024, 3, 1, Some(32)).expect("Argon2 parameters");
    let s = time_n(plan.iters(5), |_| {
        let kdf = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params.clone(),
        );
        let mut key = [0u8; 32];
        kdf.hash_password_into(b"correct horse battery staple", &[1u8; 16], &mut key)
            .expect("derive");
        let sealer = Sealer::from_key(&key);
        let c = open(&path, System::Field);
        let _: i64 = c
            .query_row("SELECT count(*) FROM incident_chain_head", [], |r| r.get(0))
            .expect("read");
        std::hint::black_box(sealer);
    });
    out.push(figure(
        System::Field,
        "open_unlock_default_kdf",
        0,
        &s,
        "Argon2id m=64 MiB t=3 p=1 (the default), key, open, first read",
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plan = match parse(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut figures = Vec::new();
    for system in [System::Plain, System::Field] {
        for &n in &plan.sizes {
            eprintln!("baseline {}: {n} incidents", system.name());
            run_size(&plan, system, n, &mut figures);
        }
    }
    eprintln!("baseline field: default Argon2id, open");
    open_default_kdf(&plan, &mut figures);
    let doc = json!({
        "tool": "vigil-baseline",
        "smoke": plan.smoke,
        "sizes": plan.sizes,
        "release": !cfg!(debug_assertions),
        "figures": figures,
    });
    harness::write_results(&doc, plan.out.as_deref())
}
