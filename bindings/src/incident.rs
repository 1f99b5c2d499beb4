//! The incident log over the FFI: `IncidentLog` (an object made from an unlocked
//! `Vault`), its records and enums, `IncidentError`, and the free `verify_bundle`.
//!
//! Every method blocks (SQLite, file I/O, hashing): call off the main thread
//! (`Dispatchers.IO`, a background actor). Instants cross as epoch milliseconds (UTC).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use vigil_core::error::StoreError as CoreStoreError;
use vigil_core::incident as core;

use crate::vault::Vault;

// ---------------------------------------------------------------------------------
// Errors

/// What the incident log reports. Kotlin: `IncidentException`. Messages name what
/// failed, never what it held: no narratives, names, coordinates, times, paths or keys.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum IncidentError {
    /// A field was refused; `field` and `reason` are fixed texts chosen by the core.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// No incident or entry with that id in this store.
    #[error("unknown incident or entry")]
    UnknownIncident,
    #[error("unknown attachment")]
    UnknownAttachment,
    #[error("an attachment cannot be empty")]
    AttachmentEmpty,
    /// The sealed file failed authentication or no longer matches its recorded hash.
    #[error("the attachment is corrupt or has been tampered with")]
    AttachmentCorrupt,
    /// A teammate's attachment not downloaded yet: the next sync fetches it.
    #[error("the attachment has not been downloaded yet")]
    AttachmentNotDownloaded,
    /// The bundle could not be built (for example: the local log does not verify).
    #[error("the bundle could not be built: {reason}")]
    Bundle { reason: String },
    /// A file given by the caller could not be read or written (`reason` is the I/O
    /// error kind, never the path).
    #[error("file error: {reason}")]
    Io { reason: String },
    #[error("the store is locked")]
    Locked,
    /// The store failed underneath (database, crypto); `reason` is the store error's
    /// own message, which carries no content.
    #[error("store error: {reason}")]
    Store { reason: String },
}

impl From<core::IncidentError> for IncidentError {
    fn from(e: core::IncidentError) -> Self {
        use core::IncidentError as E;
        match e {
            E::InvalidInput { field, reason } => IncidentError::InvalidInput {
                field: field.to_string(),
                reason: reason.to_string(),
            },
            E::UnknownIncident => IncidentError::UnknownIncident,
            E::UnknownAttachment => IncidentError::UnknownAttachment,
            E::AttachmentEmpty => IncidentError::AttachmentEmpty,
            E::AttachmentCorrupt => IncidentError::AttachmentCorrupt,
            E::AttachmentNotDownloaded => IncidentError::AttachmentNotDownloaded,
            E::AttachmentIo(kind) | E::ExportIo(kind) => IncidentError::Io {
                reason: format!("{kind:?}"),
            },
            E::Bundle(reason) => IncidentError::Bundle {
                reason: reason.to_string(),
            },
            E::Store(s) => s.into(),
        }
    }
}

impl From<CoreStoreError> for IncidentError {
    fn from(e: CoreStoreError) -> Self {
        match e {
            CoreStoreError::Locked => IncidentError::Locked,
            CoreStoreError::InvalidInput { field, reason } => {
                IncidentError::InvalidInput { field, reason }
            }
            other => IncidentError::Store {
                reason: other.to_string(),
            },
        }
    }
}

fn io_err(e: std::io::Error) -> IncidentError {
    IncidentError::Io {
        reason: format!("{:?}", e.kind()),
    }
}

fn invalid(field: &str, reason: &str) -> IncidentError {
    IncidentError::InvalidInput {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

// ---------------------------------------------------------------------------------
// Instants

fn from_millis(field: &str, ms: i64) -> Result<DateTime<Utc>, IncidentError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| invalid(field, "out of range"))
}

