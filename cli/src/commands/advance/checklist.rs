//! `vigil checklist`: templates, walks, answers, sign-off, raising incidents.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::json;
use vigil_core::advance::{
    self as core, template, walk, AdvanceError, AnswerInput, Position, TemplateItem, Walk,
    WalkSubject,
};

use super::answer::parse_value;
use super::interactive::walk_interactive;
use super::{read_file, OfficerArg};
use crate::commands::{unlock, CliError};
use crate::output::Output;

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
        /// Incident category: suspicious-activity, hostile-surveillance, approach-or-threat,
        /// medical, security-breach, road-or-vehicle, crowd-or-protest, media,
        /// theft-or-loss, other (`_` works as well as `-`).
        #[arg(long)]
        category: String,
        /// info, low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
    },
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
            // The same forms and messages as `incident log`.
            let category = crate::commands::incident::category(&category)?;
            let severity = severity
                .as_deref()
                .map(|s| crate::commands::incident::severity("severity", s))
                .transpose()?;
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
