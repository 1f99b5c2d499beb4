//! `enroll`, `sync`, `sync status`: the device side of team sync, through the core's
//! `team::SyncClient` (the same code the apps run) on the built-in HTTP transport. Every
//! command blocks until the server answers or times out.

use std::path::Path;

use clap::{Args, Subcommand};
use serde_json::json;
use vigil_core::sync::transport::SpkiPin;
use vigil_core::sync::{SyncError, SyncProgress, SyncReport};
use vigil_core::team::{SyncClient, SyncOptions};
use vigil_core::SharedVault;

use super::{unlock, CliError};
use crate::output::Output;

#[derive(Args)]
pub struct EnrollArgs {
    /// The team server, e.g. https://sync.example.org:8443.
    url: String,
    /// The one-time code from `vigil-server admin issue-code`.
    code: String,
    /// The officer's name as the team server will show it.
    #[arg(long, env = "VIGIL_OFFICER", default_value = "officer")]
    officer: String,
    /// The server certificate's key pin, `sha256/<base64>`, as printed by `vigil-server`
    /// (`admin pin`). Repeatable (e.g. the current and the next key). Stored with the
    /// enrollment: every later `vigil sync` accepts only a server presenting one of them.
    #[arg(long = "pin", value_name = "sha256/BASE64")]
    pins: Vec<String>,
}

#[derive(Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    command: Option<SyncCommand>,
    /// Changes only: attachment files (photos) wait for a sync without this flag. For a
    /// metered or poor link; never holds back a change.
    #[arg(long)]
    text_only: bool,
}

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Pending and quarantined counts, last success, last error, next attempt.
    Status,
}

/// A sync failure as the CLI reports it: the store's own errors keep their exit codes.
pub fn cli_error(e: SyncError) -> CliError {
    match e {
        SyncError::Store(s) => CliError::Store(s),
        e => CliError::Sync(e),
    }
}

/// Parses `--pin` values; a bad one is a usage error saying which (by position) and why.
fn parse_pins(pins: &[String]) -> Result<Vec<SpkiPin>, CliError> {
    pins.iter()
        .enumerate()
        .map(|(i, p)| {
            SpkiPin::parse(p)
                .map_err(|e| CliError::Usage(format!("invalid --pin (number {}): {e}", i + 1)))
        })
        .collect()
}

pub fn enroll(dir: &Path, args: EnrollArgs, out: &Output) -> Result<(), CliError> {
    let pins = parse_pins(&args.pins)?;
    let options = SyncOptions {
        pinned_keys: pins.iter().map(|p| p.to_string()).collect(),
        ..SyncOptions::default()
    };
    let client = SyncClient::new(SharedVault::new(unlock(dir)?), options);
    let e = match client.enroll(&args.url, &args.code, &args.officer) {
        Err(SyncError::InvalidUrl) => {
            return Err(CliError::Usage(format!(
                "invalid server address: {}",
                args.url
            )))
        }
        r => r.map_err(cli_error)?,
    };
    out.print(
        &json!({"enrolled": true, "team_id": e.team_id, "device_id": e.device_id,
                "server_url": args.url, "pins": pins.len()}),
        || {
            format!(
                "enrolled device {} in team {} at {}{}",
                e.device_id,
                e.team_id,
                args.url,
                match pins.len() {
                    0 => String::new(),
                    n => format!(" (server key pinned, {n} pin(s))"),
                }
            )
        },
    );
    Ok(())
}

pub fn run(dir: &Path, args: SyncArgs, out: &Output) -> Result<(), CliError> {
    match args.command {
        Some(SyncCommand::Status) => status(dir, out),
        None => sync_now(dir, args.text_only, out),
    }
}

fn sync_now(dir: &Path, text_only: bool, out: &Output) -> Result<(), CliError> {
    let client = SyncClient::new(SharedVault::new(unlock(dir)?), SyncOptions::default());
    client.set_text_only(text_only);
    let st = client.status().map_err(cli_error)?;
    let url = match (&st.server_url, st.revoked) {
        (_, true) => return Err(CliError::Sync(SyncError::Revoked)),
        (Some(u), false) => u.clone(),
        (None, false) => return Err(CliError::Sync(SyncError::NotEnrolled)),
    };
    if !out.json {
        crate::output::line(&format!(
            "pushing {} pending change(s) to {url}",
            st.pending
        ));
        // Progress goes to stderr, one line per step, so stdout keeps the summary.
        client.set_progress(Some(std::sync::Arc::new(|p| {
            eprintln!("{}", progress_line(&p))
        })));
    }
    let r = match client.sync_now() {
        Err(SyncError::InvalidUrl) => {
            return Err(CliError::Usage(format!("invalid server address: {url}")))
        }
        r => r.map_err(cli_error)?,
    };
    // Say why changes were quarantined (the server's or this device's reason: never
    // content), so the officer is not left with a bare count.
    let why = if r.quarantined > 0 && !out.json {
        quarantine_reasons(&client.quarantined().map_err(cli_error)?)
    } else {
        String::new()
    };
    out.print(&r, || format!("{}{why}", report_text(&r)));
    Ok(())
}

