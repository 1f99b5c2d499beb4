//! The incident log over the FFI: `IncidentLog` (an object made from an unlocked
//! `Vault`), the free `verify_bundle`, and the two records that must
//! differ from the core's at the boundary (`ReportPatch`, `IncidentView` with its
//! `HistoryEntry`). Reports, filters, receipts and verification reports are the core's
//! own types (`vigil_core::incident`, Kotlin package `app.vigil.core.model`).
//!
//! Every method blocks (SQLite, file I/O, hashing): call off the main thread
//! (`Dispatchers.IO`, a background actor). Instants cross as epoch milliseconds (UTC).

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use vigil_core::incident as core;
use vigil_core::incident::{
    AttachmentRef, BundleReport, Category, EntryKind, EntryReceipt, IncidentFilter,
    IncidentSummary, Location, OccurredAt, Person, Report, Severity, SignedAttachment, Vehicle,
    VerifyReport,
};
use vigil_core::IncidentError;

use crate::vault::Vault;

// Errors: the core's own `IncidentError` (Kotlin `IncidentException`), with its `code()`.

/// A file the caller named (an attachment's source) could not be read.
fn source_io(e: std::io::Error) -> IncidentError {
    IncidentError::AttachmentIo(e.kind())
}

/// A file the caller named as output could not be written.
fn output_io(e: std::io::Error) -> IncidentError {
    IncidentError::ExportIo(e.kind())
}

// ---------------------------------------------------------------------------------
// Instants

pub(crate) fn from_millis(field: &str, ms: i64) -> Result<DateTime<Utc>, IncidentError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| IncidentError::invalid(field, "out of range"))
}

// ---------------------------------------------------------------------------------
// Records that differ at the boundary

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

/// The changes an amendment makes: a non-null field is set (lists are replaced whole);
/// a field named in `clear` is cleared. Setting and clearing one field is refused.
///
/// Differs from `vigil_core::incident::ReportPatch` because the core says "clear" with
/// `Option<Option<T>>`, which Kotlin and Swift cannot tell from "unchanged" (`T??` is
/// `T?`): here a cleared field is named in `clear` instead.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReportPatch {
    pub occurred: Option<OccurredAt>,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    pub location: Option<Location>,
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

/// One entry of an incident's history, with everything a third party needs to check
/// it independently: `hash = SHA-256("VIGIL-ENTRY-V1" || u64be(seq) || prev_hash ||
/// u32be(len(device_id)) || device_id || u32be(len(body)) || body)` and `signature` is
/// Ed25519 over `hash` by `device_public_key` (raw 32 bytes). `body` is the exact
/// canonical JSON bytes as stored and signed.
///
/// Differs from `vigil_core::incident::HistoryEntry` only in the boundary form of the
/// patch ([`ReportPatch`]); the proofs are the core's.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryEntry {
    pub entry_id: String,
    pub seq: u64,
    pub device_id: String,
    pub kind: EntryKind,
    pub recorded_at: DateTime<Utc>,
    pub author: Option<String>,
    pub amends: Option<String>,
    pub reason: Option<String>,
    pub patch: Option<ReportPatch>,
    pub report: Option<Report>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub signature: Vec<u8>,
    pub body: Vec<u8>,
    pub device_public_key: Vec<u8>,
}

/// An incident as it reads now, and the history that produced it (with proofs; see
/// `HistoryEntry`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IncidentView {
    pub incident_id: String,
    pub device_id: String,
    pub recorded_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub amendments: u32,
    pub current: Report,
    pub history: Vec<HistoryEntry>,
}

impl From<core::HistoryEntry> for HistoryEntry {
    fn from(h: core::HistoryEntry) -> Self {
        HistoryEntry {
            entry_id: h.entry_id,
            seq: h.seq,
            device_id: h.device_id,
            kind: h.kind,
            recorded_at: h.recorded_at,
            author: h.author,
            amends: h.amends,
            reason: h.reason,
            patch: h.patch.map(Into::into),
            report: h.report,
            prev_hash: h.prev_hash,
            hash: h.hash,
            signature: h.signature,
            body: h.body,
            device_public_key: h.device_public_key,
        }
    }
}

impl From<core::IncidentView> for IncidentView {
    fn from(v: core::IncidentView) -> Self {
        IncidentView {
            incident_id: v.incident_id,
            device_id: v.device_id,
            recorded_at: v.recorded_at,
            updated_at: v.updated_at,
            amendments: v.amendments,
            current: v.current,
            history: v.history.into_iter().map(Into::into).collect(),
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
        (Some(_), true) => Err(IncidentError::invalid(name, "both set and cleared")),
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
            occurred: p.occurred,
            category: p.category,
            severity: settable("severity", p.severity, c, F::Severity)?,
            location: settable("location", p.location, c, F::Location)?,
            narrative: p.narrative,
            people: p.people,
            vehicles: p.vehicles,
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
            attachments: p.attachments,
        })
    }
}

