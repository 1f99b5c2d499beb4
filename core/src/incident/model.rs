//! What an incident report holds, and the checks every value passes before it is
//! written. Field order in these structs IS the canonical encoding (see canonical.rs):
//! never reorder, rename or insert fields; add a new body version instead.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::error::{IncidentError, IncidentResult};

const MAX_NARRATIVE: usize = 100_000;
const MAX_SHORT: usize = 1_000;
const MAX_TEXT: usize = 10_000;
const MAX_ITEMS: usize = 200;
/// UTC offsets in use today lie within -12:00..+14:00; allow the ISO 8601 range (a bound
/// every verifier applies to a body too).
pub const MAX_OFFSET_MINUTES: i32 = 1080;
/// The largest accuracy a version 2 body can hold (10^9 mm).
const MAX_ACCURACY_M: f64 = 1_000_000.0;
/// How far before its recording an incident may have occurred: about ten years (3,653 days).
pub const OCCURRED_MAX_PAST_DAYS: i64 = 3_653;
/// How far after its recording an incident may be said to occur: 24 hours (clocks and time
/// zones set wrong), never more.
pub const OCCURRED_MAX_FUTURE_HOURS: i64 = 24;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text form used in the canonical encoding, CSV and queries.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = IncidentError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                if s.is_empty() {
                    return Err(IncidentError::invalid($field, "empty"));
                }
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(IncidentError::invalid($field, "unknown value")),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What kind of incident this is.
    Category, "category" {
        SuspiciousActivity => "suspicious_activity",
        HostileSurveillance => "hostile_surveillance",
        ApproachOrThreat => "approach_or_threat",
        Medical => "medical",
        SecurityBreach => "security_breach",
        RoadOrVehicle => "road_or_vehicle",
        CrowdOrProtest => "crowd_or_protest",
        Media => "media",
        TheftOrLoss => "theft_or_loss",
        Other => "other",
    }
);

string_enum!(
    /// How serious, lowest first (the derived order is the severity order).
    Severity, "severity" {
        Info => "info",
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

string_enum!(
    /// Where a position came from.
    LocationSource, "location source" {
        Gps => "gps",
        Network => "network",
        Manual => "manual",
        VenuePoint => "venue_point",
    }
);

string_enum!(
    PersonRole, "person role" {
        Subject => "subject",
        Victim => "victim",
        Witness => "witness",
        Police => "police",
    }
);

impl Severity {
    /// 1 (info) ..= 5 (critical).
    pub fn rank(self) -> u8 {
        match self {
            Severity::Info => 1,
            Severity::Low => 2,
            Severity::Medium => 3,
            Severity::High => 4,
            Severity::Critical => 5,
        }
    }
}

/// Serde for instants: RFC 3339, UTC, millisecond precision, `Z` suffix
/// (`2024-05-01T13:45:00.250Z`), so each instant has exactly one text form.
pub mod ts {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn format(t: &DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn parse(s: &str) -> Option<DateTime<Utc>> {
        let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
        (format(&t) == s).then_some(t)
    }

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).ok_or_else(|| serde::de::Error::custom("instant not in canonical form"))
    }

    pub mod opt {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&format(t)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(s) => parse(&s)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("instant not in canonical form")),
            }
        }
    }
}

/// Truncates to whole milliseconds (the canonical precision).
pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t.timestamp_millis())
        .single()
        .unwrap_or(t)
}

/// The current instant, at millisecond precision.
pub fn now() -> DateTime<Utc> {
    to_millis(Utc::now())
}

/// When something happened: the UTC instant plus the officer's local offset and zone,
/// kept for display ("14:05 local") without changing the instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct OccurredAt {
    #[serde(with = "ts")]
    pub utc: DateTime<Utc>,
    pub offset_minutes: i32,
    /// IANA zone name such as `Europe/London`, when the device knows it.
    pub zone: Option<String>,
}

impl OccurredAt {
    pub fn now() -> Self {
        OccurredAt {
            utc: now(),
            offset_minutes: 0,
            zone: None,
        }
    }

