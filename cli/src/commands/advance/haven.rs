//! `vigil haven`: safe havens (A&E hospitals, police, embassies, ...).

use std::path::Path;

use clap::Subcommand;
use vigil_core::advance::{haven, HavenKind, HospitalInfo, SafeHaven, SafeHavenInput};

use super::{At, FilterArgs, KindArg};
use crate::commands::{unlock, CliError};
use crate::output::Output;

#[derive(Subcommand)]
pub enum HavenCommand {
    /// Add a safe haven (A&E hospital, police or fire station, embassy, ...).
    Add {
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        at: At,
        /// A hospital with an emergency department (A&E).
        #[arg(long)]
        emergency: bool,
        /// Trauma centre level, 1 (best) to 4.
        #[arg(long)]
        trauma_level: Option<u8>,
        #[arg(long)]
        helipad: bool,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List safe havens.
    List {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// The nearest safe haven to a position (straight-line distance and bearing).
    Nearest {
        #[command(flatten)]
        at: At,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

fn haven_line(h: &SafeHaven) -> String {
    let extra = match h.hospital {
        Some(HospitalInfo {
            emergency_department: true,
            trauma_level,
            ..
        }) => match trauma_level {
            Some(l) => format!(" [A&E, trauma level {l}]"),
            None => " [A&E]".into(),
        },
        _ => String::new(),
    };
    format!("{}  {} {}{}", h.id, h.kind.as_str(), h.name, extra)
}

pub fn haven_cmd(dir: &Path, cmd: HavenCommand, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    match cmd {
        HavenCommand::Add {
            kind,
            name,
            at,
            emergency,
            trauma_level,
            helipad,
            phone,
            address,
            notes,
        } => {
            let kind: HavenKind = kind.into();
            let hospital = (kind == HavenKind::Hospital).then_some(HospitalInfo {
                emergency_department: emergency,
                trauma_level,
                helipad,
            });
            let input = SafeHavenInput {
                id: None,
                kind,
                name,
                position: at.position(),
                hospital,
                address,
                phone,
                opening_hours: None,
                notes,
            };
            let h = haven::save_haven(v.db_mut()?, &input)?;
            out.print(&h, || format!("Safe haven added: {}", haven_line(&h)));
        }
        HavenCommand::List { filter } => {
            let all = haven::list_havens(v.db()?, filter.filter())?;
            out.print(&all, || {
                if all.is_empty() {
                    return "No safe havens.".into();
                }
                all.iter().map(haven_line).collect::<Vec<_>>().join("\n")
            });
        }
        HavenCommand::Nearest { at, filter } => {
            let fix = haven::nearest_haven(v.db()?, at.position(), filter.filter())?;
            match fix {
                Some(f) => out.print(&f, || {
                    format!(
                        "{}\n{:.0} m, bearing {:.0} degrees (straight line)",
                        haven_line(&f.haven),
                        f.distance_m,
                        f.bearing_deg
                    )
                }),
                None => out.print(&serde_json::Value::Null, || "No safe haven matches.".into()),
            }
        }
    }
    Ok(())
}
