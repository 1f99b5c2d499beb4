//! Checklist walks: an officer (or several) walking a template on site. The walk holds
//! its own copy of the template; each item answer is its own record stamped by the
//! hybrid logical clock (so officers merge item by item); completion needs every required
//! item answered; sign-off seals a signed snapshot.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::error::{write, AdvanceError, AdvanceResult};
use super::geometry::Position;
use super::template::{ChecklistTemplate, ItemKind, TemplateItem, TemplateKind};
use super::venue::Contact;
use super::{check_id, new_id, optional_text, required_text, NAME_MAX, NOTE_MAX};
use crate::canonical_json::canonical_json;
use crate::clock::now_ms;
use crate::clock::Hlc;
use crate::crypto::hash::sha256;
use crate::crypto::signing;
use crate::store::{Database, Writer};

/// The `format` of a signed walk snapshot, and the domain-separation prefix of what is
/// signed: Ed25519 over `SNAPSHOT_FORMAT || 0x00 || SHA-256(snapshot bytes)`.
pub const SNAPSHOT_FORMAT: &str = "vigil.walk-snapshot/1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Ok,
    Issue,
    NotApplicable,
}

/// An answer's value; its variant must match the item's kind. `NotApplicable` fits any
/// item (for a check item it becomes `Check { state: NotApplicable }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerValue {
    Check { state: CheckState },
    Text { text: String },
    Number { value: f64 },
    Choice { option: String },
    Location { position: Position },
    Photo { attachments: Vec<String> },
    Contact { contact: Contact },
    NotApplicable,
}

/// What the officer gives when answering an item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AnswerInput {
    pub item_id: String,
    pub value: AnswerValue,
    #[serde(default)]
    pub note: String,
    /// Flags a non-check item as an issue (a check item is an issue when its state is).
    #[serde(default)]
    pub issue: bool,
    #[serde(default)]
    pub position: Option<Position>,
    /// Attachment ids of photos taken for this item.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Who answered (officer name or call sign).
    pub officer: String,
    /// When it was observed, device time in ms since the epoch; `None` means now.
    #[serde(default)]
    pub answered_at_ms: Option<u64>,
}

/// One item's answer: its own record, merged by `hlc` (last writer wins, device id
/// breaks ties).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Answer {
    pub walk_id: String,
    pub item_id: String,
    pub value: AnswerValue,
    pub note: String,
    pub issue: bool,
    pub position: Option<Position>,
    pub photos: Vec<String>,
    pub officer: String,
    pub answered_at_ms: u64,
    pub device_id: String,
    pub hlc: Hlc,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WalkSubject {
    Venue {
        venue_id: String,
    },
    Route {
        route_id: String,
    },
    /// Something that is neither (a vehicle: its call sign or fleet number).
    Other {
        label: String,
    },
}

impl WalkSubject {
    pub(crate) fn parts(&self) -> (&'static str, &str) {
        match self {
            WalkSubject::Venue { venue_id } => ("venue", venue_id),
            WalkSubject::Route { route_id } => ("route", route_id),
            WalkSubject::Other { label } => ("other", label),
        }
    }