fn to_millis(t: &DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

// ---------------------------------------------------------------------------------
// Enums

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident = $core:path { $($v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name { $($v),+ }

        impl From<$core> for $name {
            fn from(c: $core) -> Self {
                use $core as C;
                match c { $(C::$v => $name::$v),+ }
            }
        }

        impl From<$name> for $core {
            fn from(c: $name) -> Self {
                use $core as C;
                match c { $($name::$v => C::$v),+ }
            }
        }
    };
}

mirror_enum!(
    /// What kind of incident this is.
    IncidentCategory = core::Category {
        SuspiciousActivity, HostileSurveillance, ApproachOrThreat, Medical, SecurityBreach,
        RoadOrVehicle, CrowdOrProtest, Media, TheftOrLoss, Other,
    }
);
mirror_enum!(
    /// How serious, lowest first.
    Severity = core::Severity { Info, Low, Medium, High, Critical }
);
mirror_enum!(
    /// Where a position came from.
    LocationSource = core::LocationSource { Gps, Network, Manual, VenuePoint }
);
mirror_enum!(
    PersonRole = core::PersonRole {
        Subject,
        Victim,
        Witness,
        Police
    }
);
mirror_enum!(EntryKind = core::EntryKind { Report, Amendment });
mirror_enum!(
    /// Why a link of the chain is broken (see docs/INCIDENT_LOG.md).
    ProblemKind = core::ProblemKind {
        Foreign, Missing, Reordered, BadSignature, Edited, Malformed, HeadMismatch,
        BehindReceipt, ReceiptMismatch, BadReceipt,
    }
);

/// A nullable report field an amendment can clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ClearableField {
    Severity,
    Location,
    PoliceReference,
    VenueId,
    RouteId,
    Officer,
}

// ---------------------------------------------------------------------------------
// Records

/// When something happened: UTC epoch milliseconds plus the local offset (minutes east
/// of UTC, -1080..=1080) and, when known, the IANA zone (`Europe/London`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OccurredAt {
    pub epoch_millis: i64,
    pub offset_minutes: i32,
    pub zone: Option<String>,
}

/// A WGS84 position; accuracy in metres (>= 0) when known.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IncidentLocation {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    pub source: LocationSource,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Person {
    pub role: PersonRole,
    pub name: Option<String>,
    pub description: String,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Vehicle {
    pub registration: Option<String>,
    pub make: Option<String>,
    pub colour: Option<String>,
    pub direction: Option<String>,
}

/// A sealed attachment as entries refer to it (`sha256`: lowercase hex of the plaintext).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttachmentRef {
    pub id: String,
    pub sha256: String,
    pub mime: String,
    pub size: u64,
    pub captured_at_millis: Option<i64>,
}

/// An incident report. `officer` defaults to the log's officer when null;
/// `attachments` may only name attachments stored in this store.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IncidentReport {
    pub occurred: OccurredAt,
    pub category: IncidentCategory,
    pub severity: Option<Severity>,
    pub location: Option<IncidentLocation>,
    pub narrative: String,
    pub people: Vec<Person>,
    pub vehicles: Vec<Vehicle>,
    pub actions_taken: Vec<String>,
    pub police_reference: Option<String>,
    pub witnesses: Vec<String>,
    pub tags: Vec<String>,
    pub venue_id: Option<String>,
    pub route_id: Option<String>,
    pub officer: Option<String>,
    pub attachments: Vec<AttachmentRef>,
}

/// The changes an amendment makes: a non-null field is set (lists are replaced whole);
/// a field named in `clear` is cleared. Setting and clearing one field is refused.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportPatch {
    pub occurred: Option<OccurredAt>,
    pub category: Option<IncidentCategory>,
    pub severity: Option<Severity>,
    pub location: Option<IncidentLocation>,
    pub narrative: Option<String>,
    pub people: Option<Vec<Person>>,
    pub vehicles: Option<Vec<Vehicle>>,
    pub actions_taken: Option<Vec<String>>,
    pub police_reference: Option<String>,
    pub witnesses: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub venue_id: Option<String>,
    pub route_id: Option<String>,
    pub officer: Option<String>,
    pub attachments: Option<Vec<AttachmentRef>>,
    pub clear: Vec<ClearableField>,
}

/// What an append returns. `hash` is the lowercase hex entry hash.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EntryReceipt {
    pub incident_id: String,
    pub entry_id: String,
    pub seq: u64,
    pub hash: String,
}

