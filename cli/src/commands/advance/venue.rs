//! `vigil venue`: venues of a visit.

use std::path::Path;

use clap::Subcommand;
use vigil_core::advance::{venue, Position, VenueInput};

use super::fmt_pos;
use crate::commands::{unlock, CliError};
use crate::output::Output;

#[derive(Subcommand)]
pub enum VenueCommand {
    /// Add a venue.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        address: Option<String>,
        #[arg(long, allow_hyphen_values = true, requires = "lon")]
        lat: Option<f64>,
        #[arg(long, allow_hyphen_values = true, requires = "lat")]
        lon: Option<f64>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List venues.
    List,
    /// Show one venue with its points and contacts.
    Show { id: String },
}

pub fn venue_cmd(dir: &Path, cmd: VenueCommand, out: &Output) -> Result<(), CliError> {
    let mut v = unlock(dir)?;
    match cmd {
        VenueCommand::Add {
            name,
            address,
            lat,
            lon,
            notes,
        } => {
            let input = VenueInput {
                name,
                address,
                position: lat.zip(lon).map(|(a, o)| Position::new(a, o)),
                notes,
                ..Default::default()
            };
            let saved = venue::save_venue(v.db_mut()?, &input)?;
            out.print(&saved, || {
                format!("Venue {} added: {}", saved.id, saved.name)
            });
        }
        VenueCommand::List => {
            let all = venue::list_venues(v.db()?)?;
            out.print(&all, || {
                if all.is_empty() {
                    return "No venues.".into();
                }
                all.iter()
                    .map(|x| format!("{}  {}", x.id, x.name))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        VenueCommand::Show { id } => {
            let x = venue::get_venue(v.db()?, &id)?;
            out.print(&x, || {
                let mut t = format!("{}  {}", x.id, x.name);
                if let Some(a) = &x.address {
                    t.push_str(&format!("\naddress   {a}"));
                }
                if let Some(p) = &x.position {
                    t.push_str(&format!("\nposition  {}", fmt_pos(p)));
                }
                for p in &x.points {
                    t.push_str(&format!("\npoint     {:?}: {}", p.kind, p.label));
                }
                for c in &x.contacts {
                    t.push_str(&format!("\ncontact   {} ({})", c.name, c.role));
                }
                if !x.notes.is_empty() {
                    t.push_str(&format!("\nnotes     {}", x.notes));
                }
                t
            });
        }
    }
    Ok(())
}