/// Quarantined changes grouped by kind and reason, one line each, most frequent first.
fn quarantine_reasons(entries: &[vigil_core::store::OutboxEntry]) -> String {
    let mut groups: Vec<((&str, &str), usize)> = Vec::new();
    for e in entries {
        let key = (
            e.kind.as_str(),
            e.last_error.as_deref().unwrap_or("no reason recorded"),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => groups.push((key, 1)),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    let mut text =
        String::from("\nquarantined changes (kept on this device; see `vigil sync status`):");
    for ((kind, reason), n) in groups {
        text.push_str(&format!(
            "\n  {n} x {}: {}",
            crate::output::escape(kind, crate::output::Keep::Nothing),
            crate::output::escape(reason, crate::output::Keep::Nothing)
        ));
    }
    text
}

/// The report as text: every pulled change in one named bucket.
fn report_text(r: &SyncReport) -> String {
    format!(
        "pushed {}, quarantined {}\n\
         pulled {} (applied {}, stored only {}, refused {}, already had {})\n\
         attachments: {} uploaded, {} downloaded, {} failed",
        r.pushed,
        r.quarantined,
        r.pulled,
        r.applied,
        r.stored_only,
        r.refused,
        r.already_had,
        r.attachments_uploaded,
        r.attachments_downloaded,
        r.attachments_failed
    )
}

fn progress_line(p: &SyncProgress) -> String {
    match p {
        SyncProgress::Pushed { acked, pending } => {
            format!("  pushed {acked} ({pending} still queued)")
        }
        SyncProgress::AttachmentUploaded { count } => {
            format!("  attachment files uploaded: {count}")
        }
        SyncProgress::Pulled { received } => format!("  team changes received: {received}"),
        SyncProgress::AttachmentDownloaded { count, remaining } => {
            format!("  attachment files downloaded: {count} ({remaining} to go)")
        }
    }
}

fn status(dir: &Path, out: &Output) -> Result<(), CliError> {
    let v = unlock(dir)?;
    let s = vigil_core::team::status(v.db()?).map_err(cli_error)?;
    out.print(&s, || {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let ms = |o: Option<u64>| o.map(local_time).unwrap_or_else(|| "-".into());
        [
            format!("enrolled       {}", s.enrolled),
            format!("server         {}", opt(&s.server_url)),
            format!("team           {}", opt(&s.team_id)),
            format!("pending        {}", s.pending),
            format!("quarantined    {}", s.quarantined),
            format!("last success   {}", ms(s.last_success_ms)),
            format!("last error     {}", opt(&s.last_error)),
            match s.next_attempt_ms {
                // The CLI never retries by itself: say when a new `vigil sync` is useful.
                Some(t) => format!(
                    "retry          run `vigil sync` again after {}",
                    local_time(t)
                ),
                None => "retry          -".into(),
            },
            format!(
                "attachments    {} to upload{}, {} to download",
                s.attachments_to_upload,
                upload_left(s.upload_bytes, s.upload_estimate_ms),
                s.attachments_to_download
            ),
            format!("revoked        {}", s.revoked),
            format!(
                "clock offset   {} ms (server minus this machine)",
                s.clock_offset_ms
            ),
        ]
        .into_iter()
        .chain(s.blocked.iter().map(|b| match b.seq {
            Some(seq) => format!("blocked        change {seq} ({}): {}", b.kind, b.reason),
            None => format!(
                "blocked        an attachment file ({}): {}",
                b.kind, b.reason
            ),
        }))
        .collect::<Vec<_>>()
        .join("\n")
    });
    Ok(())
}

/// What is left to upload, and how long it should take at the rate last measured.
fn upload_left(bytes: u64, estimate_ms: Option<u64>) -> String {
    if bytes == 0 {
        return String::new();
    }
    let size = if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    };
    match estimate_ms {
        Some(ms) => format!(" ({size}, about {} at the last rate)", duration(ms)),
        None => format!(" ({size})"),
    }
}

fn duration(ms: u64) -> String {
    let s = ms.div_ceil(1000);
    match s {
        0..=89 => format!("{s} s"),
        90..=5399 => format!("{} min", s.div_ceil(60)),
        _ => format!("{:.1} h", s as f64 / 3600.0),
    }
}

/// A Unix-ms instant as this machine's local time (`--json` keeps the milliseconds).
pub(crate) fn local_time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string()
        })
        .unwrap_or_else(|| format!("{ms} (Unix ms)"))
}