/// One entry of an incident's history, with everything a third party needs to check
/// it independently: `hash = SHA-256("VIGIL-ENTRY-V1" || u64be(seq) || prev_hash ||
/// u32be(len(device_id)) || device_id || u32be(len(body)) || body)` and `signature` is
/// Ed25519 over `hash` by `device_public_key` (raw 32 bytes). `body` is the exact
/// canonical JSON bytes as stored and signed.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryEntry {
    pub entry_id: String,
    pub seq: u64,
    pub device_id: String,
    pub kind: EntryKind,
    pub recorded_at_millis: i64,
    pub author: Option<String>,
    pub amends: Option<String>,
    pub reason: Option<String>,
    pub patch: Option<ReportPatch>,
    pub report: Option<IncidentReport>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub signature: Vec<u8>,
    pub body: Vec<u8>,
    pub device_public_key: Vec<u8>,
}

/// An incident as it reads now, and the history that produced it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IncidentView {
    pub incident_id: String,
    pub device_id: String,
    pub recorded_at_millis: i64,
    pub updated_at_millis: i64,
    pub amendments: u32,
    pub current: IncidentReport,
    pub history: Vec<HistoryEntry>,
}

/// A line of a list or search result: the current view without the history.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IncidentSummary {
    pub incident_id: String,
    pub recorded_at_millis: i64,
    pub updated_at_millis: i64,
    pub amendments: u32,
    pub current: IncidentReport,
}

/// List filters; all given ones must hold. Times bound the occurred instant (from
/// inclusive, to exclusive). `min_severity`: this severity or worse.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct IncidentFilter {
    pub from_millis: Option<i64>,
    pub to_millis: Option<i64>,
    pub category: Option<IncidentCategory>,
    pub severity: Option<Severity>,
    pub min_severity: Option<Severity>,
    pub venue_id: Option<String>,
    pub route_id: Option<String>,
}

/// The first broken link: what, at which sequence number, and which entry if any.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainProblem {
    pub kind: ProblemKind,
    pub seq: u64,
    pub entry_id: Option<String>,
}

/// The result of recomputing the chain. A broken chain is a report, not an exception.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifyReport {
    pub ok: bool,
    pub device_id: String,
    pub entries_checked: u64,
    pub head_seq: u64,
    pub head_hash: String,
    pub problem: Option<ChainProblem>,
}

/// Why a bundle fails verification.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BundleProblem {
    Unparseable,
    NotCanonical,
    UnsupportedFormat,
    MalformedField,
    BadBundleSignature,
    Chain {
        problem: ChainProblem,
    },
    HeadMismatch,
    /// A disclosed body belongs to an unlisted incident, or a listed incident's report
    /// is not disclosed.
    ScopeMismatch,
    /// An entry of a disclosed incident is hidden (its history would be incomplete).
    HiddenHistory,
    /// The team server's receipt in the bundle does not verify under its server key,
    /// names another device or binds another device key.
    BadReceipt,
    /// The chain ends before the seq the server's receipt anchored (entries were cut).
    BehindReceipt,
    /// The entry at the anchored seq has another hash than the receipt states.
    ReceiptMismatch,
}

/// The result of `verify_bundle`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleReport {
    pub ok: bool,
    pub problem: Option<BundleProblem>,
    /// Bundle format version (1: earlier releases, 2: current), once known.
    pub format_version: Option<u32>,
    /// Entry encoding versions the bundle holds, ascending.
    pub entry_versions: Vec<u32>,
    /// Receipt version (1: binds no device key, 2: binds it), when the bundle has one.
    pub receipt_version: Option<u32>,
    pub device_id: Option<String>,
    pub device_public_key: Option<String>,
    pub exported_at_millis: Option<i64>,
    pub incidents: Vec<String>,
    pub chain: Option<VerifyReport>,
}

// ---------------------------------------------------------------------------------
// Conversions

