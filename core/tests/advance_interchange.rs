//! GPX and GeoJSON from real devices and tools import; broken or wrong files are refused
//! with a typed error and nothing stored changes; exports read back.

use crate::advance_support;

use advance_support::*;
use vigil_core::advance::interchange::geojson::{parse_geojson, to_geojson};
use vigil_core::advance::interchange::gpx::{parse_gpx, to_gpx};
use vigil_core::advance::route::{self, RoutePointKind, RouteRole};
use vigil_core::advance::AdvanceError;

#[test]
fn gpx_1_0_from_gpsbabel_with_course_and_speed() {
    let routes = parse_gpx(&fixture("gpx10_gpsbabel.gpx")).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "ACTIVE LOG");
    assert_eq!(routes[0].line.len(), 4);
    assert_eq!(routes[0].line[0], p(51.501, -0.142));
}

#[test]
fn gpx_1_0_with_private_namespaces_and_urls() {
    // Pocket-query style: groundspeak elements inside waypoints, url/urlname, a
    // TopoGrafix private colour on the track, course on a point.
    let routes = parse_gpx(&fixture("gpx10_private_namespaces.gpx")).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "Walk");
    assert_eq!(routes[0].line.len(), 3);
    assert_eq!(routes[0].points.len(), 2);
    assert_eq!(routes[0].points[1].kind, RoutePointKind::Rendezvous);
    assert_eq!(routes[0].points[0].position, p(52.3702, 4.8952));
}

#[test]
fn gpx_1_1_garmin_connect_with_trackpoint_extensions() {
    let routes = parse_gpx(&fixture("gpx11_garmin_connect.gpx")).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "Evening recce, primary");
    assert_eq!(routes[0].line.len(), 3);
    assert_eq!(routes[0].line[2], p(48.858, 2.364));
}

#[test]
fn several_tracks_empty_segments_and_waypoints() {
    let routes = parse_gpx(&fixture("gpx11_multi_track_empty_segments.gpx")).unwrap();
    // The aborted recording (only an empty segment) is not a route.
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].name, "Primary");
    assert_eq!(routes[0].role, RouteRole::Primary);
    assert_eq!(
        routes[0].line.len(),
        4,
        "empty segments skipped, the rest joined"
    );
    assert_eq!(routes[1].name, "Alternate north");
    assert_eq!(routes[1].role, RouteRole::Alternate);
    let kinds: Vec<RoutePointKind> = routes[0].points.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        vec![RoutePointKind::Rendezvous, RoutePointKind::ChokePoint]
    );
    assert_eq!(routes[0].points[1].notes, "Single lane at peak hours");
    assert!(routes[1].points.is_empty());
    // Both store in one go.
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let saved = route::save_routes(db, &routes).unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(outbox_kinds(db), vec!["route.upsert", "route.upsert"]);
}

#[test]
fn waypoints_only_becomes_a_route_through_them() {
    let routes = parse_gpx(&fixture("gpx11_waypoints_only.gpx")).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "Drop-off points");
    assert_eq!(routes[0].line.len(), 3);
    assert_eq!(routes[0].points.len(), 3);
    assert_eq!(routes[0].points[1].kind, RoutePointKind::Rendezvous);
    assert_eq!(routes[0].points[0].name, "Drop-off A");
}

#[test]
fn gpx_rte_routes_import() {
    let routes = parse_gpx(&fixture("gpx11_route_rtept.gpx")).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "Airport run");
    assert_eq!(routes[0].line.len(), 4);
}

#[test]
fn malformed_gpx_is_a_typed_error_and_stores_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    a_route(db);
    let before = footprint(db);
    let err = parse_gpx(&fixture("malformed_truncated.gpx")).unwrap_err();
    assert!(matches!(err, AdvanceError::Gpx(_)), "{err:?}");
    // The message names the problem but carries nothing of the file.
    assert!(!err.to_string().contains("51.5"), "{err}");
    let err = parse_gpx(
        b"<gpx version=\"1.1\"><trk><trkseg><trkpt lat=\"95\" lon=\"0\"/></trkseg></trk></gpx>",
    )
    .unwrap_err();
    assert!(matches!(err, AdvanceError::Gpx(_)), "{err:?}");
    assert!(!err.to_string().contains("95"), "{err}");
    let err = parse_gpx(b"<gpx version=\"1.1\"><wpt lat=\"1\" lon=\"2\"/></gpx>").unwrap_err();
    assert!(matches!(err, AdvanceError::EmptyRoute), "{err:?}");
    assert_eq!(footprint(db), before);
}

