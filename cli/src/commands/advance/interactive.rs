//! `vigil checklist walk`: the interactive walk over stdin and stderr.

use std::io::{BufRead, Write};

use vigil_core::advance::{walk, AdvanceError, AnswerInput, AnswerValue, CheckState, TemplateItem};

use super::answer::{kind_hint, parse_value};
use crate::commands::CliError;
use crate::output::{escape, Keep};

fn io(e: std::io::Error) -> CliError {
    CliError::Io(format!("reading answers or writing prompts: {e}"))
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
pub(super) fn walk_interactive(
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
        escape(&w.template.title, Keep::Nothing),
        pending.len()
    )
    .map_err(io)?;
    'items: for (title, item) in pending {
        if title != section {
            writeln!(err, "\n== {}", escape(&title, Keep::Nothing)).map_err(io)?;
            section = title;
        }
        loop {
            writeln!(
                err,
                "\n{}{} [{}]",
                escape(&item.label, Keep::Nothing),
                if item.required { " (required)" } else { "" },
                escape(&item.id, Keep::Nothing)
            )
            .map_err(io)?;
            if !item.guidance.is_empty() {
                writeln!(err, "  {}", escape(&item.guidance, Keep::Nothing)).map_err(io)?;
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
                    writeln!(
                        err,
                        "  not accepted: {}",
                        escape(&e.to_string(), Keep::Nothing)
                    )
                    .map_err(io)?;
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
                    writeln!(
                        err,
                        "  not accepted: {}",
                        escape(&e.to_string(), Keep::Nothing)
                    )
                    .map_err(io)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok((answered, skipped))
}