impl TryFrom<OccurredAt> for core::OccurredAt {
    type Error = IncidentError;
    fn try_from(o: OccurredAt) -> Result<Self, IncidentError> {
        Ok(core::OccurredAt {
            utc: from_millis("occurred at", o.epoch_millis)?,
            offset_minutes: o.offset_minutes,
            zone: o.zone,
        })
    }
}

impl From<core::OccurredAt> for OccurredAt {
    fn from(o: core::OccurredAt) -> Self {
        OccurredAt {
            epoch_millis: to_millis(&o.utc),
            offset_minutes: o.offset_minutes,
            zone: o.zone,
        }
    }
}

impl From<IncidentLocation> for core::Location {
    fn from(l: IncidentLocation) -> Self {
        core::Location {
            latitude: l.latitude,
            longitude: l.longitude,
            accuracy_m: l.accuracy_m,
            source: l.source.into(),
        }
    }
}

impl From<core::Location> for IncidentLocation {
    fn from(l: core::Location) -> Self {
        IncidentLocation {
            latitude: l.latitude,
            longitude: l.longitude,
            accuracy_m: l.accuracy_m,
            source: l.source.into(),
        }
    }
}

impl From<Person> for core::Person {
    fn from(p: Person) -> Self {
        core::Person {
            role: p.role.into(),
            name: p.name,
            description: p.description,
            contact: p.contact,
        }
    }
}

impl From<core::Person> for Person {
    fn from(p: core::Person) -> Self {
        Person {
            role: p.role.into(),
            name: p.name,
            description: p.description,
            contact: p.contact,
        }
    }
}

impl From<Vehicle> for core::Vehicle {
    fn from(v: Vehicle) -> Self {
        core::Vehicle {
            registration: v.registration,
            make: v.make,
            colour: v.colour,
            direction: v.direction,
        }
    }
}

impl From<core::Vehicle> for Vehicle {
    fn from(v: core::Vehicle) -> Self {
        Vehicle {
            registration: v.registration,
            make: v.make,
            colour: v.colour,
            direction: v.direction,
        }
    }
}

impl TryFrom<AttachmentRef> for core::AttachmentRef {
    type Error = IncidentError;
    fn try_from(a: AttachmentRef) -> Result<Self, IncidentError> {
        Ok(core::AttachmentRef {
            id: a.id,
            sha256: a.sha256,
            mime: a.mime,
            size: a.size,
            captured_at: a
                .captured_at_millis
                .map(|ms| from_millis("capture time", ms))
                .transpose()?,
        })
    }
}

impl From<core::AttachmentRef> for AttachmentRef {
    fn from(a: core::AttachmentRef) -> Self {
        AttachmentRef {
            id: a.id,
            sha256: a.sha256,
            mime: a.mime,
            size: a.size,
            captured_at_millis: a.captured_at.as_ref().map(to_millis),
        }
    }
}

fn map<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

fn try_map<A, B: TryFrom<A, Error = IncidentError>>(v: Vec<A>) -> Result<Vec<B>, IncidentError> {
    v.into_iter().map(B::try_from).collect()
}

impl TryFrom<IncidentReport> for core::Report {
    type Error = IncidentError;
    fn try_from(r: IncidentReport) -> Result<Self, IncidentError> {
        Ok(core::Report {
            occurred: r.occurred.try_into()?,
            category: r.category.into(),
            severity: r.severity.map(Into::into),
            location: r.location.map(Into::into),
            narrative: r.narrative,
            people: map(r.people),
            vehicles: map(r.vehicles),
            actions_taken: r.actions_taken,
            police_reference: r.police_reference,
            witnesses: r.witnesses,
            tags: r.tags,
            venue_id: r.venue_id,
            route_id: r.route_id,
            officer: r.officer,
            attachments: try_map(r.attachments)?,
        })
    }
}

impl From<core::Report> for IncidentReport {
    fn from(r: core::Report) -> Self {
        IncidentReport {
            occurred: r.occurred.into(),
            category: r.category.into(),
            severity: r.severity.map(Into::into),
            location: r.location.map(Into::into),
            narrative: r.narrative,
            people: map(r.people),
            vehicles: map(r.vehicles),
            actions_taken: r.actions_taken,
            police_reference: r.police_reference,
            witnesses: r.witnesses,
            tags: r.tags,
            venue_id: r.venue_id,
            route_id: r.route_id,
            officer: r.officer,
            attachments: map(r.attachments),
        }
    }
}

