//! Lists (filters, order, paging), full-text search and CSV export.

mod support;

use support::*;
use vigil_core::incident::{
    Category, IncidentError, IncidentFilter, IncidentLog, Page, ReportPatch, Severity,
};

/// Six incidents over six days, with varied category, severity, venue and route.
fn seeded(v: &mut vigil_core::Vault) -> Vec<String> {
    let mut log = IncidentLog::new(v);
    let specs = [
        (
            Category::SuspiciousActivity,
            Severity::Low,
            "venue-1",
            None,
            "Man photographing the loading bay.",
        ),
        (
            Category::HostileSurveillance,
            Severity::High,
            "venue-1",
            Some("route-a"),
            "Same grey van seen at the hotel and the office.",
        ),
        (
            Category::Medical,
            Severity::Critical,
            "venue-2",
            None,
            "Principal's driver collapsed; ambulance called.",
        ),
        (
            Category::Media,
            Severity::Info,
            "venue-2",
            Some("route-a"),
            "Press outside the café entrance.",
        ),
        (
            Category::RoadOrVehicle,
            Severity::Medium,
            "venue-3",
            Some("route-b"),
            "Motorcycle followed the convoy for two miles.",
        ),
        (
            Category::HostileSurveillance,
            Severity::Medium,
            "venue-3",
            None,
            "Woman timing the shift change.",
        ),
    ];
    let mut ids = vec![];
    for (day, (cat, sev, venue, route, text)) in specs.into_iter().enumerate() {
        let mut r = report(cat, text, at(2024, 6, 1 + day as u32, 12, 0));
        r.severity = Some(sev);
        r.venue_id = Some(venue.into());
        r.route_id = route.map(Into::into);
        ids.push(log.log(r).unwrap().incident_id);
    }
    ids
}

fn ids(list: &[vigil_core::incident::IncidentSummary]) -> Vec<String> {
    list.iter().map(|s| s.incident_id.clone()).collect()
}

#[test]
fn lists_are_newest_first_paged_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let all = seeded(&mut v);
    let newest_first: Vec<String> = all.iter().rev().cloned().collect();
    let log = IncidentLog::new(&mut v);
    let none = IncidentFilter::default();
    assert_eq!(
        ids(&log.list(&none, Page::default()).unwrap()),
        newest_first
    );
    let mut paged = vec![];
    for offset in [0, 2, 4, 6] {
        let page = log.list(&none, Page { limit: 2, offset }).unwrap();
        assert!(page.len() <= 2);
        paged.extend(ids(&page));
    }
    assert_eq!(paged, newest_first);

    let f = |f: IncidentFilter| ids(&log.list(&f, Page::default()).unwrap());
    assert_eq!(
        f(IncidentFilter {
            category: Some(Category::HostileSurveillance),
            ..Default::default()
        }),
        vec![all[5].clone(), all[1].clone()]
    );
    assert_eq!(
        f(IncidentFilter {
            severity: Some(Severity::Medium),
            ..Default::default()
        }),
        vec![all[5].clone(), all[4].clone()]
    );
    assert_eq!(
        f(IncidentFilter {
            min_severity: Some(Severity::High),
            ..Default::default()
        }),
        vec![all[2].clone(), all[1].clone()]
    );
    assert_eq!(
        f(IncidentFilter {
            venue_id: Some("venue-2".into()),
            ..Default::default()
        }),
        vec![all[3].clone(), all[2].clone()]
    );
    assert_eq!(
        f(IncidentFilter {
            route_id: Some("route-a".into()),
            ..Default::default()
        }),
        vec![all[3].clone(), all[1].clone()]
    );
    // from inclusive, to exclusive.
    assert_eq!(
        f(IncidentFilter {
            from: Some(at(2024, 6, 2, 12, 0)),
            to: Some(at(2024, 6, 4, 12, 0)),
            ..Default::default()
        }),
        vec![all[2].clone(), all[1].clone()]
    );
    assert_eq!(
        f(IncidentFilter {
            category: Some(Category::HostileSurveillance),
            venue_id: Some("venue-3".into()),
            ..Default::default()
        }),
        vec![all[5].clone()]
    );
    assert!(f(IncidentFilter {
        category: Some(Category::Other),
        ..Default::default()
    })
    .is_empty());
    assert!(matches!(
        log.list(
            &none,
            Page {
                limit: 501,
                offset: 0
            }
        ),
        Err(IncidentError::InvalidInput { .. })
    ));
}

