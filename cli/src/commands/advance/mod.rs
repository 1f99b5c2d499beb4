//! Advance work: `venue`, `haven`, `route` and `checklist`, one module per command group.
//! See docs/cli/advance.md. This module holds the arguments the groups share.

mod answer;
mod checklist;
mod haven;
mod interactive;
mod route;
mod venue;

use std::path::Path;

use clap::{Args, ValueEnum};
use vigil_core::advance::{HavenFilter, HavenKind, Position};

use super::CliError;

pub use checklist::{checklist_cmd, ChecklistCommand};
pub use haven::{haven_cmd, HavenCommand};
pub use route::{route_cmd, RouteCommand};
pub use venue::{venue_cmd, VenueCommand};

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Hospital,
    Police,
    Fire,
    Embassy,
    Consulate,
    Other,
}

impl From<KindArg> for HavenKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Hospital => HavenKind::Hospital,
            KindArg::Police => HavenKind::Police,
            KindArg::Fire => HavenKind::Fire,
            KindArg::Embassy => HavenKind::Embassy,
            KindArg::Consulate => HavenKind::Consulate,
            KindArg::Other => HavenKind::Other,
        }
    }
}

#[derive(Args)]
pub struct At {
    /// Latitude, decimal degrees (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    lat: f64,
    /// Longitude, decimal degrees (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    lon: f64,
}

impl At {
    fn position(&self) -> Position {
        Position::new(self.lat, self.lon)
    }
}

#[derive(Args)]
pub struct FilterArgs {
    /// Only havens of this kind.
    #[arg(long, value_enum, conflicts_with = "emergency")]
    kind: Option<KindArg>,
    /// Only hospitals with an emergency department (A&E).
    #[arg(long)]
    emergency: bool,
}

impl FilterArgs {
    fn filter(&self) -> HavenFilter {
        match (self.kind, self.emergency) {
            (_, true) => HavenFilter::EmergencyHospital,
            (Some(k), false) => HavenFilter::Kind { kind: k.into() },
            (None, false) => HavenFilter::Any,
        }
    }
}

#[derive(Args)]
pub struct OfficerArg {
    /// Officer name or call sign (default: $VIGIL_OFFICER, else $USER).
    #[arg(long)]
    officer: Option<String>,
}

impl OfficerArg {
    fn name(&self) -> Result<String, CliError> {
        self.officer
            .clone()
            .or_else(|| std::env::var("VIGIL_OFFICER").ok())
            .or_else(|| std::env::var("USER").ok())
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                CliError::Usage(
                    "say who you are: --officer NAME, or set VIGIL_OFFICER (USER is unset)".into(),
                )
            })
            .and_then(|name| {
                vigil_core::incident::check_officer(&name)?;
                Ok(name)
            })
    }
}

/// Reads an import file, at most one byte past the largest file an import takes (the
/// parser then refuses it as too large): a huge file is never read whole into memory.
fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let limit = vigil_core::advance::interchange::limits::MAX_FILE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(|e| crate::commands::io_error(path, &e))?;
    Ok(bytes)
}

fn fmt_pos(p: &Position) -> String {
    format!("{:.5}, {:.5}", p.lat, p.lon)
}
