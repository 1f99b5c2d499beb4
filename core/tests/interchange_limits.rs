//! Route import keeps to its documented limits (`interchange::limits`): hostile or huge
//! files are refused with `TooLarge` before anything is stored, quickly and in bounded
//! memory (see `interchange_memory.rs`); long lines are simplified within 5 m.

use crate::advance_support;

use advance_support::*;
use vigil_core::advance::geometry::{nearest_on_line, Position};
use vigil_core::advance::interchange::geojson::parse_geojson;
use vigil_core::advance::interchange::gpx::parse_gpx;
use vigil_core::advance::interchange::limits::*;
use vigil_core::advance::route::{self, RouteInput, RoutePoint, RoutePointKind};
use vigil_core::advance::AdvanceError;

fn too_large(r: Result<Vec<RouteInput>, AdvanceError>) -> (&'static str, u64) {
    match r {
        Err(AdvanceError::TooLarge { what, limit }) => (what, limit),
        Err(other) => panic!("expected TooLarge, got {other:?}"),
        Ok(routes) => panic!("expected TooLarge, got {} routes", routes.len()),
    }
}

fn gpx_track(points: impl Iterator<Item = Position>) -> String {
    let mut s = String::from(
        "<gpx version=\"1.1\" xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>",
    );
    for p in points {
        s.push_str(&format!(
            "<trkpt lat=\"{:.7}\" lon=\"{:.7}\"/>",
            p.lat, p.lon
        ));
    }
    s.push_str("</trkseg></trk></gpx>");
    s
}

fn geojson_line(points: impl Iterator<Item = Position>) -> String {
    let coords: Vec<String> = points
        .map(|p| format!("[{:.7},{:.7}]", p.lon, p.lat))
        .collect();
    format!(
        "{{\"type\":\"Feature\",\"properties\":{{}},\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[{}]}}}}",
        coords.join(",")
    )
}

#[test]
fn deeply_nested_extensions_are_refused_at_the_depth_limit() {
    // 200,000 levels took 100 s (quadratic) before the depth bound.
    let n = 200_000;
    let mut s =
        String::from("<gpx version=\"1.1\"><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><extensions>");
    s.push_str(&"<x>".repeat(n));
    s.push_str(&"</x>".repeat(n));
    s.push_str("</extensions></trkpt></trkseg></trk></gpx>");
    let (what, limit) = too_large(parse_gpx(s.as_bytes()));
    assert_eq!((what, limit), ("XML nesting depth", MAX_XML_DEPTH as u64));
    // Nesting within the limit is read as before (the extension skipped).
    let ok = format!(
        "<gpx version=\"1.1\"><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><extensions>{}{}</extensions></trkpt><trkpt lat=\"1.1\" lon=\"2\"/></trkseg></trk></gpx>",
        "<x>".repeat(20),
        "</x>".repeat(20)
    );
    assert_eq!(parse_gpx(ok.as_bytes()).unwrap()[0].line.len(), 2);
}

#[test]
fn too_many_elements_are_refused() {
    let mut s = String::from("<gpx version=\"1.1\"><extensions>");
    s.push_str(&"<a/>".repeat(MAX_XML_ELEMENTS));
    s.push_str("</extensions></gpx>");
    assert!(s.len() < MAX_FILE_BYTES);
    let (what, _) = too_large(parse_gpx(s.as_bytes()));
    assert_eq!(what, "XML elements");
}

#[test]
fn files_above_the_size_limit_are_refused_before_reading() {
    let big = vec![b' '; MAX_FILE_BYTES + 1];
    assert_eq!(too_large(parse_gpx(&big)).0, "file bytes");
    let text = " ".repeat(MAX_FILE_BYTES + 1);
    assert_eq!(too_large(parse_geojson(&text)).0, "file bytes");
}

