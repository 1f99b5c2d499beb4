//! `incident log|amend|list|show|search|attach|attachment|verify|export|verify-bundle`: the
//! tamper-evident incident log from the command line. See docs/cli/incident.md.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::json;
use vigil_core::incident::{
    self, Category, ExportScope, IncidentFilter, IncidentLog, IncidentSummary, Location,
    LocationSource, OccurredAt, Page, Report, ReportPatch, Severity,
};

use super::{io_error, unlock, CliError};
use crate::output::Output;

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Record an incident. With only --category (and perhaps a position): a quick log
    /// timed now; details follow as amendments.
    Log(LogArgs),
    /// Append a correction to an incident (or to an earlier amendment), with a reason.
    Amend(AmendArgs),
    /// List incidents (current view), newest first.
    List(ListArgs),
    /// Show one incident: its current view and full history.
    Show { id: String },
    /// Incidents whose text (any entry) contains every word (prefix match).
    Search {
        text: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Seal a file as an attachment and add it to an incident by an amendment. A file
    /// already attached to the incident (same SHA-256) is refused unless --again.
    Attach {
        id: String,
        file: PathBuf,
        /// MIME type of the file (default: guessed from its name, `.png` is image/png).
        #[arg(long)]
        mime: Option<String>,
        /// Attach it even if the incident already has this very file.
        #[arg(long)]
        again: bool,
    },
    /// Read attachments back out: list an incident's, or write one to a file.
    #[command(subcommand)]
    Attachment(AttachmentCommand),
    /// Recompute the whole hash chain. Exit 5 if it is broken, naming the first bad link.
    Verify,
    /// Write a signed, verifiable bundle (or, with --csv, a spreadsheet; with --package,
    /// an evidence package) to a new file.
    Export(ExportArgs),
    /// Verify a bundle, or an evidence package (a directory or .zip), on its own (no
    /// store, no passphrase). Exit 5 if it is invalid.
    VerifyBundle { file: PathBuf },
}

