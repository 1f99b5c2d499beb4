//! `vigil venue|haven|route|checklist`, run as a user or a script would run them, on a
//! real encrypted store and the core's GPX fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASS: &str = "advance test passphrase";

fn vigil_with_stdin(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    vigil_testkit::cli::vigil(env!("CARGO_BIN_EXE_vigil"), dir)
        .pass(Some(PASS))
        .env("VIGIL_OFFICER", "PS Hale")
        .stdin(stdin)
        .run(args)
}

fn vigil(dir: &Path, args: &[&str]) -> Output {
    vigil_with_stdin(dir, args, None)
}

fn ok_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let o = vigil(dir, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

/// `checklist raise WALK exits --category CATEGORY`.
fn raise<'a>(walk_id: &'a str, category: &'a str) -> [&'a str; 6] {
    [
        "checklist",
        "raise",
        walk_id,
        "exits",
        "--category",
        category,
    ]
}

fn store() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let o = vigil(&dir, &vigil_testkit::cli::INIT_FAST_KDF);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (tmp, dir)
}

fn fixture(name: &str) -> PathBuf {
    [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "core",
        "tests",
        "fixtures",
        name,
    ]
    .iter()
    .collect()
}

/// Great-circle length on a sphere of mean Earth radius: an independent check of the
/// core's ellipsoidal figure (they agree within about 0.5 %).
fn haversine_length(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| {
            let (la1, lo1) = (w[0].0.to_radians(), w[0].1.to_radians());
            let (la2, lo2) = (w[1].0.to_radians(), w[1].1.to_radians());
            let h = ((la2 - la1) / 2.0).sin().powi(2)
                + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
            2.0 * 6_371_008.8 * h.sqrt().asin()
        })
        .sum()
}

#[test]
fn route_import_prints_length_bounds_and_coverage_then_checks_a_position() {
    let (_t, dir) = store();
    let file = fixture("gpx11_route_rtept.gpx");
    let file = file.to_str().unwrap();
    let v = ok_json(
        &dir,
        &["--json", "route", "import", file, "--journey", "airport"],
    );
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 1);
    let r = &routes[0];
    assert_eq!(r["name"], "Airport run");
    assert_eq!(r["journey"], "airport");
    let expected = haversine_length(&[
        (51.4700, -0.4543),
        (51.4880, -0.3000),
        (51.5010, -0.1900),
        (51.5074, -0.1278),
    ]);
    let length = r["length_m"].as_f64().unwrap();
    assert!(
        (length - expected).abs() / expected < 0.005,
        "{length} vs {expected}"
    );
    assert_eq!(r["bounds"]["min_lat"], 51.47);
    assert_eq!(r["bounds"]["max_lon"], -0.1278);
    assert_eq!(r["vertices"], 4);
    // No A&E stored yet: the gap is unknown.
    assert!(r["coverage_gap"].is_null());
    let id = r["id"].as_str().unwrap().to_string();

    // With an A&E hospital at the hotel end, the worst gap is at the airport end.
    ok_json(
        &dir,
        &[
            "--json",
            "haven",
            "add",
            "--kind",
            "hospital",
            "--name",
            "St Thomas'",
            "--lat",
            "51.4985",
            "--lon",
            "-0.1188",
            "--emergency",
            "--trauma-level",
            "1",
        ],
    );
    let list = ok_json(&dir, &["--json", "route", "list"]);
    let gap = &list[0]["coverage_gap"];
    assert!(gap["distance_m"].as_f64().unwrap() > 20_000.0, "{gap}");
    assert!(gap["along_m"].as_f64().unwrap() < 1_000.0, "{gap}");

    // On the route at its end, then 2 km north of it.
    let on = ok_json(
        &dir,
        &[
            "--json", "route", "check", &id, "--lat", "51.5074", "--lon", "-0.1278",
        ],
    );
    assert_eq!(on["off_route"]["off_route"], false);
    assert!(on["progress"]["left_m"].as_f64().unwrap() < 1.0);
    let off = ok_json(
        &dir,
        &[
            "--json",
            "route",
            "check",
            &id,
            "--lat",
            "51.5254",
            "--lon",
            "-0.1278",
            "--threshold-m",
            "500",
        ],
    );
    assert_eq!(off["off_route"]["off_route"], true);
    assert!(off["off_route"]["distance_m"].as_f64().unwrap() > 1_500.0);

    // Export as GPX gives the route back.
    let o = vigil(&dir, &["route", "export", &id, "--format", "gpx"]);
    assert!(o.status.success());
    let gpx = String::from_utf8(o.stdout).unwrap();
    assert!(gpx.contains("<gpx") && gpx.contains("Airport run"), "{gpx}");
    let o = vigil(&dir, &["route", "export", &id, "--format", "geojson"]);
    let gj: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(gj["type"], "FeatureCollection");
}