impl From<core::ReportPatch> for ReportPatch {
    fn from(p: core::ReportPatch) -> Self {
        use ClearableField as F;
        let mut clear = vec![];
        ReportPatch {
            occurred: p.occurred,
            category: p.category,
            severity: opt_clear(p.severity, &mut clear, F::Severity),
            location: opt_clear(p.location, &mut clear, F::Location),
            narrative: p.narrative,
            people: p.people,
            vehicles: p.vehicles,
            actions_taken: p.actions_taken,
            police_reference: opt_clear(p.police_reference, &mut clear, F::PoliceReference),
            witnesses: p.witnesses,
            tags: p.tags,
            venue_id: opt_clear(p.venue_id, &mut clear, F::VenueId),
            route_id: opt_clear(p.route_id, &mut clear, F::RouteId),
            officer: opt_clear(p.officer, &mut clear, F::Officer),
            attachments: p.attachments,
            clear,
        }
    }
}

fn opt_clear<T>(
    v: Option<Option<T>>,
    clear: &mut Vec<ClearableField>,
    f: ClearableField,
) -> Option<T> {
    match v {
        Some(None) => {
            clear.push(f);
            None
        }
        Some(Some(x)) => Some(x),
        None => None,
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

/// The most `IncidentLog::attachment_bytes` returns, whatever the caller asks for.
pub const ATTACHMENT_BYTES_MAX: u64 = 16 * 1024 * 1024;

impl IncidentLog {
    /// Runs `f` with a core log over the locked vault.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut core::IncidentLog<'_>) -> Result<T, IncidentError>,
    ) -> Result<T, IncidentError> {
        let mut v = self.vault.guard();
        let mut log = core::IncidentLog::with_officer(&mut v, self.officer.clone())?;
        f(&mut log)
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
        core::check_officer(&officer)?;
        Ok(Arc::new(IncidentLog {
            vault,
            officer: Some(officer),
        }))
    }

    /// Records a new incident report. Blocking.
    pub fn log(&self, report: Report) -> Result<EntryReceipt, IncidentError> {
        self.with(|l| l.log(report))
    }

    /// Category only, timed now, with a position if there is one. Blocking.
    pub fn quick_log(
        &self,
        category: Category,
        location: Option<Location>,
    ) -> Result<EntryReceipt, IncidentError> {
        self.with(|l| l.quick_log(category, location))
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
        self.with(|l| l.amend(&amends, &reason, patch))
    }

    /// The current view and full history, with each entry's exact signed bytes and the
    /// device public key for independent verification. Blocking.
    pub fn get(&self, incident_id: String) -> Result<IncidentView, IncidentError> {
        self.with(|l| l.get(&incident_id)).map(Into::into)
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
        let page = page(limit, after);
        self.with(|l| l.list(&filter, &page))
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
        self.with(|l| l.search(&text, &page))
    }

    /// `search` among the incidents that pass `filter` (category, severity, period,
    /// venue, route), newest first, paged like `list`. Blocking.
    pub fn search_filtered(
        &self,
        text: String,
        filter: IncidentFilter,
        limit: u32,
        after: Option<String>,
    ) -> Result<Vec<IncidentSummary>, IncidentError> {
        let page = page(limit, after);
        self.with(|l| l.search_filtered(&text, &filter, &page))
    }

    /// Recomputes the whole chain; a broken chain is reported, not thrown. Blocking.
    pub fn verify(&self) -> Result<VerifyReport, IncidentError> {
        self.with(|l| l.verify())
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
        let (mut src, captured) = source(&path, captured_at_millis)?;
        let (r, _) = self.with(|l| l.attach(&incident_id, &mut src, &mime, captured))?;
        Ok(r)
    }

    /// Seals the file at `path` (streamed) as an attachment that no incident references
    /// yet: a checklist answer's photo (`AnswerInput.photos`, a photo item's answer),
    /// which "raise an incident from this item" then carries. Returns its reference.
    /// Blocking.
    pub fn store_attachment_file(
        &self,
        path: String,
        mime: String,
        captured_at_millis: Option<i64>,
    ) -> Result<AttachmentRef, IncidentError> {
        let (mut src, captured) = source(&path, captured_at_millis)?;
        self.with(|l| l.store_attachment(&mut src, &mime, captured))
    }

    /// Decrypts attachment `id` into a new file at `path` (streamed, 0600; an existing
    /// file is refused). The file appears only once complete. Blocking.
    pub fn read_attachment_to_file(
        &self,
        id: String,
        path: String,
    ) -> Result<AttachmentRef, IncidentError> {
        write_new(&path, |w| self.with(|l| l.read_attachment(&id, w)))
    }

    /// The attachments the signed entries of `incident_id` reference (also those a later
    /// amendment removed: `current` is false), with whether each file is here. Blocking.
    pub fn attachments(&self, incident_id: String) -> Result<Vec<SignedAttachment>, IncidentError> {
        self.with(|l| l.attachments(&incident_id))
    }

    /// Writes attachment `attachment_id` of `incident_id` to a new file at `path`
    /// (0600; for the share sheet), checked against the SHA-256 its signed entry holds.
    /// The file appears only when every byte matched (`AttachmentCorrupt` otherwise, and
    /// nothing is written); an existing file is refused. Blocking.
    pub fn save_attachment(
        &self,
        incident_id: String,
        attachment_id: String,
        path: String,
    ) -> Result<SignedAttachment, IncidentError> {
        self.with(|l| l.save_attachment(&incident_id, &attachment_id, Path::new(&path)))
    }

    /// The bytes of attachment `attachment_id` of `incident_id`, checked as
    /// `save_attachment` does, for a thumbnail on the incident page: memory stays bounded,
    /// an attachment larger than `max_bytes` (itself capped at `ATTACHMENT_BYTES_MAX`,
    /// 16 MiB) is refused with `InvalidInput` before anything is decrypted. Nothing is
    /// written to disk. Blocking.
    pub fn attachment_bytes(
        &self,
        incident_id: String,
        attachment_id: String,
        max_bytes: u64,
    ) -> Result<Vec<u8>, IncidentError> {
        let cap = max_bytes.min(ATTACHMENT_BYTES_MAX);
        self.with(|l| l.attachment_bytes(&incident_id, &attachment_id, cap))
    }

    /// Writes an evidence package of `incidents` (all when null) to `path`: one file when
    /// the name ends in `.zip`, else a new directory. It holds the signed bundle, the
    /// chains of teammates whose incidents are included, the server receipt, every
    /// attachment IN THE CLEAR (checked against its signed entry), a README for the
    /// recipient and the signed manifest. Nothing appears at `path` until it is complete;
    /// an existing `path` is refused. Blocking.
    pub fn export_package(
        &self,
        path: String,
        incidents: Option<Vec<String>>,
    ) -> Result<vigil_core::evidence::PackageSummary, IncidentError> {
        let scope = scope(incidents);
        self.with(|l| vigil_core::evidence::export_package(l, &scope, Path::new(&path)))
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
        write_new(&path, |w| w.write_all(&bytes).map_err(output_io))
    }

    /// Writes the CSV export (RFC 4180, one row per incident's current view, newest
    /// first) to a new file at `path`. CSV is not evidence: the bundle is. Blocking.
    pub fn export_csv(&self, filter: IncidentFilter, path: String) -> Result<(), IncidentError> {
        write_new(&path, |w| self.with(|l| l.export_csv(&filter, w)))
    }
}

/// Writes a new file at `path` through `fill` (the core's one way: 0600, complete or not
/// at all, an existing file refused).
fn write_new<T>(
    path: &str,
    fill: impl FnOnce(&mut dyn Write) -> Result<T, IncidentError>,
) -> Result<T, IncidentError> {
    vigil_core::files::write_new(Path::new(path), fill, output_io)
}

/// The file at `path` an attachment is sealed from (streamed), and its capture time.
fn source(
    path: &str,
    captured_at_millis: Option<i64>,
) -> Result<(BufReader<File>, Option<DateTime<Utc>>), IncidentError> {
    let captured = captured_at_millis
        .map(|ms| from_millis("capture time", ms))
        .transpose()?;
    Ok((
        BufReader::new(File::open(path).map_err(source_io)?),
        captured,
    ))
}

/// Verifies an evidence package (a directory or .zip at `path`) on its own: no store,
/// clock or network. The report names the first failing file. Blocking (reads and
/// hashes every file).
#[uniffi::export]
pub fn verify_package(path: String) -> vigil_core::evidence::PackageReport {
    vigil_core::evidence::verify_package(Path::new(&path))
}

/// Verifies an exported bundle on its own: no store, clock or network. Pure and quick,
/// but proportional to the bundle's size.
#[uniffi::export]
pub fn verify_bundle(bytes: Vec<u8>) -> BundleReport {
    core::verify_bundle(&bytes)
}
