//! An incident's occurred time lies in a sane window around its recording: at most ten
//! years before and 24 hours after. `9999-12-31T23:59:59Z` and year 0 were accepted.

use crate::support;

use chrono::{Duration, TimeZone, Utc};
use support::*;
use vigil_core::incident::model::{OCCURRED_MAX_FUTURE_HOURS, OCCURRED_MAX_PAST_DAYS};
use vigil_core::incident::{Category, IncidentError, IncidentLog, ReportPatch};

fn refused_field(e: IncidentError) -> (String, String) {
    match e {
        IncidentError::InvalidInput { field, reason } => (field, reason),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn occurred_times_outside_the_window_are_refused_and_change_nothing() {
    let (_dir, mut v, r) = baseline();
    let before = counts(&v);
    let now = Utc::now();
    let far_future = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    let year_zero = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
    let just_too_late = now + Duration::hours(OCCURRED_MAX_FUTURE_HOURS) + Duration::minutes(5);
    let just_too_early = now - Duration::days(OCCURRED_MAX_PAST_DAYS) - Duration::minutes(5);
    let mut log = IncidentLog::new(&mut v);
    for t in [far_future, year_zero, just_too_late, just_too_early] {
        let (field, reason) = refused_field(log.log(report(Category::Other, "x", t)).unwrap_err());
        assert_eq!(field, "occurred at");
        assert!(
            reason.contains("10 years before and 24 hours after"),
            "{reason}"
        );
        // The message says the window, never the time given.
        assert!(
            !reason.contains("9999") && !reason.contains("0000"),
            "{reason}"
        );
        let mut patch = ReportPatch::default();
        let mut occurred = report(Category::Other, "x", t).occurred;
        occurred.utc = t;
        patch.occurred = Some(occurred);
        let (field, _) = refused_field(log.amend(&r.incident_id, "time", patch).unwrap_err());
        assert_eq!(field, "occurred at");
    }
    assert_eq!(counts(&v), before);

    // Inside the window, at both ends, it is recorded.
    let mut log = IncidentLog::new(&mut v);
    log.log(report(
        Category::Other,
        "Clock a little ahead.",
        now + Duration::hours(OCCURRED_MAX_FUTURE_HOURS) - Duration::minutes(5),
    ))
    .unwrap();
    log.log(report(
        Category::Other,
        "Written up years later.",
        now - Duration::days(OCCURRED_MAX_PAST_DAYS) + Duration::minutes(5),
    ))
    .unwrap();
    assert!(log.verify().unwrap().ok);
}
