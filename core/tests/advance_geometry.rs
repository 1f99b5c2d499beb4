//! Geodesic figures checked against independently computed values (WGS84):
//! London-Paris 343.5 km (Karney / GeographicLib), one degree of longitude at 60 N
//! 55.80 km, the last degree of latitude before the pole 111.69 km.

use crate::advance_support;

use advance_support::*;
use vigil_core::advance::geometry::{bearing_deg, distance_m, length_m};
use vigil_core::advance::haven::{self, HavenFilter, HavenKind};
use vigil_core::advance::AdvanceError;

fn within(actual: f64, expected: f64, rel: f64) -> bool {
    ((actual - expected) / expected).abs() <= rel
}

#[test]
fn london_to_paris_is_343_5_km() {
    let d = distance_m(p(51.5074, -0.1278), p(48.8566, 2.3522));
    assert!(within(d, 343_500.0, 0.005), "{d}");
    // South-east, a little east of south-south-east.
    let b = bearing_deg(p(51.5074, -0.1278), p(48.8566, 2.3522));
    assert!((145.0..152.0).contains(&b), "{b}");
}

#[test]
fn cardinal_bearings() {
    assert!((bearing_deg(p(0.0, 0.0), p(1.0, 0.0)) - 0.0).abs() < 1e-6);
    assert!((bearing_deg(p(0.0, 0.0), p(0.0, 1.0)) - 90.0).abs() < 1e-6);
    assert!((bearing_deg(p(0.0, 0.0), p(-1.0, 0.0)) - 180.0).abs() < 1e-6);
    assert!((bearing_deg(p(0.0, 0.0), p(0.0, -1.0)) - 270.0).abs() < 1e-6);
}

#[test]
fn a_line_across_the_antimeridian_is_short() {
    // 179.5 E to 179.5 W along 60 N: one degree of longitude, about 55.8 km, not ~20,000.
    let line = [p(60.0, 179.5), p(60.0, -179.5)];
    let len = length_m(&line);
    assert!(within(len, 55_800.0, 0.005), "{len}");
    // A route stored that way measures and tracks the same.
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let r = route_along(db, "Dateline", line.to_vec());
    assert!(within(r.length_m(), 55_800.0, 0.005));
    // 180 degrees sits half way, within ~110 m of the geodesic (which bows poleward).
    let prog = r.progress(p(60.0, 180.0)).unwrap();
    assert!(within(prog.done_m, len / 2.0, 0.01), "{prog:?}");
    assert!(within(prog.left_m, len / 2.0, 0.01), "{prog:?}");
    let off = r.off_route(p(60.0, 180.0), 200.0).unwrap();
    assert!(!off.off_route && off.distance_m < 150.0, "{off:?}");
    // A point 1 degree north is far off the route.
    let far = r.off_route(p(61.0, 180.0), 200.0).unwrap();
    assert!(far.off_route && far.distance_m > 100_000.0);
}

#[test]
fn near_the_poles() {
    // The last degree of latitude: 111.69 km.
    let d = distance_m(p(89.0, 0.0), p(90.0, 0.0));
    assert!(within(d, 111_694.0, 0.001), "{d}");
    // Across the pole: 0.1 degree each side, about 22.34 km (a planar measure on
    // longitudes would say thousands of km).
    let d = distance_m(p(89.9, 0.0), p(89.9, 180.0));
    assert!(within(d, 22_339.0, 0.005), "{d}");
    // A polar route passing over the pole: a point on the far side is on the route.
    let line = [p(89.5, 0.0), p(89.5, 180.0)];
    let len = length_m(&line);
    assert!(within(len, 111_694.0, 0.005), "{len}");
    let fix = vigil_core::advance::geometry::locate_on_line(&line, p(89.99, 90.0)).unwrap();
    assert!(fix.distance_m < 1_200.0, "{fix:?}");
    assert!(within(fix.along_m, len / 2.0, 0.02), "{fix:?}");
}