/// `Some(Some(v))` when set, `Some(None)` when cleared, `None` when unchanged.
fn settable<T>(
    name: &str,
    value: Option<T>,
    clear: &[ClearableField],
    field: ClearableField,
) -> Result<Option<Option<T>>, IncidentError> {
    match (value, clear.contains(&field)) {
        (Some(_), true) => Err(invalid(name, "both set and cleared")),
        (Some(v), false) => Ok(Some(Some(v))),
        (None, true) => Ok(Some(None)),
        (None, false) => Ok(None),
    }
}

impl TryFrom<ReportPatch> for core::ReportPatch {
    type Error = IncidentError;
    fn try_from(p: ReportPatch) -> Result<Self, IncidentError> {
        use ClearableField as F;
        let c = &p.clear;
        Ok(core::ReportPatch {
            occurred: p.occurred.map(TryInto::try_into).transpose()?,
            category: p.category.map(Into::into),
            severity: settable("severity", p.severity.map(Into::into), c, F::Severity)?,
            location: settable("location", p.location.map(Into::into), c, F::Location)?,
            narrative: p.narrative,
            people: p.people.map(map),
            vehicles: p.vehicles.map(map),
            actions_taken: p.actions_taken,
            police_reference: settable(
                "police reference",
                p.police_reference,
                c,
                F::PoliceReference,
            )?,
            witnesses: p.witnesses,
            tags: p.tags,
            venue_id: settable("venue id", p.venue_id, c, F::VenueId)?,
            route_id: settable("route id", p.route_id, c, F::RouteId)?,
            officer: settable("officer", p.officer, c, F::Officer)?,
            attachments: p.attachments.map(try_map).transpose()?,
        })
    }
}

impl From<core::ReportPatch> for ReportPatch {
    fn from(p: core::ReportPatch) -> Self {
        use ClearableField as F;
        let mut clear = vec![];
        let mut split = |v: Option<Option<_>>, f: ClearableField| match v {
            Some(None) => {
                clear.push(f);
                None
            }
            Some(Some(x)) => Some(x),
            None => None,
        };
        let severity = split(p.severity.map(|s| s.map(Severity::from)), F::Severity);
        ReportPatch {
            occurred: p.occurred.map(Into::into),
            category: p.category.map(Into::into),
            severity,
            location: match p.location {
                Some(None) => {
                    clear.push(F::Location);
                    None
                }
                Some(Some(l)) => Some(l.into()),
                None => None,
            },
            narrative: p.narrative,
            people: p.people.map(map),
            vehicles: p.vehicles.map(map),
            actions_taken: p.actions_taken,
            police_reference: opt_clear(p.police_reference, &mut clear, F::PoliceReference),
            witnesses: p.witnesses,
            tags: p.tags,
            venue_id: opt_clear(p.venue_id, &mut clear, F::VenueId),
            route_id: opt_clear(p.route_id, &mut clear, F::RouteId),
            officer: opt_clear(p.officer, &mut clear, F::Officer),
            attachments: p.attachments.map(map),
            clear,
        }
    }
}

fn opt_clear(
    v: Option<Option<String>>,
    clear: &mut Vec<ClearableField>,
    f: ClearableField,
) -> Option<String> {
    match v {
        Some(None) => {
            clear.push(f);
            None
        }
        Some(Some(x)) => Some(x),
        None => None,
    }
}

impl From<core::EntryReceipt> for EntryReceipt {
    fn from(r: core::EntryReceipt) -> Self {
        EntryReceipt {
            incident_id: r.incident_id,
            entry_id: r.entry_id,
            seq: r.seq,
            hash: r.hash,
        }
    }
}

