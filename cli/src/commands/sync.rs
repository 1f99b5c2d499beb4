//! `enroll`, `sync`, `sync status`: the device side of team sync, over the core's
//! built-in HTTP transport. Every command blocks until the server answers or times out.

use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;
use vigil_core::sync::transport::{HttpTransport, SpkiPin, TlsOptions};
use vigil_core::sync::{self, state, SyncEngine, SyncError, SyncProgress};

use super::{unlock, CliError};
use crate::output::Output;

/// Bound on each whole HTTP request.
const TIMEOUT: Duration = Duration::from_secs(30);

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

/// The JSON `kind` of a sync error.
pub fn kind(e: &SyncError) -> &'static str {
    match e {
        SyncError::NotEnrolled => "not_enrolled",
        SyncError::AlreadyEnrolled => "already_enrolled",
        SyncError::EnrollmentRefused { .. } => "enrollment_refused",
        SyncError::Revoked => "revoked",
        SyncError::Unauthorized { .. } => "unauthorized",
        SyncError::ClockSkew => "clock_skew",
        SyncError::SequenceGap { .. } => "sequence_gap",
        SyncError::Transient { .. } => "transient",
        SyncError::Protocol(_) => "protocol",
        SyncError::Store(_) => "store",
    }
}

fn engine(url: &str, pins: Vec<SpkiPin>) -> Result<SyncEngine, CliError> {
    let tls = TlsOptions {
        pins,
        extra_roots_pem: None,
    };
    let t = HttpTransport::with_tls(url, TIMEOUT, &tls)
        .map_err(|_| CliError::Usage(format!("invalid server address: {url}")))?;
    Ok(SyncEngine::new(Box::new(t)))
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
    let mut v = unlock(dir)?;
    let engine = engine(&args.url, pins.clone())?;
    let db = v.db_mut()?;
    let e = engine
        .enroll(db, &args.url, &args.code, &args.officer)
        .map_err(cli_error)?;
    state::set_tls_pins(db, &pins)?;
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
        None => sync_now(dir, out),
    }
}

fn sync_now(dir: &Path, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let db = v.db_mut()?;
    let st = sync::status(db).map_err(cli_error)?;
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
    }
    let pins = state::tls_pins(db.conn())?;
    let mut engine = engine(&url, pins)?;
    if !out.json {
        // Progress goes to stderr, one line per step, so stdout keeps the summary.
        engine = engine.with_progress(std::sync::Arc::new(|p| eprintln!("{}", progress_line(&p))));
    }
    let r = engine.sync_now(db).map_err(cli_error)?;
    out.print(
        &json!({"pushed": r.acked, "quarantined": r.quarantined, "pulled": r.received,
                "applied": r.applied, "refused": r.refused,
                "attachments_uploaded": r.blobs_uploaded,
                "attachments_downloaded": r.blobs_downloaded,
                "attachments_failed": r.blobs_failed}),
        || {
            format!(
                "pushed {}, quarantined {}\npulled {} (applied {}, refused {})\n\
                 attachments: {} uploaded, {} downloaded, {} failed",
                r.acked,
                r.quarantined,
                r.received,
                r.applied,
                r.refused,
                r.blobs_uploaded,
                r.blobs_downloaded,
                r.blobs_failed
            )
        },
    );
    Ok(())
}

fn progress_line(p: &SyncProgress) -> String {
    match p {
        SyncProgress::Pushed { acked, pending } => {
            format!("  pushed {acked} ({pending} still queued)")
        }
        SyncProgress::Uploaded { blobs } => format!("  attachment files uploaded: {blobs}"),
        SyncProgress::Pulled { received } => format!("  team changes received: {received}"),
        SyncProgress::Downloaded { blobs, remaining } => {
            format!("  attachment files downloaded: {blobs} ({remaining} to go)")
        }
    }
}

fn status(dir: &Path, out: &Output) -> Result<(), CliError> {
    let v = unlock(dir)?;
    let s = sync::status(v.db()?).map_err(cli_error)?;
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
                "attachments    {} to upload, {} to download",
                s.blobs_to_upload, s.blobs_to_download
            ),
            format!("revoked        {}", s.revoked),
            format!(
                "clock offset   {} ms (server minus this machine)",
                s.clock_offset_ms
            ),
        ]
        .join("\n")
    });
    Ok(())
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
