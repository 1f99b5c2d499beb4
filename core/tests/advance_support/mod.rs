//! Shared set-up for the advance tests: a real SQLCipher store on disk, and counters
//! that show whether anything was written.
#![allow(dead_code)]

use std::path::PathBuf;

use vigil_core::advance::geometry::Position;
use vigil_core::advance::haven::{self, HavenKind, HospitalInfo, SafeHaven, SafeHavenInput};
use vigil_core::advance::route::{self, Route, RouteInput};
use vigil_core::advance::venue::{self, Venue, VenueInput};
use vigil_core::advance::walk::{self, Walk, WalkSubject};
use vigil_core::store::Database;
use vigil_core::testing::RawConnection;
use vigil_core::Vault;

pub fn new_vault() -> (tempfile::TempDir, Vault) {
    vigil_testkit::temp_vault()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    std::fs::read(p).unwrap()
}

/// Rows in the outbox and in every advance table: if nothing changed, this is equal.
pub fn footprint(db: &Database) -> Vec<(String, i64)> {
    [
        "outbox",
        "adv_venues",
        "adv_havens",
        "adv_routes",
        "adv_templates",
        "adv_walks",
        "adv_answers",
        "adv_signoffs",
    ]
    .iter()
    .map(|t| {
        let n: i64 = db
            .raw_connection()
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t.to_string(), n)
    })
    .collect()
}

/// Every stored answer row's record text, to detect in-place changes too.
pub fn answer_rows(db: &Database) -> Vec<String> {
    let mut stmt = db
        .raw_connection()
        .prepare("SELECT record FROM adv_answers ORDER BY walk_id, item_id")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

pub fn outbox_kinds(db: &Database) -> Vec<String> {
    let mut stmt = db
        .raw_connection()
        .prepare("SELECT kind FROM outbox ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

pub fn p(lat: f64, lon: f64) -> Position {
    Position::new(lat, lon)
}

pub fn a_venue(db: &mut Database) -> Venue {
    venue::save_venue(
        db,
        &VenueInput {
            name: "Guildhall".into(),
            position: Some(p(51.5157, -0.0919)),
            ..Default::default()
        },
    )
    .unwrap()
}

/// [`a_venue`] and a walk of the built-in venue advance on it, started by "PS Hale".
pub fn venue_walk(db: &mut Database) -> (Venue, Walk) {
    let venue = a_venue(db);
    let subject = WalkSubject::Venue {
        venue_id: venue.id.clone(),
    };
    let w = walk::start_walk(db, "vigil.venue-advance", None, &subject, "PS Hale").unwrap();
    (venue, w)
}

pub fn a_route(db: &mut Database) -> Route {
    let line = [(51.5074, -0.1278), (51.5120, -0.1100), (51.5157, -0.0919)];
    route_along(
        db,
        "Hotel to Guildhall",
        line.map(|(lat, lon)| p(lat, lon)).to_vec(),
    )
}

/// A saved primary route `name` along `line`, nothing else set.
pub fn route_along(db: &mut Database, name: &str, line: Vec<Position>) -> Route {
    route::save_route(
        db,
        &RouteInput {
            name: name.into(),
            line,
            ..Default::default()
        },
    )
    .unwrap()
}

pub fn hospital(db: &mut Database, name: &str, at: Position, a_and_e: bool) -> SafeHaven {
    haven::save_haven(
        db,
        &SafeHavenInput {
            id: None,
            kind: HavenKind::Hospital,
            name: name.into(),
            position: at,
            hospital: Some(HospitalInfo {
                emergency_department: a_and_e,
                trauma_level: if a_and_e { Some(1) } else { None },
                helipad: false,
            }),
            address: None,
            phone: Some("+44 20 7946 0000".into()),
            opening_hours: Some("24/7".into()),
            notes: String::new(),
        },
    )
    .unwrap()
}

pub fn station(db: &mut Database, kind: HavenKind, name: &str, at: Position) -> SafeHaven {
    haven::save_haven(
        db,
        &SafeHavenInput {
            id: None,
            kind,
            name: name.into(),
            position: at,
            hospital: None,
            address: None,
            phone: None,
            opening_hours: None,
            notes: String::new(),
        },
    )
    .unwrap()
}
