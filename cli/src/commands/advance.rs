//! Advance work: `venue`, `haven`, `route` and `checklist`. See docs/cli/advance.md.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use vigil_core::advance::{
    self as core, haven, interchange, route, summary, template, venue, walk, AdvanceError,
    AnswerInput, AnswerValue, CheckState, HavenFilter, HavenKind, HospitalInfo, ItemKind, Position,
    RouteSummary, SafeHaven, SafeHavenInput, TemplateItem, VenueInput, Walk, WalkSubject,
};
use vigil_core::incident::{Category, Severity};

use super::{unlock, CliError};
use crate::output::Output;

// ---- arguments ----

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
        #[arg(long, default_value_t = 100.0)]
        threshold_m: f64,
    },
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
            .ok_or_else(|| CliError::Usage("say who you are: --officer NAME".into()))
    }
}

#[derive(Subcommand)]
pub enum ChecklistCommand {
    /// List the templates a walk can start from (built-in and imported).
    Templates,
    /// Import a custom template (vigil.checklist-template/1 JSON).
    Import { file: PathBuf },
    /// Start a walk of a template for a venue, a route or another subject.
    Start {
        template: String,
        #[arg(long)]
        version: Option<u32>,
        #[arg(long, group = "what")]
        venue: Option<String>,
        #[arg(long, group = "what")]
        route: Option<String>,
        /// Something that is neither (a vehicle's call sign).
        #[arg(long, group = "what")]
        subject: Option<String>,
        #[command(flatten)]
        officer: OfficerArg,
    },
    /// Answer the unanswered items one by one, reading answers from stdin.
    Walk {
        walk_id: String,
        #[command(flatten)]
        officer: OfficerArg,
    },
    /// Answer one item.
    Answer {
        walk_id: String,
        item: String,
        value: String,
        #[arg(long, default_value = "")]
        note: String,
        /// Flag the answer as an issue (a note is then required).
        #[arg(long)]
        issue: bool,
        #[arg(long, allow_hyphen_values = true, requires = "lon")]
        lat: Option<f64>,
        #[arg(long, allow_hyphen_values = true, requires = "lat")]
        lon: Option<f64>,
        #[command(flatten)]
        officer: OfficerArg,
    },
    /// Progress and issues of a walk.
    Status { walk_id: String },
    /// Mark a walk complete (every required item answered).
    Complete {
        walk_id: String,
        #[command(flatten)]
        officer: OfficerArg,
    },
    /// Seal a completed walk with the device's signature.
    SignOff {
        walk_id: String,
        #[command(flatten)]
        officer: OfficerArg,
    },
    /// Raise an incident in the incident log from an answered item.
    Raise {
        walk_id: String,
        item: String,
        /// Incident category (suspicious_activity, security_breach, medical, ...).
        #[arg(long)]
        category: String,
        /// info, low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
    },
}

// ---- commands ----

/// Reads an import file, at most one byte past the largest file an import takes (the
/// parser then refuses it as too large): a huge file is never read whole into memory.
fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let io = |e: std::io::Error| CliError::Io(format!("{}: {}", path.display(), e.kind()));
    let limit = interchange::limits::MAX_FILE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(io)?;
    Ok(bytes)
}