#[derive(Subcommand)]
pub enum AttachmentCommand {
    /// The attachments an incident's signed entries reference (also those a later
    /// amendment removed), with their SHA-256 and whether the file is in this store.
    List { id: String },
    /// Write one attachment to a new file (0600), checked against the SHA-256 in its
    /// signed entry; on a mismatch nothing is written (exit 4).
    Get {
        id: String,
        attachment: String,
        /// The file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct LocationArgs {
    /// Latitude, WGS84 degrees (with --lon).
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<f64>,
    /// Longitude, WGS84 degrees (with --lat).
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<f64>,
    /// Horizontal accuracy in metres.
    #[arg(long)]
    accuracy: Option<f64>,
    /// Where the position came from: gps, network, manual, venue-point.
    #[arg(long, default_value = "manual")]
    location_source: String,
}

#[derive(Args)]
pub struct LogArgs {
    /// suspicious-activity, hostile-surveillance, approach-or-threat, medical,
    /// security-breach, road-or-vehicle, crowd-or-protest, media, theft-or-loss, other.
    #[arg(long)]
    category: String,
    /// info, low, medium, high, critical.
    #[arg(long)]
    severity: Option<String>,
    /// What happened (UTF-8).
    #[arg(long)]
    narrative: Option<OsString>,
    #[command(flatten)]
    location: LocationArgs,
    /// A tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// An action taken (repeatable).
    #[arg(long = "action")]
    actions: Vec<String>,
    /// A witness (repeatable).
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    #[arg(long)]
    police_reference: Option<String>,
    #[arg(long)]
    venue: Option<String>,
    #[arg(long)]
    route: Option<String>,
    /// Reporting officer (name or callsign).
    #[arg(long)]
    officer: Option<String>,
    /// When it happened, RFC 3339 with offset (default: now, UTC).
    #[arg(long)]
    occurred: Option<String>,
    /// IANA time zone of the place (e.g. Europe/London), kept for display.
    #[arg(long)]
    zone: Option<String>,
}

#[derive(Args)]
pub struct AmendArgs {
    /// The incident id (or the entry id of an earlier amendment).
    id: String,
    /// Why the correction is made (required).
    #[arg(long)]
    reason: String,
    #[arg(long)]
    narrative: Option<OsString>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    severity: Option<String>,
    #[command(flatten)]
    location: LocationArgs,
    /// Replace the tags with these (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
    #[arg(long)]
    police_reference: Option<String>,
    #[arg(long)]
    occurred: Option<String>,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    category: Option<String>,
    /// Exactly this severity.
    #[arg(long)]
    severity: Option<String>,
    /// This severity or worse.
    #[arg(long)]
    min_severity: Option<String>,
    /// Occurred at or after this instant (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Occurred before this instant (RFC 3339).
    #[arg(long)]
    until: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// The next page: start after this incident id (the last one listed).
    #[arg(long)]
    after: Option<String>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The file to write (must not exist).
    #[arg(long, required_unless_present = "package", conflicts_with = "package")]
    out: Option<PathBuf>,
    /// Write an evidence package instead: a new directory, or one file if the name ends
    /// in .zip (signed bundles, attachments in the clear, receipts, signed manifest,
    /// README for the recipient).
    #[arg(long, conflicts_with = "csv")]
    package: Option<PathBuf>,
    /// CSV of current views instead of the signed bundle (not evidence).
    #[arg(long)]
    csv: bool,
    /// Disclose only these incidents in the bundle (repeatable; default all).
    #[arg(long = "incident")]
    incidents: Vec<String>,
}

/// Parses an enum value given as `suspicious-activity` or `suspicious_activity`.
fn enum_arg<T: FromStr>(flag: &str, s: &str, all: &[&str]) -> Result<T, CliError> {
    s.trim().replace('-', "_").parse::<T>().map_err(|_| {
        CliError::Usage(format!(
            "--{flag}: unknown value (one of: {})",
            all.iter()
                .map(|v| v.replace('_', "-"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

pub(crate) fn category(s: &str) -> Result<Category, CliError> {
    let all: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    enum_arg("category", s, &all)
}

pub(crate) fn severity(flag: &str, s: &str) -> Result<Severity, CliError> {
    let all: Vec<&str> = Severity::ALL.iter().map(|c| c.as_str()).collect();
    enum_arg(flag, s, &all)
}

fn utf8(flag: &str, s: Option<OsString>) -> Result<Option<String>, CliError> {
    s.map(|s| {
        s.into_string()
            .map_err(|_| CliError::Usage(format!("--{flag} is not valid UTF-8")))
    })
    .transpose()
}

pub(crate) fn instant(flag: &str, s: &str) -> Result<DateTime<chrono::FixedOffset>, CliError> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|_| CliError::Usage(format!("--{flag}: not an RFC 3339 time")))
}

fn occurred(s: &str, zone: Option<String>) -> Result<OccurredAt, CliError> {
    let t = instant("occurred", s)?;
    Ok(OccurredAt {
        utc: t.with_timezone(&Utc),
        offset_minutes: t.offset().local_minus_utc() / 60,
        zone,
    })
}

fn location(a: &LocationArgs) -> Result<Option<Location>, CliError> {
    let all: Vec<&str> = LocationSource::ALL.iter().map(|c| c.as_str()).collect();
    match (a.lat, a.lon) {
        (None, None) if a.accuracy.is_none() => Ok(None),
        (Some(latitude), Some(longitude)) => Ok(Some(Location {
            latitude,
            longitude,
            accuracy_m: a.accuracy,
            source: enum_arg("location-source", &a.location_source, &all)?,
        })),
        _ => Err(CliError::Usage(
            "--lat and --lon go together (and --accuracy needs them)".into(),
        )),
    }
}

pub fn run(dir: &Path, cmd: IncidentCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        IncidentCommand::Log(a) => log(dir, a, out),
        IncidentCommand::Amend(a) => amend(dir, a, out),
        IncidentCommand::List(a) => list(dir, a, out),
        IncidentCommand::Show { id } => show(dir, &id, out),
        IncidentCommand::Search { text, limit } => search(dir, &text, limit, out),
        IncidentCommand::Attach {
            id,
            file,
            mime,
            again,
        } => attach(dir, &id, &file, mime, again, out),
        IncidentCommand::Verify => verify(dir, out),
        IncidentCommand::Attachment(c) => attachment(dir, c, out),
        IncidentCommand::Export(a) => export(dir, a, out),
        IncidentCommand::VerifyBundle { file } => verify_bundle(&file, out),
    }
}

fn log(dir: &Path, a: LogArgs, out: &Output) -> Result<(), CliError> {
    // Every argument is checked before the store is touched.
    let narrative = utf8("narrative", a.narrative)?;
    let category = category(&a.category)?;
    let severity = a
        .severity
        .as_deref()
        .map(|s| severity("severity", s))
        .transpose()?;
    let location = location(&a.location)?;
    let occurred = a
        .occurred
        .as_deref()
        .map(|s| occurred(s, a.zone.clone()))
        .transpose()?;
    let quick = severity.is_none()
        && narrative.is_none()
        && occurred.is_none()
        && a.zone.is_none()
        && a.tags.is_empty()
        && a.actions.is_empty()
        && a.witnesses.is_empty()
        && a.police_reference.is_none()
        && a.venue.is_none()
        && a.route.is_none()
        && a.officer.is_none();
    let mut v = unlock(dir)?;
    let mut log = IncidentLog::new(&mut v);
    let receipt = if quick {
        log.quick_log(category, location)?
    } else {
        let mut report = Report::quick(category, location);
        if let Some(o) = occurred {
            report.occurred = o;
        } else if let Some(z) = a.zone {
            report.occurred.zone = Some(z);
        }
        report.severity = severity;
        report.narrative = narrative.unwrap_or_default();
        report.tags = a.tags;
        report.actions_taken = a.actions;
        report.witnesses = a.witnesses;
        report.police_reference = a.police_reference;
        report.venue_id = a.venue;
        report.route_id = a.route;
        report.officer = a.officer;
        log.log(report)?
    };
    out.print(&json!({"logged": receipt, "quick": quick}), || {
        format!(
            "Logged incident {} (entry {}, seq {})",
            receipt.incident_id, receipt.entry_id, receipt.seq
        )
    });
    Ok(())
}

fn amend(dir: &Path, a: AmendArgs, out: &Output) -> Result<(), CliError> {
    let narrative = utf8("narrative", a.narrative)?;
    let patch = ReportPatch {
        occurred: a
            .occurred
            .as_deref()
            .map(|s| occurred(s, None))
            .transpose()?,
        category: a.category.as_deref().map(category).transpose()?,
        severity: a
            .severity
            .as_deref()
            .map(|s| severity("severity", s).map(Some))
            .transpose()?,
        location: location(&a.location)?.map(Some),
        narrative,
        tags: (!a.tags.is_empty()).then_some(a.tags),
        police_reference: a.police_reference.map(Some),
        ..ReportPatch::default()
    };
    if patch.is_empty() {
        return Err(CliError::Usage(
            "nothing to amend: give at least one field to change".into(),
        ));
    }
    let mut v = unlock(dir)?;
    let receipt = IncidentLog::new(&mut v).amend(&a.id, &a.reason, patch)?;
    out.print(&json!({"amended": receipt}), || {
        format!(
            "Amended incident {} (entry {}, seq {})",
            receipt.incident_id, receipt.entry_id, receipt.seq
        )
    });
    Ok(())
}

fn summary_line(s: &IncidentSummary) -> String {
    let r = &s.current;
    let first_line = r.narrative.lines().next().unwrap_or("");
    format!(
        "{}  {}  {:<20}  {:<8}  {}{}",
        s.incident_id,
        incident::model::ts::format(&r.occurred.utc),
        r.category.as_str(),
        r.severity.map(|s| s.as_str()).unwrap_or("-"),
        first_line,
        if s.amendments > 0 {
            format!("  [{} amendment(s)]", s.amendments)
        } else {
            String::new()
        }
    )
}

fn print_list(rows: &[IncidentSummary], out: &Output) {
    out.print(&rows, || {
        if rows.is_empty() {
            "No incidents.".into()
        } else {
            rows.iter().map(summary_line).collect::<Vec<_>>().join("\n")
        }
    });
}

fn list(dir: &Path, a: ListArgs, out: &Output) -> Result<(), CliError> {
    let filter = IncidentFilter {
        from: a
            .since
            .as_deref()
            .map(|s| instant("since", s).map(|t| t.with_timezone(&Utc)))
            .transpose()?,
        to: a
            .until
            .as_deref()
            .map(|s| instant("until", s).map(|t| t.with_timezone(&Utc)))
            .transpose()?,
        category: a.category.as_deref().map(category).transpose()?,
        severity: a
            .severity
            .as_deref()
            .map(|s| severity("severity", s))
            .transpose()?,
        min_severity: a
            .min_severity
            .as_deref()
            .map(|s| severity("min-severity", s))
            .transpose()?,
        venue_id: None,
        route_id: None,
    };
    let page = Page {
        limit: a.limit,
        after: a.after,
    };
    let mut v = unlock(dir)?;
    let rows = IncidentLog::new(&mut v).list(&filter, &page)?;
    print_list(&rows, out);
    Ok(())
}

fn show(dir: &Path, id: &str, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let view = IncidentLog::new(&mut v).get(id)?;
    out.print(&view, || {
        let r = &view.current;
        let mut t = String::new();
        t.push_str(&format!("incident     {}\n", view.incident_id));
        t.push_str(&format!(
            "occurred     {} (offset {} min{})\n",
            incident::model::ts::format(&r.occurred.utc),
            r.occurred.offset_minutes,
            r.occurred
                .zone
                .as_deref()
                .map(|z| format!(", {z}"))
                .unwrap_or_default()
        ));
        t.push_str(&format!("category     {}\n", r.category));
        t.push_str(&format!(
            "severity     {}\n",
            r.severity.map(|s| s.as_str()).unwrap_or("-")
        ));
        if let Some(l) = &r.location {
            t.push_str(&format!(
                "location     {}, {}{} ({})\n",
                l.latitude,
                l.longitude,
                l.accuracy_m.map(|a| format!(" ±{a} m")).unwrap_or_default(),
                l.source
            ));
        }
        if !r.tags.is_empty() {
            t.push_str(&format!("tags         {}\n", r.tags.join(", ")));
        }
        if let Some(o) = &r.officer {
            t.push_str(&format!("officer      {o}\n"));
        }
        for w in &r.witnesses {
            t.push_str(&format!("witness      {w}\n"));
        }
        for p in &r.people {
            let detail = [
                p.name.clone(),
                Some(p.description.clone()).filter(|d| !d.is_empty()),
                p.contact.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
            t.push_str(&format!("person       {}: {detail}\n", p.role));
        }
        for v in &r.vehicles {
            let detail = [&v.registration, &v.make, &v.colour, &v.direction]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            t.push_str(&format!("vehicle      {detail}\n"));
        }
        for a in &r.actions_taken {
            t.push_str(&format!("action       {a}\n"));
        }
        if let Some(p) = &r.police_reference {
            t.push_str(&format!("police ref   {p}\n"));
        }
        if let Some(v) = &r.venue_id {
            t.push_str(&format!("venue        {v}\n"));
        }
        if let Some(v) = &r.route_id {
            t.push_str(&format!("route        {v}\n"));
        }
        for a in &r.attachments {
            t.push_str(&format!(
                "attachment   {} {} {} bytes sha256 {}{}\n",
                a.id,
                a.mime,
                a.size,
                a.sha256,
                a.captured_at
                    .map(|c| format!(" captured {}", incident::model::ts::format(&c)))
                    .unwrap_or_default()
            ));
        }
        t.push_str(&format!("narrative    {}\n", r.narrative));
        t.push_str(&format!(
            "recorded     {} on device {}, updated {}, {} amendment(s)\n",
            incident::model::ts::format(&view.recorded_at),
            view.device_id,
            incident::model::ts::format(&view.updated_at),
            view.amendments
        ));
        t.push_str("history\n");
        for h in &view.history {
            t.push_str(&format!(
                "  seq {:<5} {} {} {}{}{}{}\n",
                h.seq,
                incident::model::ts::format(&h.recorded_at),
                h.kind.as_str(),
                h.entry_id,
                h.author
                    .as_deref()
                    .map(|a| format!(" by {a}"))
                    .unwrap_or_default(),
                h.amends
                    .as_deref()
                    .map(|a| format!(" amends {a}"))
                    .unwrap_or_default(),
                h.reason
                    .as_deref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            ));
            t.push_str(&format!(
                "        hash {} signature {}\n",
                hex::encode(&h.hash),
                hex::encode(&h.signature)
            ));
        }
        t.trim_end().to_string()
    });
    Ok(())
}

fn search(dir: &Path, text: &str, limit: u32, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let rows = IncidentLog::new(&mut v).search(text, &Page::first(limit))?;
    print_list(&rows, out);
    Ok(())
}

/// Hex SHA-256 of a file, read in blocks (any size, bounded memory).
fn file_sha256(file: &Path) -> Result<String, CliError> {
    let mut src = BufReader::new(File::open(file).map_err(|e| io_error(file, &e))?);
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = src.read(&mut buf).map_err(|e| io_error(file, &e))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex(ctx.finish().as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attach(
    dir: &Path,
    id: &str,
    file: &Path,
    mime: Option<String>,
    again: bool,
    out: &Output,
) -> Result<(), CliError> {
    let mime = mime.unwrap_or_else(|| {
        mime_guess::from_path(file)
            .first_or_octet_stream()
            .essence_str()
            .to_string()
    });
    let sha256 = file_sha256(file)?;
    let mut v = unlock(dir)?;
    let mut log = IncidentLog::new(&mut v);
    if !again {
        let view = log.get(id)?;
        if let Some(same) = view.current.attachments.iter().find(|a| a.sha256 == sha256) {
            return Err(CliError::Usage(format!(
                "this file is already attached to incident {} as attachment {} (same SHA-256); \
                 nothing was added (pass --again to attach it once more)",
                view.incident_id, same.id
            )));
        }
    }
    let mut src = BufReader::new(File::open(file).map_err(|e| io_error(file, &e))?);
    let (r, receipt) = log.attach(id, &mut src, &mime, None)?;
    out.print(&json!({"attachment": r, "amended": receipt}), || {
        format!(
            "Attached {} ({} bytes, sha256 {}) to incident {}",
            r.id, r.size, r.sha256, receipt.incident_id
        )
    });
    Ok(())
}

fn attachment(dir: &Path, cmd: AttachmentCommand, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let log = IncidentLog::new(&mut v);
    match cmd {
        AttachmentCommand::List { id } => {
            let list = log.attachments(&id)?;
            out.print(&list, || {
                if list.is_empty() {
                    return "No attachments".to_string();
                }
                list.iter()
                    .map(|s| {
                        let a = &s.attachment;
                        let mut flags = Vec::new();
                        if !s.current {
                            flags.push("removed by a later amendment");
                        }
                        if !s.available {
                            flags.push("not downloaded yet");
                        }
                        let flags = if flags.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", flags.join(", "))
                        };
                        format!(
                            "{}  {}  {} bytes  sha256 {}{flags}",
                            a.id, a.mime, a.size, a.sha256
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AttachmentCommand::Get {
            id,
            attachment,
            out: file,
        } => {
            let s = log
                .save_attachment(&id, &attachment, &file)
                .map_err(|e| match e {
                    incident::IncidentError::ExportIo(kind) => io_error(&file, &kind.into()),
                    other => other.into(),
                })?;
            let a = &s.attachment;
            out.print(&json!({"written": file, "attachment": a}), || {
                format!(
                    "Wrote {} ({}, {} bytes, sha256 {} as signed)",
                    file.display(),
                    a.mime,
                    a.size,
                    a.sha256
                )
            });
        }
    }
    Ok(())
}

fn broken(what: &str, p: &incident::ChainProblem) -> CliError {
    let kind = serde_json::to_value(p.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let why = match p.kind {
        incident::ProblemKind::BehindReceipt => {
            " - the chain ends before the seq the team server anchored (a cut tail, or a store restored from an older copy)"
        }
        incident::ProblemKind::ReceiptMismatch => {
            " - the entry at the seq the team server anchored has another hash (rewritten after it was anchored)"
        }
        incident::ProblemKind::BadReceipt => {
            " - the stored team server receipt does not verify"
        }
        _ => "",
    };
    CliError::Verification(format!(
        "{what} is broken: {kind} at seq {}{}{why}",
        p.seq,
        p.entry_id
            .as_deref()
            .map(|e| format!(" (entry {e})"))
            .unwrap_or_default()
    ))
}

fn verify(dir: &Path, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let report = IncidentLog::new(&mut v).verify()?;
    out.print(&report, || {
        if report.ok {
            format!(
                "The incident log verifies: {} entries, head seq {} hash {}",
                report.entries_checked, report.head_seq, report.head_hash
            )
        } else {
            format!(
                "The incident log does NOT verify ({} entries good before the break)",
                report.entries_checked
            )
        }
    });
    match &report.problem {
        Some(p) => Err(broken("the incident log", p)),
        None if !report.ok => Err(CliError::Verification(
            "the incident log does not verify".into(),
        )),
        None => Ok(()),
    }
}

fn scope_of(incidents: Vec<String>) -> ExportScope {
    if incidents.is_empty() {
        ExportScope::All
    } else {
        ExportScope::Incidents(incidents)
    }
}

fn export_package(
    dir: &Path,
    target: &Path,
    incidents: Vec<String>,
    out: &Output,
) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let log = IncidentLog::new(&mut v);
    let summary = vigil_core::evidence::export_package(&log, &scope_of(incidents), target)
        .map_err(|e| match e {
            incident::IncidentError::ExportIo(kind) => io_error(target, &kind.into()),
            other => other.into(),
        })?;
    out.print(&summary, || {
        format!(
            "Wrote the evidence package {} ({} incident(s), {} chain(s), {} attachment file(s) in the clear, {} files, {} bytes). Verify it with `vigil incident verify-bundle {}`.",
            target.display(),
            summary.incidents.len(),
            summary.chains,
            summary.attachments,
            summary.files,
            summary.bytes,
            target.display()
        )
    });
    Ok(())
}

fn export(dir: &Path, a: ExportArgs, out: &Output) -> Result<(), CliError> {
    if a.csv && !a.incidents.is_empty() {
        return Err(CliError::Usage("--incident applies to bundles only".into()));
    }
    let file = match (a.package, a.out) {
        (Some(target), _) => return export_package(dir, &target, a.incidents, out),
        (None, Some(file)) => file,
        (None, None) => {
            return Err(CliError::Usage(
                "give --out FILE or --package DIR|FILE.zip".into(),
            ))
        }
    };
    let io = |e: std::io::Error| io_error(&file, &e);
    let mut v = unlock(dir)?;
    let log = IncidentLog::new(&mut v);
    let bytes = if a.csv {
        let mut buf = Vec::new();
        log.export_csv(&IncidentFilter::default(), &mut buf)?;
        buf
    } else {
        log.export_bundle(&scope_of(a.incidents))?
    };
    let f = File::options()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(io)?;
    let mut w = BufWriter::new(f);
    if let Err(e) = w.write_all(&bytes).and_then(|_| w.flush()) {
        drop(w);
        let _ = std::fs::remove_file(&file);
        return Err(io(e));
    }
    let format = if a.csv { "csv" } else { "bundle" };
    out.print(
        &json!({"written": file, "format": format, "bytes": bytes.len()}),
        || format!("Wrote {} ({format}, {} bytes)", file.display(), bytes.len()),
    );
    Ok(())
}

fn verify_package(path: &Path, out: &Output) -> Result<(), CliError> {
    use vigil_core::evidence::PackageProblem as P;
    let report = vigil_core::evidence::verify_package(path);
    out.print(&report, || {
        if report.ok {
            let maker = match report.maker {
                Some(vigil_core::evidence::PackageMaker::TeamServer) => "the team server of team",
                _ => "device",
            };
            format!(
                "The evidence package verifies: made by {maker} {} (public key {}), {} incident(s), {} chain(s), {} attachment file(s) checked against their signed entries. Compare the keys with the ones the team server registered and publishes.",
                report.maker_id.as_deref().unwrap_or("?"),
                report.maker_public_key.as_deref().unwrap_or("?"),
                report.incidents.len(),
                report.bundles.len(),
                report.attachments_checked
            )
        } else {
            "The evidence package does NOT verify.".into()
        }
    });
    if report.ok {
        return Ok(());
    }
    let file = report.file.as_deref().unwrap_or("(the package)");
    let why = match &report.problem {
        Some(P::Bundle(incident::BundleProblem::Chain(c))) => {
            return Err(broken(&format!("the chain in {file}"), c))
        }
        Some(P::Bundle(p)) => bundle_problem(p).to_string(),
        Some(P::Unreadable) => "it is not a directory or zip file that can be read".into(),
        Some(P::BadManifest) => "its manifest is missing or malformed".into(),
        Some(P::BadManifestSignature) => "the manifest's signature does not match its key".into(),
        Some(P::MissingFile) => "a file the manifest lists is missing".into(),
        Some(P::UnlistedFile) => "a file is not listed in the manifest".into(),
        Some(P::FileMismatch) => {
            "the file was changed: its SHA-256 or size is not the manifest's".into()
        }
        Some(P::KeyMismatch) => {
            "the bundles are not the exporting device's and its teammates' as the manifest states"
                .into()
        }
        Some(P::ReceiptMismatch) => {
            "the receipt is not its bundle's anchor, or does not hold for its chain".into()
        }
        Some(P::AttachmentMismatch) => {
            "the attachment is not the one its signed entry references".into()
        }
        Some(P::MissingAttachment) => "an attachment a signed entry references is missing".into(),
        Some(P::TooLarge) => "the file is larger than any genuine one (not read further)".into(),
        None => "invalid".into(),
    };
    Err(CliError::Verification(format!(
        "the evidence package is invalid: {file}: {why}"
    )))
}

fn verify_bundle(file: &Path, out: &Output) -> Result<(), CliError> {
    if file.is_dir() || vigil_core::evidence::package::is_zip(file) {
        return verify_package(file, out);
    }
    let bytes = std::fs::read(file).map_err(|e| io_error(file, &e))?;
    let report = incident::verify_bundle(&bytes);
    out.print(&report, || {
        if report.ok {
            format!(
                "The bundle verifies: device {} (public key {}), {} incident(s). Compare the key with the one the team server registered.",
                report.device_id.as_deref().unwrap_or("?"),
                report.device_public_key.as_deref().unwrap_or("?"),
                report.incidents.len()
            )
        } else {
            "The bundle does NOT verify.".into()
        }
    });
    if report.ok {
        return Ok(());
    }
    Err(match &report.problem {
        Some(incident::BundleProblem::Chain(p)) => broken("the bundle's chain", p),
        Some(p) => CliError::Verification(format!("the bundle is invalid: {}", bundle_problem(p))),
        None => CliError::Verification("the bundle is invalid".into()),
    })
}

/// What is wrong with a bundle, in words (the `--json` report keeps the problem's name).
fn bundle_problem(p: &incident::BundleProblem) -> &'static str {
    use incident::BundleProblem as P;
    match p {
        P::Unparseable => {
            "it is not a Vigil bundle (not JSON, or fields missing or of the wrong type)"
        }
        P::NotCanonical => "it is not in canonical form: it was edited after export",
        P::UnsupportedFormat => "its format is not one this version of Vigil reads",
        P::MalformedField => {
            "a hash, key or signature in it is not lowercase hex of the right length"
        }
        P::BadBundleSignature => "the bundle's signature does not match its key",
        P::Chain(_) => "its hash chain is broken",
        P::HeadMismatch => "the head it states is not its last entry",
        P::ScopeMismatch => "the incidents it lists are not the ones whose entries it discloses",
        P::HiddenHistory => {
            "it hides an entry of an incident it discloses: that incident's history is incomplete"
        }
        P::BadReceipt => {
            "the team server's receipt in it does not verify for this device and its key"
        }
        P::BehindReceipt => {
            "its chain ends before the entry the team server anchored: entries were cut off"
        }
        P::ReceiptMismatch => {
            "the entry the team server anchored has another hash in it: rewritten after anchoring"
        }
    }
}