#[test]
fn lists_follow_the_current_view_after_amendments() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let all = seeded(&mut v);
    let mut log = IncidentLog::new(&mut v);
    log.amend(
        &all[0],
        "reclassified after review",
        ReportPatch {
            category: Some(Category::HostileSurveillance),
            occurred: Some(vigil_core::incident::OccurredAt {
                utc: at(2024, 6, 30, 12, 0),
                offset_minutes: 60,
                zone: Some("Europe/London".into()),
            }),
            ..Default::default()
        },
    )
    .unwrap();
    let list = log
        .list(
            &IncidentFilter {
                category: Some(Category::HostileSurveillance),
                ..Default::default()
            },
            Page::default(),
        )
        .unwrap();
    assert_eq!(
        ids(&list),
        vec![all[0].clone(), all[5].clone(), all[1].clone()]
    );
    assert_eq!(list[0].amendments, 1);
    assert_eq!(list[0].current.category, Category::HostileSurveillance);
    // The plan uses the index.
    let conn = v.db().unwrap().conn();
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT view FROM incident_views WHERE category = 'media'
             ORDER BY occurred_ms DESC LIMIT 10",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("incident_views_category"), "{plan}");
}

#[test]
fn full_text_search_covers_narratives_amendments_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let fts5: i64 = v
        .db()
        .unwrap()
        .conn()
        .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fts5, 1, "FTS5 is compiled into the bundled SQLCipher");
    let all = seeded(&mut v);
    let mut log = IncidentLog::new(&mut v);
    log.amend(
        &all[3],
        "photographer identified as freelance",
        ReportPatch {
            tags: Some(vec!["paparazzi".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    let s = |log: &IncidentLog<'_>, q: &str| ids(&log.search(q, Page::default()).unwrap());
    assert_eq!(s(&log, "grey van"), vec![all[1].clone()]);
    assert_eq!(s(&log, "VAN"), vec![all[1].clone()]);
    assert_eq!(s(&log, "motorcyc"), vec![all[4].clone()], "prefix match");
    assert_eq!(
        s(&log, "freelance"),
        vec![all[3].clone()],
        "amendment reason"
    );
    assert_eq!(s(&log, "paparazzi"), vec![all[3].clone()], "amended tag");
    assert_eq!(s(&log, "cafe"), vec![all[3].clone()], "diacritics folded");
    assert_eq!(s(&log, "repeat").len(), 6, "report tags");
    assert_eq!(
        s(&log, "repeat"),
        all.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert!(s(&log, "helicopter").is_empty());
    // FTS5 syntax in user text is just text.
    assert!(s(&log, "\"van\" OR NEAR(x* ^").is_empty());
    assert!(matches!(
        log.search("  \"* ", Page::default()),
        Err(IncidentError::InvalidInput { .. })
    ));
    let page = log
        .search(
            "repeat",
            Page {
                limit: 4,
                offset: 4,
            },
        )
        .unwrap();
    assert_eq!(ids(&page), vec![all[1].clone(), all[0].clone()]);
}

#[test]
fn csv_has_one_quoted_row_per_incident() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let tricky = "He said \"move\", then left;\nsecond line";
    let r1 = log
        .log(report(
            Category::ApproachOrThreat,
            tricky,
            at(2024, 7, 1, 9, 0),
        ))
        .unwrap();
    let r2 = log
        .log(report(
            Category::Other,
            "=HYPERLINK(\"http://x\")",
            at(2024, 7, 2, 9, 0),
        ))
        .unwrap();
    log.amend(
        &r1.incident_id,
        "severity assessed",
        ReportPatch {
            severity: Some(Some(Severity::Critical)),
            ..Default::default()
        },
    )
    .unwrap();
    let mut out = Vec::new();
    log.export_csv(&IncidentFilter::default(), &mut out)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let records: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(records.len(), 3, "header + 2 rows: {text}");
    assert!(records[0].starts_with("incident_id,occurred_utc,"));
    assert!(records[1].starts_with(&r2.incident_id));
    assert!(
        records[1].contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "{}",
        records[1]
    );
    assert!(records[2].starts_with(&r1.incident_id));
    assert!(records[2].contains("\"He said \"\"move\"\", then left;\nsecond line\""));
    assert!(records[2].contains(",critical,51.501364,-0.14189,8.5,gps,"));
    assert!(
        records[2].ends_with(",1"),
        "amendment count: {}",
        records[2]
    );
    let mut filtered = Vec::new();
    log.export_csv(
        &IncidentFilter {
            category: Some(Category::Medical),
            ..Default::default()
        },
        &mut filtered,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(filtered).unwrap().matches("\r\n").count(),
        1
    );
}