fn fmt_pos(p: &Position) -> String {
    format!("{:.5}, {:.5}", p.lat, p.lon)
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
            writeln!(stdout, "{doc}").map_err(|e| CliError::Io(e.kind().to_string()))?;
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

/// Reads an answer typed for `item`: see docs/cli/advance.md for the forms.
pub fn parse_value(item: &TemplateItem, text: &str) -> Result<AnswerValue, AdvanceError> {
    let t = text.trim();
    let wrong = || AdvanceError::WrongAnswerKind {
        item: item.id.clone(),
        expected: item.kind.name(),
    };
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "na" | "n/a" | "not_applicable" | "not applicable"
    ) {
        return Ok(AnswerValue::NotApplicable);
    }
    Ok(match &item.kind {
        ItemKind::Check => AnswerValue::Check {
            state: match lower.as_str() {
                "ok" | "y" | "yes" => CheckState::Ok,
                "issue" | "x" => CheckState::Issue,
                _ => return Err(wrong()),
            },
        },
        ItemKind::Text => AnswerValue::Text { text: t.into() },
        ItemKind::Number { .. } => AnswerValue::Number {
            value: t.parse().map_err(|_| wrong())?,
        },
        ItemKind::Choice { options } => {
            let by_number = t
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| options.get(i));
            let by_name = options.iter().find(|o| o.eq_ignore_ascii_case(t));
            AnswerValue::Choice {
                option: by_name.or(by_number).cloned().unwrap_or_else(|| t.into()),
            }
        }
        ItemKind::Location => {
            let (a, b) = t.split_once(',').ok_or_else(wrong)?;
            let lat = a.trim().parse().map_err(|_| wrong())?;
            let lon = b.trim().parse().map_err(|_| wrong())?;
            AnswerValue::Location {
                position: Position::new(lat, lon),
            }
        }
        ItemKind::Photo => AnswerValue::Photo {
            attachments: t
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        },
        ItemKind::Contact => {
            let mut parts = t.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default().to_string();
            let role = parts.next().unwrap_or_default().to_string();
            let phone = parts.next().filter(|s| !s.is_empty()).map(String::from);
            let email = parts.next().filter(|s| !s.is_empty()).map(String::from);
            AnswerValue::Contact {
                contact: core::Contact {
                    name,
                    role,
                    phone,
                    email,
                    notes: String::new(),
                },
            }
        }
    })
}

fn kind_hint(k: &ItemKind) -> String {
    match k {
        ItemKind::Check => "ok / issue / na".into(),
        ItemKind::Text => "text".into(),
        ItemKind::Number { unit, min, max } => {
            let mut s = "number".to_string();
            if let Some(u) = unit {
                s.push_str(&format!(" in {u}"));
            }
            match (min, max) {
                (Some(a), Some(b)) => s.push_str(&format!(", {a} to {b}")),
                (Some(a), None) => s.push_str(&format!(", at least {a}")),
                (None, Some(b)) => s.push_str(&format!(", at most {b}")),
                (None, None) => {}
            }
            s
        }
        ItemKind::Choice { options } => options
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{} {o}", i + 1))
            .collect::<Vec<_>>()
            .join(" / "),
        ItemKind::Location => "lat,lon".into(),
        ItemKind::Photo => "attachment ids, comma-separated".into(),
        ItemKind::Contact => "name; role; phone; email".into(),
    }
}

fn status_json(w: &Walk) -> serde_json::Value {
    json!({
        "walk_id": w.id,
        "template": { "id": w.template.id, "version": w.template.version, "title": w.template.title },
        "subject": w.subject,
        "state": w.state,
        "progress": w.progress(),
        "missing_required": w.missing_required(),
        "issues": w.issues(),
    })
}

fn status_text(w: &Walk) -> String {
    let p = w.progress();
    let mut t = format!(
        "{}  {} ({:?})\nrequired {}/{}, answered {}/{}, issues {}",
        w.id,
        w.template.title,
        w.state,
        p.required_answered,
        p.required_total,
        p.answered,
        p.total,
        p.issues
    );
    let missing = w.missing_required();
    if !missing.is_empty() {
        t.push_str(&format!("\nrequired, unanswered: {}", missing.join(", ")));
    }
    for i in w.issues() {
        t.push_str(&format!("\nISSUE {}: {}", i.item_id, i.answer.note));
    }
    t
}

fn io(e: std::io::Error) -> CliError {
    CliError::Io(e.kind().to_string())
}

/// Reads one line; `None` at end of input.
fn read_line(input: &mut dyn BufRead) -> Result<Option<String>, CliError> {
    let mut line = String::new();
    if input.read_line(&mut line).map_err(io)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}