    fn from_parts(kind: &str, id: String) -> AdvanceResult<Self> {
        Ok(match kind {
            "venue" => WalkSubject::Venue { venue_id: id },
            "route" => WalkSubject::Route { route_id: id },
            "other" => WalkSubject::Other { label: id },
            _ => return Err(crate::error::StoreError::DatabaseCorrupt.into()),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum WalkState {
    InProgress,
    Completed,
    SignedOff,
}

impl WalkState {
    fn name(self) -> &'static str {
        match self {
            WalkState::InProgress => "in progress",
            WalkState::Completed => "completed",
            WalkState::SignedOff => "signed off",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Walk {
    pub id: String,
    pub template: ChecklistTemplate,
    pub subject: WalkSubject,
    pub started: Hlc,
    pub started_by: String,
    pub state: WalkState,
    pub completed: Option<Hlc>,
    pub completed_by: Option<String>,
    /// In template order.
    pub answers: Vec<Answer>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WalkProgress {
    pub required_answered: u32,
    pub required_total: u32,
    pub answered: u32,
    pub total: u32,
    pub issues: u32,
}

/// An item marked as an issue, with what the officer said about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WalkIssue {
    pub section_id: String,
    pub section_title: String,
    pub item_id: String,
    pub label: String,
    pub answer: Answer,
}

impl Walk {
    pub fn answer(&self, item_id: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.item_id == item_id)
    }

    pub fn progress(&self) -> WalkProgress {
        let mut p = WalkProgress {
            required_answered: 0,
            required_total: 0,
            answered: 0,
            total: 0,
            issues: 0,
        };
        for (_, item) in self.template.items() {
            let answer = self.answer(&item.id);
            p.total += 1;
            if item.required {
                p.required_total += 1;
            }
            if let Some(a) = answer {
                p.answered += 1;
                if item.required {
                    p.required_answered += 1;
                }
                if a.issue {
                    p.issues += 1;
                }
            }
        }
        p
    }

    /// Ids of required items without an answer, in template order.
    pub fn missing_required(&self) -> Vec<String> {
        self.template
            .items()
            .filter(|(_, i)| i.required && self.answer(&i.id).is_none())
            .map(|(_, i)| i.id.clone())
            .collect()
    }

    /// Items marked as issues, in template order.
    pub fn issues(&self) -> Vec<WalkIssue> {
        self.template
            .items()
            .filter_map(|(s, i)| {
                let a = self.answer(&i.id).filter(|a| a.issue)?;
                Some(WalkIssue {
                    section_id: s.id.clone(),
                    section_title: s.title.clone(),
                    item_id: i.id.clone(),
                    label: i.label.clone(),
                    answer: a.clone(),
                })
            })
            .collect()
    }
}

/// Starts a walk from a stored or built-in template (`version: None` = latest).
/// Outbox kind `checklist.walk.start`, payload the walk with its template copy.
pub fn start_walk(
    db: &mut Database,
    template_id: &str,
    version: Option<u32>,
    subject: &WalkSubject,
    officer: &str,
) -> AdvanceResult<Walk> {
    let template = super::template::get_template(db, template_id, version)?;
    start_walk_with(db, &template, subject, officer)
}

/// Starts a walk from a template value (already validated by its type).
pub fn start_walk_with(
    db: &mut Database,
    template: &ChecklistTemplate,
    subject: &WalkSubject,
    officer: &str,
) -> AdvanceResult<Walk> {
    let officer = required_text(officer, "officer", NAME_MAX)?;
    let (kind, sid) = subject.parts();
    match subject {
        WalkSubject::Other { label } => {
            required_text(label, "subject.label", NAME_MAX)?;
        }
        _ => check_id(sid, "subject")?,
    }
    let fits = match template.kind {
        TemplateKind::Venue | TemplateKind::Hotel => kind == "venue",
        TemplateKind::Route => kind == "route",
        TemplateKind::Vehicle | TemplateKind::Other => true,
    };
    if !fits {
        return Err(AdvanceError::invalid(
            "subject",
            "this template is for another kind of subject",
        ));
    }
    let template_doc = template.to_json()?;
    write(db, |w| {
        let exists = match kind {
            "venue" => row_exists(w, "SELECT 1 FROM adv_venues WHERE id = ?1", sid)?,
            "route" => row_exists(w, "SELECT 1 FROM adv_routes WHERE id = ?1", sid)?,
            _ => true,
        };
        if !exists {
            return Err(AdvanceError::NotFound {
                what: if kind == "venue" {
                    "venue".into()
                } else {
                    "route".into()
                },
            });
        }
        let id = new_id();
        let started = w.stamp()?;
        w.tx().execute(
            "INSERT INTO adv_walks(id, template_doc, subject_kind, subject_id, started_hlc,
                                   started_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, template_doc, kind, sid, started.to_string(), officer],
        )?;
        let walk = Walk {
            id,
            template: template.clone(),
            subject: subject.clone(),
            started,
            started_by: officer.clone(),
            state: WalkState::InProgress,
            completed: None,
            completed_by: None,
            answers: vec![],
        };
        w.emit(
            "checklist.walk.start",
            &walk.id,
            &serde_json::to_value(&walk)?,
        )?;
        Ok(walk)
    })
}

fn row_exists(w: &Writer<'_>, sql: &str, id: &str) -> AdvanceResult<bool> {
    Ok(w.tx()
        .query_row(sql, [id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn get_walk(db: &Database, id: &str) -> AdvanceResult<Walk> {
    load_walk(db.conn(), id)
}

pub(crate) fn load_walk(conn: &rusqlite::Connection, id: &str) -> AdvanceResult<Walk> {
    let row = conn
        .query_row(
            "SELECT w.template_doc, w.subject_kind, w.subject_id, w.started_hlc, w.started_by,
                    w.completed_hlc, w.completed_by,
                    EXISTS(SELECT 1 FROM adv_signoffs s WHERE s.walk_id = w.id)
             FROM adv_walks w WHERE w.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            },
        )
        .optional()?;
    let (doc, kind, sid, started, started_by, completed, completed_by, signed) =
        row.ok_or(AdvanceError::NotFound {
            what: "walk".into(),
        })?;
    let template = ChecklistTemplate::from_json(&doc)?;
    let corrupt = || AdvanceError::Store(crate::error::StoreError::DatabaseCorrupt);
    let started: Hlc = started.parse().map_err(|_| corrupt())?;
    let completed: Option<Hlc> = match completed {
        None => None,
        Some(c) => Some(c.parse().map_err(|_| corrupt())?),
    };
    // A signed-off walk is what its sign-off sealed, on every device: answers given
    // elsewhere while it was being signed off (kept in `adv_answers` and in the inbox)
    // do not change it, nor does a completion sent from elsewhere.
    let sealed = if signed {
        let (_, s) = winning_signoff(conn, id)?.ok_or_else(corrupt)?;
        Some(sealed_walk(&s).ok_or_else(corrupt)?)
    } else {
        None
    };
    let (state, completed, completed_by, mut answers) = match sealed {
        Some(w) => (WalkState::SignedOff, w.completed, w.completed_by, w.answers),
        None => {
            let mut stmt =
                conn.prepare_cached("SELECT record FROM adv_answers WHERE walk_id = ?1")?;
            let mut answers: Vec<Answer> = Vec::new();
            for rec in stmt.query_map([id], |r| r.get::<_, String>(0))? {
                answers.push(serde_json::from_str(&rec?)?);
            }
            let state = if completed.is_some() {
                WalkState::Completed
            } else {
                WalkState::InProgress
            };
            (state, completed, completed_by, answers)
        }
    };
    let order: Vec<&str> = template.items().map(|(_, i)| i.id.as_str()).collect();
    answers.sort_by_key(|a| order.iter().position(|i| *i == a.item_id));
    Ok(Walk {
        id: id.to_string(),
        subject: WalkSubject::from_parts(&kind, sid)?,
        template,
        started,
        started_by,
        state,
        completed,
        completed_by,
        answers,
    })
}

/// Walks of one subject, or all walks, newest first.
pub fn list_walks(db: &Database, subject: Option<&WalkSubject>) -> AdvanceResult<Vec<Walk>> {
    let mut stmt = db.conn().prepare(
        "SELECT id FROM adv_walks WHERE (?1 IS NULL OR (subject_kind = ?1 AND subject_id = ?2))
         ORDER BY started_hlc DESC",
    )?;
    let (k, s) = match subject {
        Some(sub) => {
            let (k, s) = sub.parts();
            (Some(k), Some(s.to_string()))
        }
        None => (None, None),
    };
    let ids = stmt
        .query_map(params![k, s], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    ids.iter().map(|id| get_walk(db, id)).collect()
}

/// Checks a value against its item; returns it normalised.
pub(crate) fn check_value(item: &TemplateItem, value: &AnswerValue) -> AdvanceResult<AnswerValue> {
    let wrong = || AdvanceError::WrongAnswerKind {
        item: item.id.clone(),
        expected: item.kind.name().into(),
    };
    Ok(match (&item.kind, value) {
        (ItemKind::Check, AnswerValue::NotApplicable) => AnswerValue::Check {
            state: CheckState::NotApplicable,
        },
        (_, AnswerValue::NotApplicable) => AnswerValue::NotApplicable,
        (ItemKind::Check, AnswerValue::Check { state }) => AnswerValue::Check { state: *state },
        (ItemKind::Text, AnswerValue::Text { text }) => AnswerValue::Text {
            text: required_text(text, "value.text", NOTE_MAX)?,
        },
        (ItemKind::Number { min, max, .. }, AnswerValue::Number { value }) => {
            if !value.is_finite() {
                return Err(AdvanceError::invalid("value", "not a finite number"));
            }
            if min.is_some_and(|m| *value < m) {
                return Err(AdvanceError::invalid("value", "below this item's minimum"));
            }
            if max.is_some_and(|m| *value > m) {
                return Err(AdvanceError::invalid("value", "above this item's maximum"));
            }
            AnswerValue::Number { value: *value }
        }
        (ItemKind::Choice { options }, AnswerValue::Choice { option }) => {
            if !options.iter().any(|o| o == option.trim()) {
                return Err(AdvanceError::invalid(
                    "value",
                    "not one of this item's options",
                ));
            }
            AnswerValue::Choice {
                option: option.trim().to_string(),
            }
        }
        (ItemKind::Location, AnswerValue::Location { position }) => {
            position.validate("value.position")?;
            AnswerValue::Location {
                position: *position,
            }
        }
        (ItemKind::Photo, AnswerValue::Photo { attachments }) => {
            if attachments.is_empty() {
                return Err(AdvanceError::invalid(
                    "value.attachments",
                    "needs at least one photo",
                ));
            }
            for (i, a) in attachments.iter().enumerate() {
                check_id(a, &format!("value.attachments[{i}]"))?;
            }
            AnswerValue::Photo {
                attachments: attachments.clone(),
            }
        }
        (ItemKind::Contact, AnswerValue::Contact { contact }) => AnswerValue::Contact {
            contact: contact.validate("value.contact")?,
        },
        _ => return Err(wrong()),
    })
}

/// Checks the parts of an answer that do not depend on who sends it.
pub(crate) fn check_answer_parts(
    item: &TemplateItem,
    value: &AnswerValue,
    note: &str,
    issue_flag: bool,
    position: &Option<Position>,
    photos: &[String],
) -> AdvanceResult<(AnswerValue, String, bool)> {
    let value = check_value(item, value)?;
    let note = optional_text(note, "note", NOTE_MAX)?;
    let issue = issue_flag
        || matches!(
            value,
            AnswerValue::Check {
                state: CheckState::Issue
            }
        );
    if issue && note.is_empty() {
        return Err(AdvanceError::invalid(
            "note",
            "an issue needs a note saying what is wrong",
        ));
    }
    if let Some(p) = position {
        p.validate("position")?;
    }
    for (i, a) in photos.iter().enumerate() {
        check_id(a, &format!("photos[{i}]"))?;
    }
    Ok((value, note, issue))
}

/// Records (or replaces) this officer's answer to one item. Refused once the walk is
/// signed off. Outbox kind `checklist.answer`, payload the answer record.
pub fn answer_item(db: &mut Database, walk_id: &str, input: &AnswerInput) -> AdvanceResult<Answer> {
    let walk = get_walk(db, walk_id)?;
    if walk.state == WalkState::SignedOff {
        return Err(AdvanceError::WrongWalkState {
            state: walk.state.name().into(),
            action: "answering".into(),
        });
    }
    let item = walk
        .template
        .item(&input.item_id)
        .ok_or_else(|| AdvanceError::UnknownItem {
            item: input.item_id.clone(),
        })?;
    let officer = required_text(&input.officer, "officer", NAME_MAX)?;
    let (value, note, issue) = check_answer_parts(
        item,
        &input.value,
        &input.note,
        input.issue,
        &input.position,
        &input.photos,
    )?;
    write(db, |w| {
        let answer = Answer {
            walk_id: walk.id.clone(),
            item_id: item.id.clone(),
            value,
            note,
            issue,
            position: input.position,
            photos: input.photos.clone(),
            officer,
            answered_at_ms: input.answered_at_ms.unwrap_or_else(now_ms),
            device_id: w.device_id().to_string(),
            hlc: w.stamp()?,
        };
        store_answer(w.tx(), &answer)?;
        w.emit(
            "checklist.answer",
            &format!("{}/{}", answer.walk_id, answer.item_id),
            &serde_json::to_value(&answer)?,
        )?;
        Ok(answer)
    })
}

pub(crate) fn store_answer(conn: &rusqlite::Connection, a: &Answer) -> AdvanceResult<()> {
    conn.execute(
        "INSERT INTO adv_answers(walk_id, item_id, record, hlc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(walk_id, item_id) DO UPDATE SET record = excluded.record,
         hlc = excluded.hlc",
        params![
            a.walk_id,
            a.item_id,
            serde_json::to_string(a)?,
            a.hlc.to_string()
        ],
    )?;
    Ok(())
}

/// Marks the walk complete. Refused, naming the items, while a required item is
/// unanswered. Outbox kind `checklist.walk.complete`.
pub fn complete_walk(db: &mut Database, walk_id: &str, officer: &str) -> AdvanceResult<Walk> {
    let officer = required_text(officer, "officer", NAME_MAX)?;
    let walk = get_walk(db, walk_id)?;
    if walk.state != WalkState::InProgress {
        return Err(AdvanceError::WrongWalkState {
            state: walk.state.name().into(),
            action: "completing".into(),
        });
    }
    let missing = walk.missing_required();
    if !missing.is_empty() {
        return Err(AdvanceError::RequiredUnanswered { missing });
    }
    write(db, |w| {
        let hlc = w.stamp()?;
        w.tx().execute(
            "UPDATE adv_walks SET completed_hlc = ?2, completed_by = ?3 WHERE id = ?1",
            params![walk.id, hlc.to_string(), officer],
        )?;
        w.emit(
            "checklist.walk.complete",
            &walk.id,
            &serde_json::json!({ "walk_id": walk.id, "completed": hlc, "completed_by": officer }),
        )?;
        Ok(())
    })?;
    get_walk(db, walk_id)
}

/// A sealed walk: the canonical JSON of the walk, its SHA-256 and the device's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SignedSnapshot {
    pub format: String,
    pub walk_id: String,
    /// Canonical JSON (see `advance::canonical`) of the walk as signed.
    pub snapshot: String,
    /// Hex SHA-256 of `snapshot`'s UTF-8 bytes.
    pub sha256: String,
    /// Hex Ed25519 signature over `format || 0x00 || sha256 (32 raw bytes)`.
    pub signature: String,
    /// Hex Ed25519 public key of the signing device.
    pub public_key: String,
    pub device_id: String,
}

/// Seals a completed walk: builds the snapshot, hashes and signs it with the device key
/// and stores it (written once, never changed). Outbox kind `checklist.walk.signoff`.
pub fn sign_off_walk(
    db: &mut Database,
    walk_id: &str,
    officer: &str,
) -> AdvanceResult<SignedSnapshot> {
    let officer = required_text(officer, "officer", NAME_MAX)?;
    let walk = get_walk(db, walk_id)?;
    if walk.state != WalkState::Completed {
        return Err(AdvanceError::WrongWalkState {
            state: walk.state.name().into(),
            action: "sign-off".into(),
        });
    }
    write(db, |w| {
        let sealed = w.stamp()?;
        let body = serde_json::json!({
            "format": SNAPSHOT_FORMAT,
            "walk": walk,
            "signed_by": officer,
            "sealed": sealed,
            "device_id": w.device_id(),
        });
        let snapshot = canonical_json(&body);
        let digest = sha256(snapshot.as_bytes());
        let signature = w.device_key().sign(&signed_message(&digest));
        let signed = SignedSnapshot {
            format: SNAPSHOT_FORMAT.to_string(),
            walk_id: walk.id.clone(),
            snapshot,
            sha256: hex::encode(digest),
            signature: hex::encode(signature),
            public_key: hex::encode(w.device_key().public_key()),
            device_id: w.device_id().to_string(),
        };
        w.tx().execute(
            "INSERT INTO adv_signoffs(walk_id, snapshot, hlc) VALUES (?1, ?2, ?3)",
            params![walk.id, serde_json::to_string(&signed)?, sealed.to_string()],
        )?;
        w.emit(
            "checklist.walk.signoff",
            &walk.id,
            &serde_json::to_value(&signed)?,
        )?;
        Ok(signed)
    })
}

/// The walk's sign-off: of all those made (devices apart from each other may each sign
/// off), the one sealed first, by stamp. Every device settles on the same one.
pub fn get_signoff(db: &Database, walk_id: &str) -> AdvanceResult<SignedSnapshot> {
    winning_signoff(db.conn(), walk_id)?
        .map(|(_, s)| s)
        .ok_or(AdvanceError::NotFound {
            what: "sign-off".into(),
        })
}

/// Every sign-off of the walk, first sealed first; the first is the walk's
/// ([`get_signoff`]), the others were made elsewhere before their devices learnt of it.
pub fn list_signoffs(db: &Database, walk_id: &str) -> AdvanceResult<Vec<SignedSnapshot>> {
    Ok(signoffs(db.conn(), walk_id)?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

fn signoffs(
    conn: &rusqlite::Connection,
    walk_id: &str,
) -> AdvanceResult<Vec<(Hlc, SignedSnapshot)>> {
    let mut stmt =
        conn.prepare_cached("SELECT hlc, snapshot FROM adv_signoffs WHERE walk_id = ?1")?;
    let mut out = Vec::new();
    for row in stmt.query_map([walk_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })? {
        let (hlc, snapshot) = row?;
        let hlc: Hlc = hlc
            .parse()
            .map_err(|_| AdvanceError::Store(crate::error::StoreError::DatabaseCorrupt))?;
        out.push((hlc, serde_json::from_str(&snapshot)?));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

pub(crate) fn winning_signoff(
    conn: &rusqlite::Connection,
    walk_id: &str,
) -> AdvanceResult<Option<(Hlc, SignedSnapshot)>> {
    Ok(signoffs(conn, walk_id)?.into_iter().next())
}

/// What a signed snapshot sealed of the walk: its completion and its answers.
#[derive(Deserialize)]
pub(crate) struct SealedWalk {
    pub completed: Option<Hlc>,
    pub completed_by: Option<String>,
    pub answers: Vec<Answer>,
}

/// The walk a snapshot sealed, read from its canonical JSON.
pub(crate) fn sealed_walk(s: &SignedSnapshot) -> Option<SealedWalk> {
    let body: serde_json::Value = serde_json::from_str(&s.snapshot).ok()?;
    serde_json::from_value(body.get("walk")?.clone()).ok()
}

/// The stamp a snapshot was sealed under.
pub(crate) fn sealed_stamp(s: &SignedSnapshot) -> Option<Hlc> {
    let body: serde_json::Value = serde_json::from_str(&s.snapshot).ok()?;
    serde_json::from_value(body.get("sealed")?.clone()).ok()
}

fn signed_message(digest: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SNAPSHOT_FORMAT.len() + 33);
    m.extend_from_slice(SNAPSHOT_FORMAT.as_bytes());
    m.push(0);
    m.extend_from_slice(digest);
    m
}

/// Verifies a signed snapshot against the public key it carries: the hash matches the
/// snapshot bytes, the snapshot is in canonical form, and the signature is good. Whether
/// that key belongs to the officer's enrolled device is for the caller (or the server) to
/// check with [`verify_snapshot_with_key`].
pub fn verify_snapshot(s: &SignedSnapshot) -> AdvanceResult<()> {
    let key = hex::decode(&s.public_key)
        .map_err(|_| AdvanceError::SnapshotInvalid("malformed key".into()))?;
    verify_snapshot_with_key(s, &key)
}

pub fn verify_snapshot_with_key(s: &SignedSnapshot, public_key: &[u8]) -> AdvanceResult<()> {
    if s.format != SNAPSHOT_FORMAT {
        return Err(AdvanceError::SnapshotInvalid("unknown format".into()));
    }
    let digest = sha256(s.snapshot.as_bytes());
    if hex::encode(digest) != s.sha256.to_ascii_lowercase() {
        return Err(AdvanceError::SnapshotInvalid(
            "the snapshot does not match its hash".into(),
        ));
    }
    let parsed: serde_json::Value = serde_json::from_str(&s.snapshot)
        .map_err(|_| AdvanceError::SnapshotInvalid("the snapshot is not JSON".into()))?;
    if canonical_json(&parsed) != s.snapshot {
        return Err(AdvanceError::SnapshotInvalid(
            "the snapshot is not in canonical form".into(),
        ));
    }
    if parsed
        .get("walk")
        .and_then(|w| w.get("id"))
        .and_then(|v| v.as_str())
        != Some(s.walk_id.as_str())
    {
        return Err(AdvanceError::SnapshotInvalid(
            "the snapshot is of another walk".into(),
        ));
    }
    let sig = hex::decode(&s.signature)
        .map_err(|_| AdvanceError::SnapshotInvalid("malformed signature".into()))?;
    if !signing::verify(public_key, &signed_message(&digest), &sig) {
        return Err(AdvanceError::SnapshotInvalid("bad signature".into()));
    }
    Ok(())
}

/// What the incident module needs to raise an incident from a checklist item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentSeed {
    pub walk_id: String,
    pub template_id: String,
    pub section_title: String,
    pub item_id: String,
    pub item_label: String,
    pub note: String,
    pub is_issue: bool,
    pub position: Option<Position>,
    pub photos: Vec<String>,
    pub officer: String,
    pub observed_at_ms: u64,
    pub venue_id: Option<String>,
    pub route_id: Option<String>,
}

/// Hook for "raise an incident from this item": gathers the item's label, the answer's
/// note, position, photos and time, and the walk / venue / route ids. Writes nothing;
/// the incident module creates the incident from this (to be wired when it lands).
pub fn incident_seed_from_item(
    db: &Database,
    walk_id: &str,
    item_id: &str,
) -> AdvanceResult<IncidentSeed> {
    let walk = get_walk(db, walk_id)?;
    let (section, item) = walk
        .template
        .items()
        .find(|(_, i)| i.id == item_id)
        .ok_or_else(|| AdvanceError::UnknownItem {
            item: item_id.to_string(),
        })?;
    let answer = walk.answer(item_id).ok_or(AdvanceError::NotFound {
        what: "answer for this item".into(),
    })?;
    let (venue_id, route_id) = match &walk.subject {
        WalkSubject::Venue { venue_id } => (Some(venue_id.clone()), None),
        WalkSubject::Route { route_id } => (None, Some(route_id.clone())),
        WalkSubject::Other { .. } => (None, None),
    };
    let position = answer.position.or(match &answer.value {
        AnswerValue::Location { position } => Some(*position),
        _ => None,
    });
    let mut photos = answer.photos.clone();
    if let AnswerValue::Photo { attachments } = &answer.value {
        photos.extend(attachments.iter().cloned());
    }
    Ok(IncidentSeed {
        walk_id: walk.id.clone(),
        template_id: walk.template.id.clone(),
        section_title: section.title.clone(),
        item_id: item.id.clone(),
        item_label: item.label.clone(),
        note: answer.note.clone(),
        is_issue: answer.issue,
        position,
        photos,
        officer: answer.officer.clone(),
        observed_at_ms: answer.answered_at_ms,
        venue_id,
        route_id,
    })
}