impl From<core::IncidentSummary> for IncidentSummary {
    fn from(s: core::IncidentSummary) -> Self {
        IncidentSummary {
            incident_id: s.incident_id,
            recorded_at_millis: to_millis(&s.recorded_at),
            updated_at_millis: to_millis(&s.updated_at),
            amendments: s.amendments,
            current: s.current.into(),
        }
    }
}

impl TryFrom<IncidentFilter> for core::IncidentFilter {
    type Error = IncidentError;
    fn try_from(f: IncidentFilter) -> Result<Self, IncidentError> {
        Ok(core::IncidentFilter {
            from: f
                .from_millis
                .map(|ms| from_millis("from", ms))
                .transpose()?,
            to: f.to_millis.map(|ms| from_millis("to", ms)).transpose()?,
            category: f.category.map(Into::into),
            severity: f.severity.map(Into::into),
            min_severity: f.min_severity.map(Into::into),
            venue_id: f.venue_id,
            route_id: f.route_id,
        })
    }
}

impl From<core::ChainProblem> for ChainProblem {
    fn from(p: core::ChainProblem) -> Self {
        ChainProblem {
            kind: p.kind.into(),
            seq: p.seq,
            entry_id: p.entry_id,
        }
    }
}

impl From<core::VerifyReport> for VerifyReport {
    fn from(r: core::VerifyReport) -> Self {
        VerifyReport {
            ok: r.ok,
            device_id: r.device_id,
            entries_checked: r.entries_checked,
            head_seq: r.head_seq,
            head_hash: r.head_hash,
            problem: r.problem.map(Into::into),
        }
    }
}

impl From<core::BundleProblem> for BundleProblem {
    fn from(p: core::BundleProblem) -> Self {
        use core::BundleProblem as P;
        match p {
            P::Unparseable => BundleProblem::Unparseable,
            P::NotCanonical => BundleProblem::NotCanonical,
            P::UnsupportedFormat => BundleProblem::UnsupportedFormat,
            P::MalformedField => BundleProblem::MalformedField,
            P::BadBundleSignature => BundleProblem::BadBundleSignature,
            P::Chain(c) => BundleProblem::Chain { problem: c.into() },
            P::HeadMismatch => BundleProblem::HeadMismatch,
            P::ScopeMismatch => BundleProblem::ScopeMismatch,
            P::HiddenHistory => BundleProblem::HiddenHistory,
            P::BadReceipt => BundleProblem::BadReceipt,
            P::BehindReceipt => BundleProblem::BehindReceipt,
            P::ReceiptMismatch => BundleProblem::ReceiptMismatch,
        }
    }
}

impl From<core::BundleReport> for BundleReport {
    fn from(r: core::BundleReport) -> Self {
        BundleReport {
            ok: r.ok,
            problem: r.problem.map(Into::into),
            format_version: r.format_version,
            entry_versions: r.entry_versions,
            receipt_version: r.receipt_version,
            device_id: r.device_id,
            device_public_key: r.device_public_key,
            exported_at_millis: r.exported_at.as_ref().map(to_millis),
            incidents: r.incidents,
            chain: r.chain.map(Into::into),
        }
    }
}

fn page(limit: u32, after: Option<String>) -> core::Page {
    core::Page { limit, after }
}

fn scope(incidents: Option<Vec<String>>) -> core::ExportScope {
    match incidents {
        None => core::ExportScope::All,
        Some(ids) => core::ExportScope::Incidents(ids),
    }
}

// ---------------------------------------------------------------------------------
// The object

/// The incident log of one store. Made from a `Vault`; works while that vault is
/// unlocked (else `Locked`). Every method blocks (SQLite, file I/O): call it off the
/// main thread. Close it (`close()` / `use {}`) when done.
#[derive(uniffi::Object)]
pub struct IncidentLog {
    vault: Arc<Vault>,
    officer: Option<String>,
}

impl IncidentLog {
    /// Runs `f` with a core log over the locked vault.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut core::IncidentLog<'_>) -> Result<T, core::IncidentError>,
    ) -> Result<T, IncidentError> {
        let mut v = self.vault.guard();
        let mut log = core::IncidentLog::with_officer(&mut v, self.officer.clone())?;
        Ok(f(&mut log)?)
    }
}

