//! A demo store for the report tests and the sample renders: real SQLCipher store on
//! disk, incidents with non-Latin names, a photo and an amendment, and a venue advance
//! walk with havens, a route and a sign-off.
#![allow(dead_code)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use vigil_core::advance::route::{RouteInput, RouteRole};
use vigil_core::advance::template::{builtin_templates, ItemKind};
use vigil_core::advance::venue::{Contact, VenueInput, VenuePoint, VenuePointKind};
use vigil_core::advance::walk::{self, AnswerInput, AnswerValue, CheckState, WalkSubject};
use vigil_core::advance::{haven, route, venue, HavenKind, HospitalInfo, Position, SafeHavenInput};
use vigil_core::crypto::KdfParams;
use vigil_core::incident::{
    Category, IncidentLog, Location, LocationSource, OccurredAt, Person, PersonRole, Report,
    ReportPatch, Severity, Vehicle,
};
use vigil_core::{KdfChoice, Vault};

pub const ARABIC: &str = "محمد العلي";
pub const CYRILLIC: &str = "Дмитрий Иванов";
pub const CJK: &str = "王小明";

pub struct Demo {
    pub vault: Vault,
    pub incidents: Vec<String>,
    pub walk_id: String,
    pub photo: Vec<u8>,
}

/// A long narrative in Chinese, then Japanese (kana and kanji, with Latin and digits
/// inside), punctuation included, for line breaking.
pub fn cjk_narrative() -> String {
    let zh = "下午三点零五分，一名身穿深色外套的男子在酒店正门对面停车，用手机拍摄进出的车辆和人员长达四十分钟。\
              我们的安保人员上前询问时，他立即驾驶一辆灰色福特厢式货车（车牌 AB12 CDE）沿公园巷向北离开。\
              酒店门卫证实，该男子昨天也曾在同一位置出现。";
    let ja = "午後三時十分、同じ男性がホテルの裏口付近で再び目撃されました。警護対象者は正面玄関ではなく\
              裏口から車両に乗り込み、ロンドン警視庁に通報済みです（参照番号 CAD 4471/05）。";
    format!("{zh}{zh}{ja}{ja}")
}

/// A 320x200 PNG "photo" (a gradient with a dark band), deterministic.
pub fn photo_png() -> Vec<u8> {
    photo_png_sized(320, 200)
}

/// A `w` x `h` PNG "photo" (a gradient with a dark band), deterministic.
pub fn photo_png_sized(w: u32, h: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let band = (h * 2 / 5..h * 3 / 5).contains(&y);
            data.extend_from_slice(&[
                if band { 40 } else { (x * 255 / w) as u8 },
                if band { 40 } else { (y * 255 / h) as u8 },
                if band { 60 } else { 170 },
            ]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&data).expect("png data");
    }
    out
}

/// The UTC offset of Europe/London at `at`, in minutes: BST (+60) from 01:00 UTC on the
/// last Sunday of March to 01:00 UTC on the last Sunday of October, else GMT (0). The
/// demo's times are "now", so the zone's offset must be the one in force now.
fn london_offset_minutes(at: chrono::DateTime<Utc>) -> i32 {
    use chrono::{Datelike, Duration};
    let last_sunday_0100 = |month: u32| {
        let last = Utc
            .with_ymd_and_hms(at.year(), month + 1, 1, 1, 0, 0)
            .single()
            .expect("a valid date")
            - Duration::days(1);
        last - Duration::days(i64::from(last.weekday().num_days_from_sunday()))
    };
    if at >= last_sunday_0100(3) && at < last_sunday_0100(10) {
        60
    } else {
        0
    }
}

#[test]
fn london_is_on_gmt_in_december_and_bst_in_july() {
    let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
    assert_eq!(london_offset_minutes(at(2026, 12, 5, 12)), 0);
    assert_eq!(london_offset_minutes(at(2026, 7, 1, 12)), 60);
    // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
    assert_eq!(london_offset_minutes(at(2026, 3, 29, 0)), 0);
    assert_eq!(london_offset_minutes(at(2026, 3, 29, 1)), 60);
    assert_eq!(london_offset_minutes(at(2026, 10, 25, 0)), 60);
    assert_eq!(london_offset_minutes(at(2026, 10, 25, 1)), 0);
}

fn p(lat: f64, lon: f64) -> Position {
    Position { lat, lon }
}