#[test]
fn malformed_gpx_fails_clearly_and_stores_nothing() {
    let (_t, dir) = store();
    let file = fixture("malformed_truncated.gpx");
    let o = vigil(&dir, &["route", "import", file.to_str().unwrap()]);
    // Refused input: exit 2, as for every command.
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("GPX file not readable"), "{err}");
    // JSON error form names the kind.
    let o = vigil(&dir, &["--json", "route", "import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(e["error"]["kind"], "gpx");
    let list = ok_json(&dir, &["--json", "route", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 0);
    let status = ok_json(&dir, &["--json", "status"]);
    assert_eq!(status["outbox"]["pending"], 0);
}

#[test]
fn nearest_haven_with_filters() {
    let (_t, dir) = store();
    for args in [
        &[
            "--kind",
            "hospital",
            "--name",
            "Royal London",
            "--lat",
            "51.5186",
            "--lon",
            "-0.0590",
            "--emergency",
        ][..],
        &[
            "--kind", "hospital", "--name", "Clinic", "--lat", "51.5150", "--lon", "-0.0900",
        ][..],
        &[
            "--kind",
            "police",
            "--name",
            "Bishopsgate",
            "--lat",
            "51.5165",
            "--lon",
            "-0.0800",
        ][..],
    ] {
        let mut a = vec!["--json", "haven", "add"];
        a.extend_from_slice(args);
        ok_json(&dir, &a);
    }
    let at = ["--lat", "51.5157", "--lon", "-0.0919"];
    let mut any = vec!["--json", "haven", "nearest"];
    any.extend_from_slice(&at);
    let v = ok_json(&dir, &any);
    assert_eq!(v["haven"]["name"], "Clinic");
    assert!(v["distance_m"].as_f64().unwrap() < 200.0);
    let mut ae = any.clone();
    ae.push("--emergency");
    let v = ok_json(&dir, &ae);
    assert_eq!(v["haven"]["name"], "Royal London");
    let d = v["distance_m"].as_f64().unwrap();
    assert!((2_000.0..2_600.0).contains(&d), "{d}");
    let b = v["bearing_deg"].as_f64().unwrap();
    assert!((45.0..135.0).contains(&b), "east-ish: {b}");
    let mut police = any.clone();
    police.extend_from_slice(&["--kind", "police"]);
    assert_eq!(ok_json(&dir, &police)["haven"]["name"], "Bishopsgate");
    let text = vigil(
        &dir,
        &[
            "haven",
            "nearest",
            "--lat",
            "51.5157",
            "--lon",
            "-0.0919",
            "--emergency",
        ],
    );
    let s = String::from_utf8(text.stdout).unwrap();
    assert!(s.contains("Royal London") && s.contains("A&E"), "{s}");
}

#[test]
fn a_walk_answered_through_piped_stdin_then_completed_and_signed_off() {
    let (_t, dir) = store();
    let venue = ok_json(
        &dir,
        &[
            "--json",
            "venue",
            "add",
            "--name",
            "Guildhall",
            "--lat",
            "51.5157",
            "--lon",
            "-0.0919",
        ],
    );
    let venue_id = venue["id"].as_str().unwrap();
    assert_eq!(
        ok_json(&dir, &["--json", "venue", "list"])[0]["name"],
        "Guildhall"
    );
    let templates = ok_json(&dir, &["--json", "checklist", "templates"]);
    assert_eq!(templates.as_array().unwrap().len(), 4);

    // A small custom template, so the answers fed below cover every kind.
    let tdir = tempfile::tempdir().unwrap();
    let tfile = tdir.path().join("t.json");
    std::fs::write(
        &tfile,
        r#"{"format":"vigil.checklist-template/1","id":"team.door-check","version":1,
            "title":"Door check","kind":"venue","sections":[{"id":"s","title":"Doors","items":[
              {"id":"exits","label":"Fire exits unchained","kind":"check","required":true,
               "guidance":"Walk every stair to the final exit."},
              {"id":"count","label":"Doors to the stairwell","kind":"number","min":0,"required":true},
              {"id":"armed","label":"Armed working","kind":"choice","options":["Yes","No"],"required":true},
              {"id":"poc","label":"Venue contact","kind":"contact"},
              {"id":"muster","label":"Muster point","kind":"location","required":true},
              {"id":"extra","label":"Anything else","kind":"text"}]}]}"#,
    )
    .unwrap();
    let t = ok_json(
        &dir,
        &["--json", "checklist", "import", tfile.to_str().unwrap()],
    );
    assert_eq!(t["id"], "team.door-check");

    let w = ok_json(
        &dir,
        &[
            "--json",
            "checklist",
            "start",
            "team.door-check",
            "--venue",
            venue_id,
        ],
    );
    let walk_id = w["walk_id"].as_str().unwrap().to_string();
    assert_eq!(w["progress"]["required_total"], 4);

    // Piped answers: an issue with its note; a wrong-kind number first (re-asked);
    // choice by number; the contact skipped; the location; then end of input.
    let answers = "issue\nEast stair exit chained\nmany\n3\n2\n\n51.5160,-0.0925\n";
    let o = vigil_with_stdin(
        &dir,
        &["--json", "checklist", "walk", &walk_id],
        Some(answers),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let prompts = String::from_utf8_lossy(&o.stderr);
    assert!(prompts.contains("Walk every stair"), "{prompts}");
    assert!(prompts.contains("not accepted"), "{prompts}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["answered_now"], 4);
    assert_eq!(v["skipped_now"], 1);
    assert_eq!(v["progress"]["required_answered"], 4);
    assert_eq!(v["progress"]["issues"], 1);
    assert_eq!(v["issues"][0]["item_id"], "exits");
    assert_eq!(v["issues"][0]["answer"]["note"], "East stair exit chained");

    // A wrong-kind answer on the command line is refused and changes nothing.
    let o = vigil(
        &dir,
        &["--json", "checklist", "answer", &walk_id, "count", "lots"],
    );
    assert_eq!(o.status.code(), Some(2));
    let e: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(e["error"]["kind"], "wrong_answer_kind");
    let a = ok_json(
        &dir,
        &[
            "--json",
            "checklist",
            "answer",
            &walk_id,
            "extra",
            "Lift key with the porter",
        ],
    );
    assert_eq!(a["value"]["text"], "Lift key with the porter");

    let s = ok_json(&dir, &["--json", "checklist", "status", &walk_id]);
    assert_eq!(s["progress"]["answered"], 5);
    assert_eq!(s["state"], "in_progress");
    let c = ok_json(&dir, &["--json", "checklist", "complete", &walk_id]);
    assert_eq!(c["state"], "completed");
    let signed = ok_json(&dir, &["--json", "checklist", "sign-off", &walk_id]);
    assert_eq!(signed["walk_id"], walk_id.as_str());
    assert_eq!(signed["sha256"].as_str().unwrap().len(), 64);

    // The issue becomes an incident linked to the venue.
    let r = ok_json(
        &dir,
        &[
            &["--json"][..],
            &raise(&walk_id, "security_breach"),
            &["--severity", "high"],
        ]
        .concat(),
    );
    assert_eq!(r["incident_id"].as_str().unwrap().len(), 36);
    // Both spellings of a category, as for `incident log`; a wrong one lists the values.
    let r = ok_json(
        &dir,
        &[&["--json"][..], &raise(&walk_id, "security-breach")].concat(),
    );
    assert_eq!(r["incident_id"].as_str().unwrap().len(), 36);
    let o = vigil(&dir, &raise(&walk_id, "breach"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("security-breach") && err.contains("hostile-surveillance"),
        "{err}"
    );
}

#[test]
fn the_same_gpx_twice_into_one_journey_is_refused_unless_asked() {
    let (_t, dir) = store();
    let file = fixture("gpx11_route_rtept.gpx");
    let file = file.to_str().unwrap();
    let first = ok_json(
        &dir,
        &["--json", "route", "import", file, "--journey", "airport"],
    );
    let id = first["routes"][0]["id"].as_str().unwrap().to_string();
    let o = vigil(&dir, &["route", "import", file, "--journey", "airport"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains(&id) && err.contains("--again"), "{err}");
    assert_eq!(
        ok_json(&dir, &["--json", "route", "list"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Into another journey, or when asked: imported.
    ok_json(
        &dir,
        &["--json", "route", "import", file, "--journey", "stadium"],
    );
    ok_json(
        &dir,
        &[
            "--json",
            "route",
            "import",
            file,
            "--journey",
            "airport",
            "--again",
        ],
    );
    assert_eq!(
        ok_json(&dir, &["--json", "route", "list"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A missing file is named in words.
    let o = vigil(&dir, &["route", "import", "nope.gpx"]);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("no such file: nope.gpx"), "{err}");
}

#[test]
fn without_an_officer_the_message_names_vigil_officer() {
    let (_t, dir) = store();
    let o = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(&dir)
        .args([
            "checklist",
            "start",
            "vigil.vehicle-check",
            "--subject",
            "Car 2",
        ])
        .env("VIGIL_PASSPHRASE", PASS)
        .env_remove("VIGIL_OFFICER")
        .env_remove("USER")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("--officer") && err.contains("VIGIL_OFFICER"),
        "{err}"
    );
}

#[test]
fn completing_with_required_items_missing_names_them() {
    let (_t, dir) = store();
    let v = ok_json(&dir, &["--json", "venue", "add", "--name", "Hotel"]);
    let w = ok_json(
        &dir,
        &[
            "--json",
            "checklist",
            "start",
            "vigil.hotel-room",
            "--venue",
            v["id"].as_str().unwrap(),
        ],
    );
    let walk_id = w["walk_id"].as_str().unwrap();
    let o = vigil(&dir, &["checklist", "complete", walk_id]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("required items unanswered"), "{err}");
}
