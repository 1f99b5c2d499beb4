//! Lists (filters, order, paging), full-text search and CSV export.

use crate::support;

use support::*;
use vigil_core::incident::{
    Category, IncidentError, IncidentFilter, IncidentLog, Page, ReportPatch, Severity,
};
use vigil_core::testing::RawConnection;

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
        ids(&log.list(&none, &Page::default()).unwrap()),
        newest_first
    );
    let mut paged = vec![];
    let mut page = Page::first(2);
    loop {
        let rows = log.list(&none, &page).unwrap();
        assert!(rows.len() <= 2);
        paged.extend(ids(&rows));
        match rows.last() {
            Some(last) => page = Page::after(2, last.incident_id.clone()),
            None => break,
        }
    }
    assert_eq!(paged, newest_first);

    let f = |f: IncidentFilter| ids(&log.list(&f, &Page::default()).unwrap());
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
        log.list(&none, &Page::first(501)),
        Err(IncidentError::InvalidInput { .. })
    ));
    assert!(matches!(
        log.list(&none, &Page::after(10, "no-such-incident")),
        Err(IncidentError::InvalidInput { .. })
    ));
}

/// Keyset paging: an incident logged between two pages (newer than everything, or at
/// the very instant of the page boundary) neither repeats a row nor hides one, and ties
/// on the occurred instant are paged by id without loss.
#[test]
fn pages_hold_steady_while_incidents_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let same_instant = at(2024, 6, 1, 12, 0);
    let mut all = vec![];
    for k in 0..7 {
        let r = report(Category::Other, &format!("tie {k}"), same_instant);
        all.push(log.log(r).unwrap().incident_id);
    }
    let none = IncidentFilter::default();
    let first = log.list(&none, &Page::first(3)).unwrap();
    assert_eq!(first.len(), 3);
    // Arrivals after the first page: one newer than all, one at the same instant.
    log.log(report(Category::Other, "newer", at(2024, 6, 2, 12, 0)))
        .unwrap();
    let tie = log
        .log(report(Category::Other, "tie late", same_instant))
        .unwrap()
        .incident_id;
    let mut seen = ids(&first);
    let mut page = Page::after(3, seen[2].clone());
    loop {
        let rows = log.list(&none, &page).unwrap();
        seen.extend(ids(&rows));
        match rows.last() {
            Some(last) => page = Page::after(3, last.incident_id.clone()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no row twice: {seen:?}");
    for id in &all {
        assert!(
            seen.contains(id),
            "every incident present at the start is listed"
        );
    }
    // The late tie sorts by id among the others: listed exactly when it falls after the
    // first page's boundary.
    let boundary = &first[2].incident_id;
    assert_eq!(seen.contains(&tie), &tie < boundary);
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
            &Page::default(),
        )
        .unwrap();
    assert_eq!(
        ids(&list),
        vec![all[0].clone(), all[5].clone(), all[1].clone()]
    );
    assert_eq!(list[0].amendments, 1);
    assert_eq!(list[0].current.category, Category::HostileSurveillance);
    // The plan uses the index.
    let conn = v.db().unwrap().raw_connection();
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
        .raw_connection()
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
    let s = |log: &IncidentLog<'_>, q: &str| ids(&log.search(q, &Page::default()).unwrap());
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
        log.search("  \"* ", &Page::default()),
        Err(IncidentError::InvalidInput { .. })
    ));
    let first = log.search("repeat", &Page::first(4)).unwrap();
    assert_eq!(first.len(), 4);
    let page = log
        .search("repeat", &Page::after(4, first[3].incident_id.clone()))
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