#[test]
fn off_route_progress_and_corridor_on_the_equator() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let r = route_along(db, "Equator", vec![p(0.0, 0.0), p(0.0, 0.5), p(0.0, 1.0)]);
    // One degree of the equator: 111,319.5 m.
    assert!(within(r.length_m(), 111_319.5, 0.0005));
    // 0.001 degree of latitude at the equator: 110.57 m.
    let off = r.off_route(p(0.001, 0.25), 100.0).unwrap();
    assert!(off.off_route);
    assert!(within(off.distance_m, 110.57, 0.005), "{off:?}");
    assert!(!r.off_route(p(0.001, 0.25), 120.0).unwrap().off_route);
    let prog = r.progress(p(0.001, 0.25)).unwrap();
    assert!(within(prog.done_m, 27_829.9, 0.001), "{prog:?}");
    assert!(within(prog.left_m, 83_489.6, 0.001), "{prog:?}");
    assert!(within(prog.done_m + prog.left_m, prog.total_m, 1e-9));

    let near = station(db, HavenKind::Police, "Near", p(0.01, 0.3)); // ~1.1 km off
    let _far = station(db, HavenKind::Police, "Far", p(0.2, 0.6)); // ~22 km off
    let before = hospital(db, "Early", p(-0.005, 0.1), true); // ~0.55 km off
    let havens = haven::list_havens(db, HavenFilter::Any).unwrap();
    let inside = r
        .havens_in_corridor(&havens, 2_000.0, HavenFilter::Any)
        .unwrap();
    let ids: Vec<&str> = inside.iter().map(|c| c.haven.id.as_str()).collect();
    assert_eq!(ids, vec![before.id.as_str(), near.id.as_str()]); // in route order
    assert!(within(inside[1].distance_m, 1_105.7, 0.005));
    let police_only = r
        .havens_in_corridor(
            &havens,
            2_000.0,
            HavenFilter::Kind {
                kind: HavenKind::Police,
            },
        )
        .unwrap();
    assert_eq!(police_only.len(), 1);
    assert!(matches!(
        r.havens_in_corridor(&havens, f64::NAN, HavenFilter::Any),
        Err(AdvanceError::InvalidInput { .. })
    ));
}

#[test]
fn nearest_haven_of_a_kind_with_distance_and_bearing() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let police = station(db, HavenKind::Police, "Station", p(0.0, 0.1));
    let _clinic = hospital(db, "Clinic, no A&E", p(0.0, 0.21), false);
    let ae = hospital(db, "Royal", p(0.1, 0.2), true);
    let here = p(0.0, 0.2);
    let fix = haven::nearest_haven(
        db,
        here,
        HavenFilter::Kind {
            kind: HavenKind::Police,
        },
    )
    .unwrap()
    .unwrap();
    assert_eq!(fix.haven.id, police.id);
    assert!(
        within(fix.distance_m, 11_131.9, 0.001),
        "{}",
        fix.distance_m
    );
    assert!(
        (fix.bearing_deg - 270.0).abs() < 0.01,
        "{}",
        fix.bearing_deg
    );
    let fix = haven::nearest_haven(db, here, HavenFilter::EmergencyHospital)
        .unwrap()
        .unwrap();
    assert_eq!(fix.haven.id, ae.id);
    assert!(
        within(fix.distance_m, 11_057.4, 0.001),
        "{}",
        fix.distance_m
    );
    assert!(fix.bearing_deg.abs() < 0.01 || (fix.bearing_deg - 360.0).abs() < 0.01);
    assert!(haven::nearest_haven(
        db,
        here,
        HavenFilter::Kind {
            kind: HavenKind::Embassy
        }
    )
    .unwrap()
    .is_none());
}

#[test]
fn worst_coverage_gap_is_midway_between_two_a_and_e() {
    let (_d, mut vault) = new_vault();
    let db = vault.db_mut().unwrap();
    let r = route_along(db, "Equator", vec![p(0.0, 0.0), p(0.0, 1.0)]);
    hospital(db, "West A&E", p(0.0, 0.0), true);
    hospital(db, "East A&E", p(0.0, 1.0), true);
    // A hospital without A&E in the middle does not close the gap.
    hospital(db, "Cottage hospital", p(0.0, 0.5), false);
    let havens = haven::list_havens(db, HavenFilter::Any).unwrap();
    let gap = r
        .worst_coverage_gap(&havens, HavenFilter::EmergencyHospital, 100.0)
        .unwrap()
        .unwrap();
    assert!(within(gap.distance_m, 55_659.7, 0.002), "{gap:?}");
    assert!((gap.position.lon - 0.5).abs() < 0.002, "{gap:?}");
    assert!(gap.resolution_m <= 100.0);
    // Counting any hospital, the cottage hospital halves it.
    let any = r
        .worst_coverage_gap(
            &havens,
            HavenFilter::Kind {
                kind: HavenKind::Hospital,
            },
            100.0,
        )
        .unwrap()
        .unwrap();
    assert!(within(any.distance_m, 27_829.9, 0.003), "{any:?}");
    // No matching haven: no answer rather than a made-up one.
    assert!(r
        .worst_coverage_gap(&havens, HavenFilter::TraumaCentre { max_level: 0 }, 100.0)
        .unwrap()
        .is_none());
}