    /// The occurred time lies within the window around the time of recording
    /// ([`OCCURRED_MAX_PAST_DAYS`] before, [`OCCURRED_MAX_FUTURE_HOURS`] after). Checked
    /// when an entry is written here; entries from teammates are taken as signed.
    pub(crate) fn check_window(&self, recorded: DateTime<Utc>) -> IncidentResult<()> {
        let earliest = recorded - chrono::Duration::days(OCCURRED_MAX_PAST_DAYS);
        let latest = recorded + chrono::Duration::hours(OCCURRED_MAX_FUTURE_HOURS);
        if self.utc < earliest || self.utc > latest {
            return Err(IncidentError::invalid(
                "occurred at",
                "must lie between 10 years before and 24 hours after the time of recording",
            ));
        }
        Ok(())
    }

    fn validate(&self) -> IncidentResult<()> {
        if self.offset_minutes.abs() > MAX_OFFSET_MINUTES {
            return Err(IncidentError::invalid("utc offset", "out of range"));
        }
        if self.utc != to_millis(self.utc) {
            return Err(IncidentError::invalid(
                "occurred at",
                "finer than millisecond precision",
            ));
        }
        if let Some(z) = &self.zone {
            let ok = !z.is_empty()
                && z.len() <= 64
                && z.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b));
            if !ok {
                return Err(IncidentError::invalid("time zone", "not an IANA zone name"));
            }
        }
        Ok(())
    }
}

/// A WGS84 position. Serialized by canonical.rs: degrees and metres (floats) in
/// version 1 bodies and everywhere else, integer nanodegrees and millimetres in version 2
/// bodies.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    /// Horizontal accuracy in metres (>= 0), when known.
    pub accuracy_m: Option<f64>,
    pub source: LocationSource,
}