#[test]
fn geojson_from_geojson_io_imports_longitude_first() {
    let text = String::from_utf8(fixture("geojsonio_route.geojson")).unwrap();
    let routes = parse_geojson(&text).unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "Route to venue");
    assert_eq!(routes[0].line[0], p(51.5074, -0.1278));
    assert_eq!(routes[0].line.len(), 4);
    assert_eq!(routes[0].points.len(), 1);
    assert_eq!(routes[0].points[0].kind, RoutePointKind::ChokePoint);
    assert_eq!(routes[0].points[0].position, p(51.51, -0.12));
}

#[test]
fn wrong_geometry_and_empty_routes_are_refused_and_store_nothing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    a_route(db);
    let before = footprint(db);
    let text = String::from_utf8(fixture("polygon_not_route.geojson")).unwrap();
    match parse_geojson(&text).unwrap_err() {
        AdvanceError::WrongGeometry { expected, found } => {
            assert_eq!(expected, "LineString");
            assert_eq!(found, "Polygon");
        }
        other => panic!("{other:?}"),
    }
    let one_point = r#"{"type":"LineString","coordinates":[[2.35,48.85]]}"#;
    assert!(matches!(
        parse_geojson(one_point).unwrap_err(),
        AdvanceError::EmptyRoute
    ));
    let only_points = r#"{"type":"Point","coordinates":[2.35,48.85]}"#;
    assert!(matches!(
        parse_geojson(only_points).unwrap_err(),
        AdvanceError::EmptyRoute
    ));
    let not_json = "{\"type\": \"FeatureCollection\", \"features\": [";
    assert!(matches!(
        parse_geojson(not_json).unwrap_err(),
        AdvanceError::GeoJson(_)
    ));
    // Latitude out of range (a file written latitude first by mistake) names the field.
    let swapped = r#"{"type":"LineString","coordinates":[[51.5,-0.12],[51.6,95.0]]}"#;
    match parse_geojson(swapped).unwrap_err() {
        AdvanceError::InvalidInput { field, .. } => {
            assert_eq!(field, "geometry.geometry.coordinates[1]")
        }
        other => panic!("{other:?}"),
    }
    // Saving an empty route directly is refused the same way.
    let err = route::save_route(
        db,
        &vigil_core::advance::RouteInput {
            name: "Nothing".into(),
            line: vec![],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, AdvanceError::EmptyRoute));
    assert_eq!(footprint(db), before);
}

#[test]
fn exports_read_back_in_both_formats() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let routes = parse_gpx(&fixture("gpx11_multi_track_empty_segments.gpx")).unwrap();
    let saved = route::save_routes(db, &routes).unwrap();

    let gj = to_geojson(&saved).unwrap();
    let v: serde_json::Value = serde_json::from_str(&gj).unwrap();
    // Longitude first on the way out too.
    assert_eq!(v["features"][0]["geometry"]["coordinates"][0][0], -0.14);
    assert_eq!(v["features"][0]["geometry"]["coordinates"][0][1], 51.5);
    let back = parse_geojson(&gj).unwrap();
    assert_eq!(back.len(), 2);
    for (a, b) in saved.iter().zip(&back) {
        assert_eq!(a.line, b.line);
        assert_eq!(a.name, b.name);
        assert_eq!(a.role, b.role);
        assert_eq!(a.points, b.points);
    }

    let gpx = to_gpx(&saved).unwrap();
    assert!(gpx.contains("version=\"1.1\""));
    let back = parse_gpx(gpx.as_bytes()).unwrap();
    assert_eq!(back.len(), 2);
    for (a, b) in saved.iter().zip(&back) {
        assert_eq!(a.line, b.line);
        assert_eq!(a.name, b.name);
    }
    assert_eq!(back[0].points.len(), 2);
    assert_eq!(back[0].points[0].kind, RoutePointKind::Rendezvous);
}

#[test]
fn antimeridian_route_survives_export_and_import() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let r = route::save_route(
        db,
        &vigil_core::advance::RouteInput {
            name: "Fiji crossing".into(),
            line: vec![p(-16.5, 179.5), p(-16.6, 180.0), p(-16.7, -179.5)],
            ..Default::default()
        },
    )
    .unwrap();
    let gpx = to_gpx(std::slice::from_ref(&r)).unwrap();
    let back = parse_gpx(gpx.as_bytes()).unwrap();
    // 180 E is written as -180 (GPX's range), the same meridian: the length is unchanged.
    assert!((vigil_core::advance::geometry::length_m(&back[0].line) - r.length_m()).abs() < 0.01);
    assert!(r.length_m() < 120_000.0);
}