#[uniffi::export]
impl IncidentLog {
    /// A log whose entries name no author. Does not touch the store.
    #[uniffi::constructor]
    pub fn new(vault: Arc<Vault>) -> Arc<Self> {
        Arc::new(IncidentLog {
            vault,
            officer: None,
        })
    }

    /// A log whose entries name `officer` (name or callsign) as author and, unless a
    /// report says otherwise, as reporting officer.
    #[uniffi::constructor]
    pub fn with_officer(vault: Arc<Vault>, officer: String) -> Result<Arc<Self>, IncidentError> {
        if officer.trim().is_empty() || officer.len() > 1_000 || officer.contains('\0') {
            return Err(invalid("officer", "empty or too long"));
        }
        Ok(Arc::new(IncidentLog {
            vault,
            officer: Some(officer),
        }))
    }

    /// Records a new incident report. Blocking.
    pub fn log(&self, report: IncidentReport) -> Result<EntryReceipt, IncidentError> {
        let report = core::Report::try_from(report)?;
        Ok(self.with(|l| l.log(report))?.into())
    }

    /// Category only, timed now, with a position if there is one. Blocking.
    pub fn quick_log(
        &self,
        category: IncidentCategory,
        location: Option<IncidentLocation>,
    ) -> Result<EntryReceipt, IncidentError> {
        Ok(self
            .with(|l| l.quick_log(category.into(), location.map(Into::into)))?
            .into())
    }

    /// Appends a correction to entry `amends` (the incident id, or an earlier
    /// amendment's entry id), saying why. Blocking.
    pub fn amend(
        &self,
        amends: String,
        reason: String,
        patch: ReportPatch,
    ) -> Result<EntryReceipt, IncidentError> {
        let patch = core::ReportPatch::try_from(patch)?;
        Ok(self.with(|l| l.amend(&amends, &reason, patch))?.into())
    }

    /// The current view and full history, with each entry's exact signed bytes and the
    /// device public key for independent verification. Blocking.
    pub fn get(&self, incident_id: String) -> Result<IncidentView, IncidentError> {
        let mut v = self.vault.guard();
        let view = core::IncidentLog::new(&mut v).get(&incident_id)?;
        let db = v.db()?;
        let stored: HashMap<String, core::chain::StoredEntry> =
            core::chain::of_incident(db.conn(), &incident_id)?
                .into_iter()
                .map(|(e, _)| (e.entry_id.clone(), e))
                .collect();
        let public_key = db.device_key().public_key().to_vec();
        let mut history = Vec::with_capacity(view.history.len());
        for h in view.history {
            let s = stored.get(&h.entry_id).ok_or(IncidentError::Store {
                reason: CoreStoreError::DatabaseCorrupt.to_string(),
            })?;
            history.push(HistoryEntry {
                entry_id: h.entry_id,
                seq: h.seq,
                device_id: h.device_id,
                kind: h.kind.into(),
                recorded_at_millis: to_millis(&h.recorded_at),
                author: h.author,
                amends: h.amends,
                reason: h.reason,
                patch: h.patch.map(Into::into),
                report: h.report.map(Into::into),
                prev_hash: s.prev_hash.clone(),
                hash: s.hash.clone(),
                signature: s.signature.clone(),
                body: s.body.clone(),
                device_public_key: public_key.clone(),
            });
        }
        Ok(IncidentView {
            incident_id: view.incident_id,
            device_id: view.device_id,
            recorded_at_millis: to_millis(&view.recorded_at),
            updated_at_millis: to_millis(&view.updated_at),
            amendments: view.amendments,
            current: view.current.into(),
            history,
        })
    }

    /// Current views matching `filter`, newest first; `limit` 1..=500. The next page is
    /// the one `after` the last incident id of this one (`None`: from the newest); rows
    /// logged or pulled in between pages never repeat or push others out. Blocking.
    pub fn list(
        &self,
        filter: IncidentFilter,
        limit: u32,
        after: Option<String>,
    ) -> Result<Vec<IncidentSummary>, IncidentError> {
        let filter = core::IncidentFilter::try_from(filter)?;
        let page = page(limit, after);
        Ok(map(self.with(|l| l.list(&filter, &page))?))
    }