#[test]
fn too_many_positions_are_refused() {
    let many = (0..=MAX_FILE_POSITIONS).map(|i| Position::new(0.0, i as f64 * 1e-6));
    let gpx = gpx_track(many.clone());
    assert!(gpx.len() <= MAX_FILE_BYTES);
    assert_eq!(
        too_large(parse_gpx(gpx.as_bytes())),
        ("positions in the file", MAX_FILE_POSITIONS as u64)
    );
    let geojson = geojson_line(many);
    assert!(geojson.len() <= MAX_FILE_BYTES);
    assert_eq!(
        too_large(parse_geojson(&geojson)),
        ("positions in the file", MAX_FILE_POSITIONS as u64)
    );
}

#[test]
fn too_many_routes_and_long_texts_are_refused() {
    let trk =
        "<trk><trkseg><trkpt lat=\"1\" lon=\"2\"/><trkpt lat=\"1.1\" lon=\"2\"/></trkseg></trk>";
    let s = format!("<gpx version=\"1.1\">{}</gpx>", trk.repeat(MAX_ROUTES + 1));
    assert_eq!(too_large(parse_gpx(s.as_bytes())).0, "routes in the file");
    let s = format!(
        "<gpx version=\"1.1\"><wpt lat=\"1\" lon=\"2\"><name>{}</name></wpt></gpx>",
        "n".repeat(MAX_XML_TEXT + 1)
    );
    assert!(matches!(
        parse_gpx(s.as_bytes()),
        Err(AdvanceError::TooLarge { .. })
    ));
}

/// A line along the equator with a 1 m zigzag: noise the 5 m tolerance removes.
fn zigzag(n: usize, amplitude_deg: f64) -> Vec<Position> {
    (0..n)
        .map(|i| {
            let lat = if i % 2 == 0 { 0.0 } else { amplitude_deg };
            Position::new(lat, i as f64 * 1e-5)
        })
        .collect()
}

#[test]
fn long_lines_are_simplified_within_the_tolerance() {
    let line = zigzag(50_000, 1.0 / 111_320.0);
    for routes in [
        parse_gpx(gpx_track(line.iter().copied()).as_bytes()).unwrap(),
        parse_geojson(&geojson_line(line.iter().copied())).unwrap(),
    ] {
        let kept = &routes[0].line;
        assert!(kept.len() <= MAX_ROUTE_POSITIONS, "{}", kept.len());
        assert!(kept.len() >= 2);
        for p in line.iter().step_by(97) {
            let (d, _) = nearest_on_line(kept, *p).unwrap();
            assert!(
                d <= SIMPLIFY_TOLERANCE_M + 0.01,
                "{d} m off the simplified line"
            );
        }
        // Stores as it is.
        let (_d, mut vault) = new_vault();
        route::save_routes(vault.db_mut().unwrap(), &routes).unwrap();
    }
}

#[test]
fn a_line_that_stays_too_long_after_simplifying_is_refused() {
    // A 50 m zigzag: every vertex matters at 5 m.
    let line = zigzag(2 * MAX_ROUTE_POSITIONS, 50.0 / 111_320.0);
    let (what, limit) = too_large(parse_gpx(gpx_track(line.into_iter()).as_bytes()));
    assert!(what.starts_with("positions in a route"), "{what}");
    assert_eq!(limit, MAX_ROUTE_POSITIONS as u64);
}

#[test]
fn saving_beyond_the_route_limits_is_refused_and_stores_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    a_route(db);
    let before = footprint(db);
    let long = RouteInput {
        name: "Long".into(),
        line: zigzag(MAX_ROUTE_POSITIONS + 1, 1e-4),
        ..Default::default()
    };
    assert!(matches!(
        route::save_route(db, &long),
        Err(AdvanceError::TooLarge {
            what: "positions in a route",
            ..
        })
    ));
    let crowded = RouteInput {
        name: "Crowded".into(),
        line: zigzag(2, 1e-4),
        points: (0..=MAX_ROUTE_POINTS)
            .map(|i| RoutePoint {
                kind: RoutePointKind::Checkpoint,
                name: format!("CP {i}"),
                position: Position::new(0.0, 0.0),
                notes: String::new(),
            })
            .collect(),
        ..Default::default()
    };
    assert!(matches!(
        route::save_route(db, &crowded),
        Err(AdvanceError::TooLarge {
            what: "points on a route",
            ..
        })
    ));
    assert_eq!(footprint(db), before);
}
