//! `vigil route`: import, list, show, export and check routes.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use vigil_core::advance::{
    interchange, route, summary, AdvanceError, RouteSummary, RouteThresholds,
};

use super::{fmt_pos, read_file, At};
use crate::commands::{unlock, CliError};
use crate::output::Output;

#[derive(Clone, Copy, ValueEnum)]
pub enum RouteFormat {
    Gpx,
    Geojson,
}

#[derive(Subcommand)]
pub enum RouteCommand {
    /// Import every track and route of a GPX or GeoJSON file (all or none).
    Import {
        file: PathBuf,
        /// Group the routes under this journey name.
        #[arg(long)]
        journey: Option<String>,
        /// File format (default: from the extension, `.geojson`/`.json` or GPX).
        #[arg(long, value_enum)]
        format: Option<RouteFormat>,
        /// Import even if the journey already has these very routes (same file again).
        #[arg(long)]
        again: bool,
    },
    /// List routes with their length and A&E coverage gap.
    List,
    /// Show a route: summary and named points.
    Show { id: String },
    /// Export routes as GPX or GeoJSON on stdout.
    Export {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long, value_enum, default_value = "gpx")]
        format: RouteFormat,
    },
    /// Is a position off the route, and how far along it is it?
    Check {
        id: String,
        #[command(flatten)]
        at: At,
        /// Off route beyond this many metres.
        #[arg(long, default_value_t = RouteThresholds::DEFAULT.off_route_m)]
        threshold_m: f64,
    },
}

fn summary_text(s: &RouteSummary) -> String {
    let mut t = format!(
        "{}  {} ({:?}{}): {:.0} m, {} positions, {} points\n    bounds {:.5},{:.5} .. {:.5},{:.5}",
        s.id,
        s.name,
        s.role,
        s.journey
            .as_ref()
            .map(|j| format!(", journey {j}"))
            .unwrap_or_default(),
        s.length_m,
        s.vertices,
        s.points,
        s.bounds.min_lat,
        s.bounds.min_lon,
        s.bounds.max_lat,
        s.bounds.max_lon
    );
    match &s.coverage_gap {
        Some(g) => t.push_str(&format!(
            "\n    worst A&E gap {:.0} m from the nearest A&E, {:.0} m along",
            g.distance_m, g.along_m
        )),
        None => t.push_str("\n    no A&E hospital stored: coverage unknown"),
    }
    t
}

pub fn route_cmd(dir: &Path, cmd: RouteCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        RouteCommand::Import {
            file,
            journey,
            format,
            again,
        } => {
            let bytes = read_file(&file)?;
            let format = format.unwrap_or_else(|| {
                match file
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                {
                    Some(e) if e == "geojson" || e == "json" => RouteFormat::Geojson,
                    _ => RouteFormat::Gpx,
                }
            });
            // Parse before unlocking: a bad file costs no KDF and stores nothing.
            let mut inputs = match format {
                RouteFormat::Gpx => interchange::gpx::parse_gpx(&bytes)?,
                RouteFormat::Geojson => {
                    let text = String::from_utf8(bytes)
                        .map_err(|_| AdvanceError::GeoJson("the file is not UTF-8 text".into()))?;
                    interchange::geojson::parse_geojson(&text)?
                }
            };
            if let Some(j) = &journey {
                for i in &mut inputs {
                    i.journey = Some(j.clone());
                }
            }
            let mut v = unlock(dir)?;
            let db = v.db_mut()?;
            // The same file imported into a journey twice would make two identical
            // routes there (two primaries): refused, unless asked for.
            let repeats = route::already_in_journey(db, &inputs)?;
            if !again && !repeats.is_empty() {
                let which = repeats
                    .iter()
                    .map(|(i, id)| format!("route {} of the file is route {id}", i + 1))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(CliError::Usage(format!(
                    "the journey already has these routes ({which}, the same line): nothing \
                     imported (pass --again to import them once more)"
                )));
            }
            let routes = route::save_routes(db, &inputs)?;
            let sums = summary::summarize_all(db, &routes)?;
            out.print(&json!({ "routes": sums }), || {
                let mut t = format!("Imported {} route(s):", sums.len());
                for s in &sums {
                    t.push('\n');
                    t.push_str(&summary_text(s));
                }
                t
            });
        }
        RouteCommand::List => {
            let v = unlock(dir)?;
            let db = v.db()?;
            let sums = summary::summarize_all(db, &route::list_routes(db)?)?;
            out.print(&sums, || {
                if sums.is_empty() {
                    return "No routes.".into();
                }
                sums.iter().map(summary_text).collect::<Vec<_>>().join("\n")
            });
        }
        RouteCommand::Show { id } => {
            let v = unlock(dir)?;
            let db = v.db()?;
            let r = route::get_route(db, &id)?;
            let s = summary::summarize_all(db, std::slice::from_ref(&r))?;
            let value = json!({ "summary": s.first(), "route": r });
            out.print(&value, || {
                let mut t = s.iter().map(summary_text).collect::<Vec<_>>().join("\n");
                for p in &r.points {
                    t.push_str(&format!(
                        "\n    {} {} at {}",
                        p.kind.as_str(),
                        p.name,
                        fmt_pos(&p.position)
                    ));
                }
                t
            });
        }
        RouteCommand::Export { ids, format } => {
            let v = unlock(dir)?;
            let db = v.db()?;
            let routes = ids
                .iter()
                .map(|id| route::get_route(db, id))
                .collect::<Result<Vec<_>, _>>()?;
            let doc = match format {
                RouteFormat::Gpx => interchange::gpx::to_gpx(&routes)?,
                RouteFormat::Geojson => interchange::geojson::to_geojson(&routes)?,
            };
            // The document itself is the output, with or without --json.
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{doc}")
                .map_err(|e| CliError::Io(format!("writing the export to stdout: {e}")))?;
        }
        RouteCommand::Check {
            id,
            at,
            threshold_m,
        } => {
            let v = unlock(dir)?;
            let r = route::get_route(v.db()?, &id)?;
            let off = r.off_route(at.position(), threshold_m)?;
            let progress = r.progress(at.position())?;
            out.print(
                &json!({ "route_id": r.id, "threshold_m": threshold_m, "off_route": off,
                         "progress": progress }),
                || {
                    format!(
                        "{} ({:.0} m from the route, threshold {:.0} m)\n{:.0} m done, {:.0} m left of {:.0} m",
                        if off.off_route { "OFF ROUTE" } else { "on route" },
                        off.distance_m,
                        threshold_m,
                        progress.done_m,
                        progress.left_m,
                        progress.total_m
                    )
                },
            );
        }
    }
    Ok(())
}
