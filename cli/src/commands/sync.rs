//! `enroll`, `sync`, `sync status`: the device side of team sync, over the core's
//! built-in HTTP transport. Every command blocks until the server answers or times out.

use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;
use vigil_core::sync::transport::HttpTransport;
use vigil_core::sync::{self, SyncEngine, SyncError};

use super::{unlock, CliError};
use crate::output::Output;

/// Bound on each whole HTTP request.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Args)]
pub struct EnrollArgs {
    /// The team server, e.g. http://127.0.0.1:8080.
    url: String,
    /// The one-time code from `vigil-server admin issue-code`.
    code: String,
    /// The officer's name as the team server will show it.
    #[arg(long, env = "VIGIL_OFFICER", default_value = "officer")]
    officer: String,
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

fn engine(url: &str) -> Result<SyncEngine, CliError> {
    let t = HttpTransport::new(url, TIMEOUT)
        .map_err(|_| CliError::Usage(format!("invalid server address: {url}")))?;
    Ok(SyncEngine::new(Box::new(t)))
}

pub fn enroll(dir: &Path, args: EnrollArgs, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    let engine = engine(&args.url)?;
    let e = engine
        .enroll(v.db_mut()?, &args.url, &args.code, &args.officer)
        .map_err(cli_error)?;
    out.print(
        &json!({"enrolled": true, "team_id": e.team_id, "device_id": e.device_id,
                "server_url": args.url}),
        || {
            format!(
                "enrolled device {} in team {} at {}",
                e.device_id, e.team_id, args.url
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
        println!("pushing {} pending change(s) to {url}", st.pending);
    }
    let r = engine(&url)?.sync_now(db).map_err(cli_error)?;
    out.print(
        &json!({"pushed": r.acked, "quarantined": r.quarantined, "pulled": r.received,
                "applied": r.applied, "refused": r.refused}),
        || {
            format!(
                "pushed {}, quarantined {}\npulled {} (applied {}, refused {})",
                r.acked, r.quarantined, r.received, r.applied, r.refused
            )
        },
    );
    Ok(())
}

fn status(dir: &Path, out: &Output) -> Result<(), CliError> {
    let v = unlock(dir)?;
    let s = sync::status(v.db()?).map_err(cli_error)?;
    out.print(&s, || {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let ms = |o: Option<u64>| o.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
        [
            format!("enrolled       {}", s.enrolled),
            format!("server         {}", opt(&s.server_url)),
            format!("team           {}", opt(&s.team_id)),
            format!("pending        {}", s.pending),
            format!("quarantined    {}", s.quarantined),
            format!("last success   {} (Unix ms)", ms(s.last_success_ms)),
            format!("last error     {}", opt(&s.last_error)),
            format!("next attempt   {} (Unix ms)", ms(s.next_attempt_ms)),
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
