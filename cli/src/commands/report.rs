//! `report incidents|walk`: PDF/A-3b reports (docs/EVIDENCE.md, "Reports"), set in the
//! system's fonts (or those under --fonts), written as a new 0600 file.

use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::{Args, Subcommand};
use serde_json::json;
use vigil_report::{Fonts, ReportError};

use super::incident::instant;
use super::{io_error, unlock, CliError};
use crate::output::Output;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The incident report: every incident (or those given) with its history, photos
    /// and the verification block; the signed bundle is embedded in the PDF.
    Incidents {
        #[command(flatten)]
        common: Common,
        /// Incidents that occurred at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Incidents that occurred before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// Only these incidents (repeatable).
        #[arg(long = "incident")]
        incidents: Vec<String>,
    },
    /// The advance report of a checklist walk: venue, havens with distances, routes,
    /// every answer and the sign-off (embedded in the PDF).
    Walk {
        walk_id: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Args)]
pub struct Common {
    /// The PDF to write (must not exist).
    #[arg(long)]
    out: PathBuf,
    /// Font directory to use instead of the system's (repeatable).
    #[arg(long = "fonts")]
    fonts: Vec<PathBuf>,
    /// Team name for the header.
    #[arg(long)]
    team: Option<String>,
    /// Officer for the header.
    #[arg(long)]
    officer: Option<String>,
}

fn report_error(e: ReportError) -> CliError {
    match e {
        ReportError::Incident(e) => CliError::Incident(e),
        ReportError::Advance(e) => e.into(),
        ReportError::Store(e) => CliError::Store(e),
        other => CliError::Io(other.to_string()),
    }
}

fn fonts(dirs: &[PathBuf]) -> Result<Fonts, CliError> {
    if dirs.is_empty() {
        return Fonts::system().map_err(report_error);
    }
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    Fonts::from_dirs(&dirs).map_err(report_error)
}

fn write(path: &Path, pdf: &[u8], out: &Output, what: &str) -> Result<(), CliError> {
    vigil_core::files::write_new(path, |w| w.write_all(pdf), |e| e)
        .map_err(|e| io_error(path, &e))?;
    out.print(&json!({"written": path, "bytes": pdf.len()}), || {
        format!(
            "Wrote the {what} {} ({} bytes, PDF/A-3b)",
            path.display(),
            pdf.len()
        )
    });
    Ok(())
}

pub fn run(dir: &Path, cmd: ReportCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        ReportCommand::Incidents {
            common,
            since,
            until,
            incidents,
        } => {
            let since = since
                .as_deref()
                .map(|s| instant("since", s).map(|t| t.with_timezone(&Utc)))
                .transpose()?;
            let until = until
                .as_deref()
                .map(|s| instant("until", s).map(|t| t.with_timezone(&Utc)))
                .transpose()?;
            let fonts = fonts(&common.fonts)?;
            let mut v = unlock(dir)?;
            let mut r = vigil_report::incidents_from_vault(&mut v, since, until, &incidents)
                .map_err(report_error)?;
            r.header.team = common.team;
            r.header.officer = common.officer;
            let pdf = vigil_report::render_incidents(&r, &fonts).map_err(report_error)?;
            write(&common.out, &pdf, out, "incident report")
        }
        ReportCommand::Walk { walk_id, common } => {
            let fonts = fonts(&common.fonts)?;
            let mut v = unlock(dir)?;
            let mut r = vigil_report::walk_from_vault(&mut v, &walk_id).map_err(report_error)?;
            r.header.team = common.team;
            r.header.officer = common.officer;
            let pdf = vigil_report::render_walk(&r, &fonts).map_err(report_error)?;
            write(&common.out, &pdf, out, "advance report")
        }
    }
}