impl Location {
    pub fn validate(&self) -> IncidentResult<()> {
        if !self.latitude.is_finite() || !(-90.0..=90.0).contains(&self.latitude) {
            return Err(IncidentError::invalid(
                "latitude",
                "must be finite, -90..=90",
            ));
        }
        if !self.longitude.is_finite() || !(-180.0..=180.0).contains(&self.longitude) {
            return Err(IncidentError::invalid(
                "longitude",
                "must be finite, -180..=180",
            ));
        }
        if let Some(a) = self.accuracy_m {
            if !a.is_finite() || !(0.0..=MAX_ACCURACY_M).contains(&a) {
                return Err(IncidentError::invalid(
                    "accuracy",
                    "must be finite, 0..=1000000 metres",
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub role: PersonRole,
    pub name: Option<String>,
    /// Behaviour and appearance, not character.
    pub description: String,
    pub contact: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    pub registration: Option<String>,
    pub make: Option<String>,
    pub colour: Option<String>,
    pub direction: Option<String>,
}

impl Vehicle {
    /// The details given, in order: registration, make, colour, direction.
    pub fn details(&self) -> impl Iterator<Item = &str> {
        [
            &self.registration,
            &self.make,
            &self.colour,
            &self.direction,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
    }
}

/// A sealed attachment as an entry refers to it: the id of its file and the SHA-256 of
/// its plaintext, so the entry's signature covers the content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    pub id: String,
    /// Lowercase hex SHA-256 of the plaintext.
    pub sha256: String,
    pub mime: String,
    pub size: u64,
    #[serde(with = "ts::opt")]
    pub captured_at: Option<DateTime<Utc>>,
}

/// The content of an incident report. A quick log fills only the category, the time and
/// perhaps a position; the rest arrives later as amendments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub occurred: OccurredAt,
    pub category: Category,
    /// `None` until assessed.
    pub severity: Option<Severity>,
    pub location: Option<Location>,
    pub narrative: String,
    pub people: Vec<Person>,
    pub vehicles: Vec<Vehicle>,
    pub actions_taken: Vec<String>,
    pub police_reference: Option<String>,
    pub witnesses: Vec<String>,
    pub tags: Vec<String>,
    pub venue_id: Option<String>,
    pub route_id: Option<String>,
    /// Name or callsign of the reporting officer.
    pub officer: Option<String>,
    pub attachments: Vec<AttachmentRef>,
}

impl Report {
    /// A report with only a category, timed now.
    pub fn quick(category: Category, location: Option<Location>) -> Self {
        Report {
            occurred: OccurredAt::now(),
            category,
            severity: None,
            location,
            narrative: String::new(),
            people: vec![],
            vehicles: vec![],
            actions_taken: vec![],
            police_reference: None,
            witnesses: vec![],
            tags: vec![],
            venue_id: None,
            route_id: None,
            officer: None,
            attachments: vec![],
        }
    }

    pub fn validate(&self) -> IncidentResult<()> {
        self.occurred.validate()?;
        if let Some(l) = &self.location {
            l.validate()?;
        }
        text("narrative", &self.narrative, MAX_NARRATIVE)?;
        items("people", self.people.len())?;
        for p in &self.people {
            opt_text("person name", &p.name, MAX_SHORT)?;
            text("person description", &p.description, MAX_TEXT)?;
            opt_text("person contact", &p.contact, MAX_SHORT)?;
        }
        items("vehicles", self.vehicles.len())?;
        for v in &self.vehicles {
            opt_text("vehicle registration", &v.registration, MAX_SHORT)?;
            opt_text("vehicle make", &v.make, MAX_SHORT)?;
            opt_text("vehicle colour", &v.colour, MAX_SHORT)?;
            opt_text("vehicle direction", &v.direction, MAX_SHORT)?;
        }
        items("actions taken", self.actions_taken.len())?;
        for a in &self.actions_taken {
            non_empty("action taken", a, MAX_TEXT)?;
        }
        opt_text("police reference", &self.police_reference, MAX_SHORT)?;
        items("witnesses", self.witnesses.len())?;
        for w in &self.witnesses {
            non_empty("witness", w, MAX_TEXT)?;
        }
        items("tags", self.tags.len())?;
        for t in &self.tags {
            non_empty("tag", t, 64)?;
        }
        opt_id("venue id", &self.venue_id)?;
        opt_id("route id", &self.route_id)?;
        opt_text("officer", &self.officer, MAX_SHORT)?;
        items("attachments", self.attachments.len())?;
        for a in &self.attachments {
            validate_attachment_ref(a)?;
        }
        Ok(())
    }
}

pub(crate) fn validate_attachment_ref(a: &AttachmentRef) -> IncidentResult<()> {
    if !is_lower_hex(&a.id, 32) {
        return Err(IncidentError::invalid("attachment id", "malformed"));
    }
    if !is_lower_hex(&a.sha256, 64) {
        return Err(IncidentError::invalid("attachment sha256", "malformed"));
    }
    validate_mime(&a.mime)?;
    if a.size == 0 {
        return Err(IncidentError::AttachmentEmpty);
    }
    if let Some(t) = a.captured_at {
        if t != to_millis(t) {
            return Err(IncidentError::invalid(
                "capture time",
                "finer than millisecond precision",
            ));
        }
    }
    Ok(())
}

pub(crate) fn validate_mime(m: &str) -> IncidentResult<()> {
    let ok = !m.is_empty()
        && m.len() <= 127
        && m.contains('/')
        && m.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/.+-_".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(IncidentError::invalid("mime type", "malformed"))
    }
}

pub(crate) fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn text(field: &'static str, s: &str, max: usize) -> IncidentResult<()> {
    if s.len() > max {
        return Err(IncidentError::invalid(field, "too long"));
    }
    if s.contains('\0') {
        return Err(IncidentError::invalid(field, "contains a NUL character"));
    }
    Ok(())
}

fn non_empty(field: &'static str, s: &str, max: usize) -> IncidentResult<()> {
    if s.trim().is_empty() {
        return Err(IncidentError::invalid(field, "empty"));
    }
    text(field, s, max)
}

fn opt_text(field: &'static str, s: &Option<String>, max: usize) -> IncidentResult<()> {
    match s {
        Some(s) => non_empty(field, s, max),
        None => Ok(()),
    }
}

fn opt_id(field: &'static str, s: &Option<String>) -> IncidentResult<()> {
    if let Some(s) = s {
        non_empty(field, s, 128)?;
        if s.chars().any(char::is_control) {
            return Err(IncidentError::invalid(field, "contains control characters"));
        }
    }
    Ok(())
}

fn items(field: &'static str, n: usize) -> IncidentResult<()> {
    if n > MAX_ITEMS {
        Err(IncidentError::invalid(field, "too many items"))
    } else {
        Ok(())
    }
}

/// Wraps a present value (even `null`) in `Some`, so `Option<Option<T>>` tells
/// "absent: unchanged" from "null: cleared".
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The fields an amendment changes. Absent fields are unchanged; lists are replaced
/// whole; for optional fields `Some(None)` clears the value. Serialized with absent
/// fields omitted, in this fixed order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred: Option<OccurredAt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<Option<Severity>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub location: Option<Option<Location>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<Vec<Person>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicles: Option<Vec<Vehicle>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_taken: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub police_reference: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub venue_id: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub route_id: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub officer: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentRef>>,
}

impl ReportPatch {
    pub fn is_empty(&self) -> bool {
        *self == ReportPatch::default()
    }

    /// Applies the patch to a copy of `base`.
    pub fn apply(&self, base: &Report) -> Report {
        let mut r = base.clone();
        macro_rules! set {
            ($($f:ident),+) => { $(if let Some(v) = &self.$f { r.$f = v.clone(); })+ };
        }
        set!(
            occurred,
            category,
            severity,
            location,
            narrative,
            people,
            vehicles,
            actions_taken,
            police_reference,
            witnesses,
            tags,
            venue_id,
            route_id,
            officer,
            attachments
        );
        r
    }

    /// The free text an amendment carries, for full-text search.
    pub(crate) fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![];
        if let Some(n) = &self.narrative {
            parts.push(n);
        }
        for list in [&self.actions_taken, &self.witnesses, &self.tags]
            .into_iter()
            .flatten()
        {
            parts.extend(list.iter().map(String::as_str));
        }
        if let Some(people) = &self.people {
            for p in people {
                parts.extend(p.name.as_deref());
                parts.push(&p.description);
            }
        }
        if let Some(Some(p)) = &self.police_reference {
            parts.push(p);
        }
        parts.join("\n")
    }
}

impl Report {
    pub(crate) fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.narrative];
        parts.extend(self.actions_taken.iter().map(String::as_str));
        parts.extend(self.witnesses.iter().map(String::as_str));
        parts.extend(self.tags.iter().map(String::as_str));
        for p in &self.people {
            parts.extend(p.name.as_deref());
            parts.push(&p.description);
        }
        parts.extend(self.police_reference.as_deref());
        parts.join("\n")
    }
}