/// Search takes the matching rows one by one when few match and walks the newest-first
/// index when many do; both must give exactly the newest matches, in order, and page
/// the same way. 400 incidents, occurred out of logging order: "common" in every second
/// one (the index walk), "rare" in four (row lookups), and an amendment that adds a word.
#[test]
fn search_finds_the_newest_matches_whether_few_or_many_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let mut log = IncidentLog::new(&mut v);
    let base = at(2024, 6, 1, 0, 0);
    let mut logged = vec![];
    for k in 0..400u32 {
        // A permutation of 0..400: occurred order differs from logging (rowid) order.
        let slot = (k * 263) % 400;
        let mut words = vec!["patrol"];
        if k % 2 == 0 {
            words.push("common");
        }
        if k % 100 == 7 {
            words.push("rare");
        }
        let occurred = base + chrono::Duration::minutes(i64::from(slot));
        let id = log
            .log(report(Category::Other, &words.join(" "), occurred))
            .unwrap()
            .incident_id;
        logged.push((slot, k, id));
    }
    let amended = logged[11].2.clone();
    log.amend(
        &amended,
        "second look",
        ReportPatch {
            narrative: Some("patrol rare sighting".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let expect = |pred: &dyn Fn(u32) -> bool| -> Vec<String> {
        let mut m: Vec<&(u32, u32, String)> = logged.iter().filter(|(_, k, _)| pred(*k)).collect();
        m.sort_by_key(|e| std::cmp::Reverse(e.0));
        m.into_iter().map(|(_, _, id)| id.clone()).collect()
    };
    let all_pages = |q: &str, limit: u32| -> Vec<String> {
        let mut out = vec![];
        let mut page = Page::first(limit);
        loop {
            let rows = log.search(q, &page).unwrap();
            out.extend(ids(&rows));
            match rows.last() {
                Some(last) => page = Page::after(limit, last.incident_id.clone()),
                None => break,
            }
        }
        out
    };
    let common = expect(&|k| k % 2 == 0);
    assert_eq!(
        ids(&log.search("common", &Page::first(50)).unwrap()),
        common[..50]
    );
    assert_eq!(all_pages("common", 50), common);
    let rare = expect(&|k| k % 100 == 7 || k == 11);
    assert_eq!(rare.len(), 5);
    assert_eq!(ids(&log.search("rare", &Page::first(50)).unwrap()), rare);
    assert_eq!(all_pages("rare", 2), rare);
    // The amended incident is found by its old words, its new ones and the reason.
    for q in ["patrol sighting", "second look", "patrol"] {
        assert!(
            ids(&log.search(q, &Page::first(500)).unwrap()).contains(&amended),
            "{q}"
        );
    }
    assert_eq!(
        log.search("patrol rare", &Page::first(50)).unwrap().len(),
        5
    );
    assert!(log
        .search("common rare", &Page::first(50))
        .unwrap()
        .is_empty());
    assert!(log.search("absent", &Page::first(50)).unwrap().is_empty());
    // With a period: both paths (index walk for "common", lookups for "rare") keep only
    // the incidents of the period, and fill the page with them.
    let early = IncidentFilter {
        to: Some(base + chrono::Duration::minutes(200)),
        ..Default::default()
    };
    let in_period = |k: u32| (k * 263) % 400 < 200;
    for (q, pred) in [
        (
            "common",
            &(|k: u32| k.is_multiple_of(2)) as &dyn Fn(u32) -> bool,
        ),
        ("rare", &|k: u32| k % 100 == 7 || k == 11),
    ] {
        let want = expect(&|k| pred(k) && in_period(k));
        let got = ids(&log.search_filtered(q, &early, &Page::first(50)).unwrap());
        assert_eq!(got, want[..want.len().min(50)], "{q}");
    }
}

/// Search and filters together: category, severity and period narrow the text's matches.
#[test]
fn search_honours_category_severity_and_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path());
    let all = seeded(&mut v);
    let log = IncidentLog::new(&mut v);
    // "the": every incident of the seed matches (narratives and the fixture's text).
    let s = |f: IncidentFilter| ids(&log.search_filtered("the", &f, &Page::default()).unwrap());
    let newest_first: Vec<String> = all.iter().rev().cloned().collect();
    assert_eq!(s(IncidentFilter::default()), newest_first);
    assert_eq!(
        s(IncidentFilter {
            category: Some(Category::HostileSurveillance),
            ..Default::default()
        }),
        vec![all[5].clone(), all[1].clone()]
    );
    assert_eq!(
        s(IncidentFilter {
            min_severity: Some(Severity::High),
            ..Default::default()
        }),
        vec![all[2].clone(), all[1].clone()]
    );
    assert_eq!(
        s(IncidentFilter {
            from: Some(at(2024, 6, 4, 0, 0)),
            to: Some(at(2024, 6, 6, 0, 0)),
            ..Default::default()
        }),
        vec![all[4].clone(), all[3].clone()]
    );
    assert!(s(IncidentFilter {
        category: Some(Category::Media),
        min_severity: Some(Severity::High),
        ..Default::default()
    })
    .is_empty());
}