/// The demo store in `dir`; `narrative` is the second incident's narrative.
pub fn demo(dir: &Path, narrative: &str) -> Demo {
    let mut vault = Vault::create(
        dir,
        b"demo passphrase",
        KdfChoice {
            params: KdfParams::Argon2id {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            allow_weak: true,
        },
        None,
    )
    .expect("create store");
    let photo = photo_png();
    let mut incidents = Vec::new();
    {
        let mut log =
            IncidentLog::with_officer(&mut vault, Some("PS Hale (Bravo 2)".into())).unwrap();
        let now = Utc::now();
        let mut r = Report::quick(
            Category::HostileSurveillance,
            Some(Location {
                latitude: 51.501_364,
                longitude: -0.141_890,
                accuracy_m: Some(8.0),
                source: LocationSource::Gps,
            }),
        );
        r.occurred = OccurredAt {
            utc: now - chrono::Duration::hours(3),
            offset_minutes: london_offset_minutes(now - chrono::Duration::hours(3)),
            zone: Some("Europe/London".into()),
        };
        r.severity = Some(Severity::Medium);
        r.narrative = "Grey van parked opposite the main entrance for 40 minutes; the driver filmed arrivals with a phone and left when approached.".into();
        r.people = vec![
            Person {
                role: PersonRole::Subject,
                name: Some(ARABIC.into()),
                description: "male, 30s, dark jacket, filming the entrance".into(),
                contact: None,
            },
            Person {
                role: PersonRole::Witness,
                name: Some(CYRILLIC.into()),
                description: "doorman".into(),
                contact: Some("+44 20 7946 0002".into()),
            },
        ];
        r.vehicles = vec![Vehicle {
            registration: Some("AB12 CDE".into()),
            make: Some("Ford Transit".into()),
            colour: Some("grey".into()),
            direction: Some("north on Park Lane".into()),
        }];
        r.actions_taken = vec![
            "Principal moved to the rear entrance".into(),
            "Met Police informed".into(),
        ];
        r.police_reference = Some("CAD 4471/05".into());
        r.witnesses = vec![CJK.into()];
        r.tags = vec!["repeat".into(), "van".into()];
        r.venue_id = Some("venue-dorchester".into());
        let a = log.log(r).unwrap().incident_id;
        log.attach(
            &a,
            &mut photo.as_slice(),
            "image/png",
            Some(now - chrono::Duration::hours(3)),
        )
        .unwrap();
        log.amend(
            &a,
            "confirmed by a second sighting at 14:10",
            ReportPatch {
                severity: Some(Some(Severity::High)),
                ..ReportPatch::default()
            },
        )
        .unwrap();
        let mut r = Report::quick(Category::Medical, None);
        r.occurred = OccurredAt {
            utc: now - chrono::Duration::hours(1),
            offset_minutes: london_offset_minutes(now - chrono::Duration::hours(1)),
            zone: Some("Europe/London".into()),
        };
        r.severity = Some(Severity::Low);
        r.narrative = narrative.to_string();
        incidents.push(a);
        incidents.push(log.log(r).unwrap().incident_id);
    }
    // The walk's photo item: a 2400 x 1600 photo, drawn as a 1024-pixel thumbnail.
    let walk_photo = IncidentLog::new(&mut vault)
        .store_attachment(
            &mut photo_png_sized(2400, 1600).as_slice(),
            "image/png",
            None,
        )
        .unwrap()
        .id;
    let db = vault.db_mut().unwrap();
    let v = venue::save_venue(
        db,
        &VenueInput {
            id: None,
            name: "The Dorchester, Park Lane".into(),
            address: Some("53 Park Lane, London W1K 1QA".into()),
            position: Some(p(51.5074, -0.1527)),
            boundary: None,
            points: vec![
                VenuePoint {
                    kind: VenuePointKind::Entrance,
                    label: "Main entrance, Park Lane".into(),
                    position: Some(p(51.5073, -0.1525)),
                    level: Some("G".into()),
                    notes: String::new(),
                },
                VenuePoint {
                    kind: VenuePointKind::EmergencyExit,
                    label: "Rear service exit, Deanery Street".into(),
                    position: Some(p(51.5077, -0.1531)),
                    level: Some("G".into()),
                    notes: "Kept locked: key with the duty manager".into(),
                },
                VenuePoint {
                    kind: VenuePointKind::SafeRoom,
                    label: "Suite 701 dressing room".into(),
                    position: None,
                    level: Some("7".into()),
                    notes: "Steel door, landline".into(),
                },
                VenuePoint {
                    kind: VenuePointKind::MusterPoint,
                    label: "Hyde Park, Stanhope Gate".into(),
                    position: Some(p(51.5068, -0.1520)),
                    level: None,
                    notes: String::new(),
                },
            ],
            contacts: vec![Contact {
                name: "Duty security manager".into(),
                role: "hotel security".into(),
                phone: Some("+44 20 7629 8888".into()),
                ..Default::default()
            }],
            notes: String::new(),
        },
    )
    .unwrap();
    haven::save_haven(
        db,
        &SafeHavenInput {
            id: None,
            kind: HavenKind::Hospital,
            name: "St Mary's Hospital".into(),
            position: p(51.5173, -0.1741),
            hospital: Some(HospitalInfo {
                emergency_department: true,
                trauma_level: Some(1),
                helipad: true,
            }),
            address: Some("Praed Street, London W2 1NY".into()),
            phone: Some("+44 20 3312 6666".into()),
            opening_hours: None,
            notes: String::new(),
        },
    )
    .unwrap();
    haven::save_haven(
        db,
        &SafeHavenInput {
            id: None,
            kind: HavenKind::Police,
            name: "Charing Cross Police Station".into(),
            position: p(51.5094, -0.1249),
            hospital: None,
            address: None,
            phone: Some("101".into()),
            opening_hours: Some("24/7".into()),
            notes: String::new(),
        },
    )
    .unwrap();
    route::save_route(
        db,
        &RouteInput {
            id: None,
            name: "Hotel to Lancaster House".into(),
            journey: Some("day-1".into()),
            role: RouteRole::Primary,
            line: vec![
                p(51.5074, -0.1527),
                p(51.5045, -0.1470),
                p(51.5040, -0.1390),
            ],
            points: vec![],
            notes: String::new(),
        },
    )
    .unwrap();
    let t = builtin_templates()
        .into_iter()
        .find(|t| t.id == "vigil.venue-advance")
        .expect("venue template");
    let subject = WalkSubject::Venue {
        venue_id: v.id.clone(),
    };
    let w = walk::start_walk_with(db, &t, &subject, "PS Hale").unwrap();
    let mut first_check = true;
    for section in &t.sections {
        for item in &section.items {
            let (value, issue, note) = match &item.kind {
                ItemKind::Check if first_check => {
                    first_check = false;
                    (
                        AnswerValue::Check {
                            state: CheckState::Issue,
                        },
                        true,
                        "Fire door propped open with a wedge; reported to the duty manager"
                            .to_string(),
                    )
                }
                ItemKind::Check => (
                    AnswerValue::Check {
                        state: CheckState::Ok,
                    },
                    false,
                    String::new(),
                ),
                ItemKind::Text => (
                    AnswerValue::Text {
                        text: "Checked with the duty manager".into(),
                    },
                    false,
                    String::new(),
                ),
                ItemKind::Number { min, .. } => (
                    AnswerValue::Number {
                        value: min.unwrap_or(0.0) + 2.0,
                    },
                    false,
                    String::new(),
                ),
                ItemKind::Choice { options } => (
                    AnswerValue::Choice {
                        option: options[0].clone(),
                    },
                    false,
                    String::new(),
                ),
                ItemKind::Location => (
                    AnswerValue::Location {
                        position: p(51.5076, -0.1529),
                    },
                    false,
                    String::new(),
                ),
                ItemKind::Photo => (
                    AnswerValue::Photo {
                        attachments: vec![walk_photo.clone()],
                    },
                    false,
                    String::new(),
                ),
                ItemKind::Contact => (
                    AnswerValue::Contact {
                        contact: Contact {
                            name: "Duty manager".into(),
                            phone: Some("+44 20 7946 0001".into()),
                            ..Default::default()
                        },
                    },
                    false,
                    String::new(),
                ),
            };
            walk::answer_item(
                db,
                &w.id,
                &AnswerInput {
                    item_id: item.id.clone(),
                    value,
                    note,
                    issue,
                    position: None,
                    photos: if matches!(item.kind, ItemKind::Photo) {
                        vec![walk_photo.clone()]
                    } else {
                        vec![]
                    },
                    officer: "PS Hale".into(),
                    answered_at_ms: Some(
                        Utc.with_ymd_and_hms(2024, 5, 1, 9, 30, 0)
                            .unwrap()
                            .timestamp_millis() as u64,
                    ),
                },
            )
            .unwrap();
        }
    }
    walk::complete_walk(db, &w.id, "PS Hale").unwrap();
    walk::sign_off_walk(db, &w.id, "PS Hale").unwrap();
    Demo {
        vault,
        incidents,
        walk_id: w.id,
        photo,
    }
}