/// An id made by the core: a lowercase hyphenated UUIDv7 (time-ordered).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

pub(crate) fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s)
        .map(|u| u.hyphenated().to_string() == s)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_refuse_empty() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), *c);
        }
        assert!(matches!(
            "".parse::<Category>(),
            Err(IncidentError::InvalidInput { field, reason })
                if field == "category" && reason == "empty"
        ));
        assert!("fire".parse::<Category>().is_err());
        assert!(Severity::Critical > Severity::Info);
    }

    #[test]
    fn patch_absent_null_and_value_differ() {
        let p: ReportPatch = serde_json::from_str(r#"{"venue_id":null}"#).unwrap();
        assert_eq!(p.venue_id, Some(None));
        let q: ReportPatch = serde_json::from_str(r#"{}"#).unwrap();
        assert!(q.is_empty());
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"venue_id":null}"#);
        assert!(serde_json::from_str::<ReportPatch>(r#"{"bogus":1}"#).is_err());
    }

    #[test]
    fn instants_have_one_form() {
        let t = ts::parse("2024-05-01T13:45:00.250Z").unwrap();
        assert_eq!(ts::format(&t), "2024-05-01T13:45:00.250Z");
        assert!(ts::parse("2024-05-01T13:45:00.25Z").is_none());
        assert!(ts::parse("2024-05-01T14:45:00.250+01:00").is_none());
    }
}
