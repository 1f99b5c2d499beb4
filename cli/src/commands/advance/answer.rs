//! Answers typed on the command line, read into typed answer values, and the hint
//! shown for each kind of item.

use vigil_core::advance::{
    self as core, AdvanceError, AnswerValue, CheckState, ItemKind, Position, TemplateItem,
};

/// Reads an answer typed for `item`: see docs/cli/advance.md for the forms.
pub fn parse_value(item: &TemplateItem, text: &str) -> Result<AnswerValue, AdvanceError> {
    let t = text.trim();
    let wrong = || AdvanceError::WrongAnswerKind {
        item: item.id.clone(),
        expected: item.kind.name().into(),
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

pub(super) fn kind_hint(k: &ItemKind) -> String {
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