    /// Incidents whose text (in any entry) contains every word of `text` as a prefix,
    /// newest first, paged like `list`. Blocking.
    pub fn search(
        &self,
        text: String,
        limit: u32,
        after: Option<String>,
    ) -> Result<Vec<IncidentSummary>, IncidentError> {
        let page = page(limit, after);
        Ok(map(self.with(|l| l.search(&text, &page))?))
    }

    /// Recomputes the whole chain; a broken chain is reported, not thrown. Blocking.
    pub fn verify(&self) -> Result<VerifyReport, IncidentError> {
        Ok(self.with(|l| l.verify())?.into())
    }

    /// Seals the file at `path` (streamed) as an attachment and adds it to the incident
    /// by an amendment. Returns the attachment reference. Blocking.
    pub fn attach_file(
        &self,
        incident_id: String,
        path: String,
        mime: String,
        captured_at_millis: Option<i64>,
    ) -> Result<AttachmentRef, IncidentError> {
        let captured = captured_at_millis
            .map(|ms| from_millis("capture time", ms))
            .transpose()?;
        let mut src = BufReader::new(File::open(&path).map_err(io_err)?);
        let (r, _) = self.with(|l| l.attach(&incident_id, &mut src, &mime, captured))?;
        Ok(r.into())
    }

    /// Decrypts attachment `id` into a new file at `path` (streamed; an existing file is
    /// refused). On any error the partial file is removed. Blocking.
    pub fn read_attachment_to_file(
        &self,
        id: String,
        path: String,
    ) -> Result<AttachmentRef, IncidentError> {
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err)?;
        let mut out = BufWriter::new(file);
        let result = self
            .with(|l| l.read_attachment(&id, &mut out))
            .and_then(|r| out.flush().map(|_| r).map_err(io_err));
        drop(out);
        match result {
            Ok(r) => Ok(r.into()),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    /// The signed JSON bundle of this device's chain, disclosing `incidents` (all when
    /// null). Refused when the local log does not verify. Blocking.
    pub fn export_bundle(&self, incidents: Option<Vec<String>>) -> Result<Vec<u8>, IncidentError> {
        let scope = scope(incidents);
        self.with(|l| l.export_bundle(&scope))
    }

    /// Writes the bundle (see `export_bundle`) to a new file at `path`. Blocking.
    pub fn export_bundle_to_file(
        &self,
        path: String,
        incidents: Option<Vec<String>>,
    ) -> Result<(), IncidentError> {
        let bytes = self.export_bundle(incidents)?;
        write_new(&path, |w| w.write_all(&bytes).map_err(io_err))
    }

    /// Writes the CSV export (RFC 4180, one row per incident's current view, newest
    /// first) to a new file at `path`. CSV is not evidence: the bundle is. Blocking.
    pub fn export_csv(&self, filter: IncidentFilter, path: String) -> Result<(), IncidentError> {
        let filter = core::IncidentFilter::try_from(filter)?;
        write_new(&path, |w| self.with(|l| l.export_csv(&filter, w)))
    }
}

/// Creates a new file at `path`, runs `f` on it, and removes the file on failure.
fn write_new(
    path: &str,
    f: impl FnOnce(&mut BufWriter<File>) -> Result<(), IncidentError>,
) -> Result<(), IncidentError> {
    let file = File::options()
        .write(true)
        .create_new(true)
        .open(Path::new(path))
        .map_err(io_err)?;
    let mut w = BufWriter::new(file);
    let result = f(&mut w).and_then(|_| w.flush().map_err(io_err));
    drop(w);
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Verifies an exported bundle on its own: no store, clock or network. Pure and quick,
/// but proportional to the bundle's size.
#[uniffi::export]
pub fn verify_bundle(bytes: Vec<u8>) -> BundleReport {
    core::verify_bundle(&bytes).into()
}