/// The interactive walk: prompts on stderr, answers from stdin, one line each (an
/// empty line skips the item; an issue asks for a note on the next line).
fn walk_interactive(
    db: &mut vigil_core::store::Database,
    walk_id: &str,
    officer: &str,
    input: &mut dyn BufRead,
) -> Result<(u32, u32), CliError> {
    let w = walk::get_walk(db, walk_id)?;
    let mut err = std::io::stderr().lock();
    let (mut answered, mut skipped) = (0u32, 0u32);
    let mut section = String::new();
    let pending: Vec<(String, TemplateItem)> = w
        .template
        .items()
        .filter(|(_, i)| w.answer(&i.id).is_none())
        .map(|(s, i)| (s.title.clone(), i.clone()))
        .collect();
    writeln!(
        err,
        "{}: {} item(s) to answer",
        w.template.title,
        pending.len()
    )
    .map_err(io)?;
    'items: for (title, item) in pending {
        if title != section {
            writeln!(err, "\n== {title}").map_err(io)?;
            section = title;
        }
        loop {
            writeln!(
                err,
                "\n{}{} [{}]",
                item.label,
                if item.required { " (required)" } else { "" },
                item.id
            )
            .map_err(io)?;
            if !item.guidance.is_empty() {
                writeln!(err, "  {}", item.guidance).map_err(io)?;
            }
            write!(err, "  {} > ", kind_hint(&item.kind)).map_err(io)?;
            err.flush().map_err(io)?;
            let Some(line) = read_line(input)? else {
                writeln!(err).map_err(io)?;
                break 'items;
            };
            if line.trim().is_empty() {
                skipped += 1;
                continue 'items;
            }
            let value = match parse_value(&item, &line) {
                Ok(v) => v,
                Err(e) => {
                    writeln!(err, "  not accepted: {e}").map_err(io)?;
                    continue;
                }
            };
            let is_issue = matches!(
                value,
                AnswerValue::Check {
                    state: CheckState::Issue
                }
            );
            let note = if is_issue {
                write!(err, "  what is wrong? > ").map_err(io)?;
                err.flush().map_err(io)?;
                match read_line(input)? {
                    Some(n) => n,
                    None => break 'items,
                }
            } else {
                String::new()
            };
            let a = AnswerInput {
                item_id: item.id.clone(),
                value,
                note,
                issue: false,
                position: None,
                photos: vec![],
                officer: officer.to_string(),
                answered_at_ms: None,
            };
            match walk::answer_item(db, walk_id, &a) {
                Ok(_) => {
                    answered += 1;
                    continue 'items;
                }
                Err(
                    e @ (AdvanceError::InvalidInput { .. } | AdvanceError::WrongAnswerKind { .. }),
                ) => {
                    writeln!(err, "  not accepted: {e}").map_err(io)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok((answered, skipped))
}

fn find_item(w: &Walk, id: &str) -> Result<TemplateItem, AdvanceError> {
    w.template
        .item(id)
        .cloned()
        .ok_or_else(|| AdvanceError::UnknownItem { item: id.into() })
}

pub fn checklist_cmd(dir: &Path, cmd: ChecklistCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        ChecklistCommand::Templates => {
            let v = unlock(dir)?;
            let all = template::list_templates(v.db()?)?;
            let rows: Vec<_> = all
                .iter()
                .map(|t| {
                    json!({"id": t.id, "version": t.version, "title": t.title, "kind": t.kind,
                           "builtin": t.is_builtin(), "items": t.items().count(),
                           "required": t.items().filter(|(_, i)| i.required).count()})
                })
                .collect();
            out.print(&rows, || {
                all.iter()
                    .map(|t| {
                        format!(
                            "{} v{}  {} ({:?}, {} items)",
                            t.id,
                            t.version,
                            t.title,
                            t.kind,
                            t.items().count()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ChecklistCommand::Import { file } => {
            let bytes = read_file(&file)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| AdvanceError::template("(file)", "not UTF-8 text"))?;
            let mut v = unlock(dir)?;
            let t = template::import_template(v.db_mut()?, &text)?;
            out.print(
                &json!({"id": t.id, "version": t.version, "title": t.title, "kind": t.kind,
                        "items": t.items().count()}),
                || format!("Imported template {} v{}: {}", t.id, t.version, t.title),
            );
        }
        ChecklistCommand::Start {
            template,
            version,
            venue,
            route,
            subject,
            officer,
        } => {
            let officer = officer.name()?;
            let subject = match (venue, route, subject) {
                (Some(venue_id), _, _) => WalkSubject::Venue { venue_id },
                (_, Some(route_id), _) => WalkSubject::Route { route_id },
                (_, _, Some(label)) => WalkSubject::Other { label },
                _ => {
                    return Err(CliError::Usage(
                        "say what the walk is of: --venue ID, --route ID or --subject LABEL".into(),
                    ))
                }
            };
            let mut v = unlock(dir)?;
            let w = walk::start_walk(v.db_mut()?, &template, version, &subject, &officer)?;
            out.print(&status_json(&w), || {
                format!(
                    "Walk {} started: {} ({} items)",
                    w.id,
                    w.template.title,
                    w.template.items().count()
                )
            });
        }
        ChecklistCommand::Walk { walk_id, officer } => {
            let officer = officer.name()?;
            let mut v = unlock(dir)?;
            let db = v.db_mut()?;
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let (answered, skipped) = walk_interactive(db, &walk_id, &officer, &mut input)?;
            let w = walk::get_walk(db, &walk_id)?;
            let mut value = status_json(&w);
            value["answered_now"] = json!(answered);
            value["skipped_now"] = json!(skipped);
            out.print(&value, || {
                format!(
                    "Answered {answered}, skipped {skipped}.\n{}",
                    status_text(&w)
                )
            });
        }
        ChecklistCommand::Answer {
            walk_id,
            item,
            value,
            note,
            issue,
            lat,
            lon,
            officer,
        } => {
            let officer = officer.name()?;
            let mut v = unlock(dir)?;
            let db = v.db_mut()?;
            let w = walk::get_walk(db, &walk_id)?;
            let it = find_item(&w, &item)?;
            let a = AnswerInput {
                item_id: it.id.clone(),
                value: parse_value(&it, &value)?,
                note,
                issue,
                position: lat.zip(lon).map(|(a, o)| Position::new(a, o)),
                photos: vec![],
                officer,
                answered_at_ms: None,
            };
            let saved = walk::answer_item(db, &walk_id, &a)?;
            out.print(&saved, || {
                format!(
                    "Answered {}{}",
                    saved.item_id,
                    if saved.issue { " (issue)" } else { "" }
                )
            });
        }
        ChecklistCommand::Status { walk_id } => {
            let v = unlock(dir)?;
            let w = walk::get_walk(v.db()?, &walk_id)?;
            out.print(&status_json(&w), || status_text(&w));
        }
        ChecklistCommand::Complete { walk_id, officer } => {
            let officer = officer.name()?;
            let mut v = unlock(dir)?;
            let w = walk::complete_walk(v.db_mut()?, &walk_id, &officer)?;
            out.print(&status_json(&w), || format!("Walk {} completed.", w.id));
        }
        ChecklistCommand::SignOff { walk_id, officer } => {
            let officer = officer.name()?;
            let mut v = unlock(dir)?;
            let s = walk::sign_off_walk(v.db_mut()?, &walk_id, &officer)?;
            out.print(&s, || {
                format!("Walk {} signed off. SHA-256 {}", s.walk_id, s.sha256)
            });
        }
        ChecklistCommand::Raise {
            walk_id,
            item,
            category,
            severity,
        } => {
            let category: Category = category
                .parse()
                .map_err(|_| CliError::Usage("unknown incident category".into()))?;
            let severity: Option<Severity> = severity
                .map(|s| s.parse())
                .transpose()
                .map_err(|_| CliError::Usage("unknown severity".into()))?;
            let mut v = unlock(dir)?;
            let id = core::raise_incident_from_item(
                &mut v,
                &core::RaiseIncident {
                    walk_id,
                    item_id: item,
                    category,
                    severity,
                },
            )?;
            out.print(&json!({ "incident_id": id }), || {
                format!("Incident {id} raised.")
            });
        }
    }
    Ok(())
}
