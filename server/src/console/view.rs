//! The team's data as the console shows it, read from the change log the devices pushed
//! (`Storage::pull`, the same query the devices use, so it is the same on every back end):
//! incidents with their whole amendment history, their attachments, and the advance
//! records (venues, safe havens, routes, checklist walks). Read only: nothing here writes.
//! Every entry in the log was verified on ingest (signature, chain); the view keeps what
//! each entry says and who sent it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::Value;
use vigil_core::incident::canonical::EntryBody;
use vigil_core::incident::chain::OUTBOX_KIND_ENTRY;
use vigil_core::incident::model::Report;
use vigil_core::incident::OUTBOX_KIND_ATTACHMENT;
use vigil_core::sync::protocol::{BlobRef, Change};

use super::urlencode;
use crate::error::ServerError;
use crate::Storage;

/// Changes read per page while building the view.
const PAGE: u32 = 500;

/// One signed entry of an incident (its report or an amendment).
#[derive(Clone, Debug)]
pub struct EntryView {
    pub entry_id: String,
    pub kind: &'static str,
    pub recorded_at: DateTime<Utc>,
    pub author: Option<String>,
    pub device_id: String,
    pub seq: u64,
    pub hash: String,
    /// The amendment's reason and changed fields (JSON), for amendments.
    pub reason: Option<String>,
    pub patch: Option<String>,
    /// Where the server stored it (ingest order).
    pub server_seq: u64,
    /// The `incident.entry` payload exactly as the device signed and sent it.
    pub payload: Value,
}

#[derive(Clone, Debug)]
pub struct IncidentView {
    pub id: String,
    /// The officer the reporting device was enrolled for.
    pub enrolled_officer: Option<String>,
    /// The report with every amendment applied, in the order they were recorded.
    pub report: Report,
    pub device_id: String,
    pub entries: Vec<EntryView>,
    pub server_seq: u64,
}

impl IncidentView {
    pub fn officer(&self) -> String {
        self.report
            .officer
            .clone()
            .or_else(|| self.entries.first().and_then(|e| e.author.clone()))
            .or_else(|| self.enrolled_officer.clone())
            .unwrap_or_else(|| "-".into())
    }

    /// The words the console's search looks in.
    fn text(&self) -> String {
        let r = &self.report;
        let mut t = vec![
            r.narrative.clone(),
            r.category.as_str().replace('_', " "),
            self.officer(),
            r.police_reference.clone().unwrap_or_default(),
        ];
        t.extend(r.tags.iter().cloned());
        t.extend(r.actions_taken.iter().cloned());
        t.extend(r.witnesses.iter().cloned());
        for v in &r.vehicles {
            t.extend(v.details().map(str::to_string));
        }
        for p in &r.people {
            t.push(serde_json::to_string(p).unwrap_or_default());
        }
        for e in &self.entries {
            t.extend(e.reason.iter().cloned());
        }
        t.join("\n").to_lowercase()
    }
}

/// An attachment as its `incident.attachment` change announced it: the key to open the
/// blob (sent by the device on the wire for its team) and the blob's name.
#[derive(Clone, Debug)]
pub struct AttachmentBlob {
    pub file_key: String,
    pub blob: BlobRef,
    pub mime: String,
}

/// A venue, safe haven or route: the latest document a device sent for it.
#[derive(Clone, Debug)]
pub struct Record {
    pub id: String,
    pub doc: Value,
    pub server_seq: u64,
}

impl Record {
    pub fn name(&self) -> String {
        self.doc
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&self.id)
            .to_string()
    }
}

#[derive(Clone, Debug)]
pub struct WalkView {
    pub id: String,
    pub title: String,
    /// `venue`, `route` or `other`, and the subject's id.
    pub subject_kind: String,
    pub subject_id: String,
    pub started_by: String,
    pub required: u32,
    pub required_answered: u32,
    pub items: u32,
    pub answered: u32,
    /// `(item label, note)` of the answers flagged as an issue.
    pub issues: Vec<(String, String)>,
    pub completed_by: Option<String>,
    /// Sign-offs: `(device id, SHA-256 of the sealed snapshot)`.
    pub signoffs: Vec<(String, String)>,
}

#[derive(Default)]
pub struct TeamView {
    /// Newest first (by when it occurred, then by arrival).
    pub incidents: Vec<IncidentView>,
    pub attachments: HashMap<String, AttachmentBlob>,
    pub venues: Vec<Record>,
    pub havens: Vec<Record>,
    pub routes: Vec<Record>,
    pub walks: Vec<WalkView>,
    /// The highest change number read (for the live stream's cursor).
    pub cursor: u64,
}

#[derive(Default)]
struct WalkBuild {
    doc: Option<Value>,
    answers: BTreeMap<String, Value>,
    completed_by: Option<String>,
    signoffs: Vec<(String, String)>,
}

impl TeamView {
    /// Reads the team's whole change log.
    pub fn load(storage: &dyn Storage, team_id: &str) -> Result<TeamView, ServerError> {
        let mut b = Builder::default();
        let mut cursor = 0u64;
        loop {
            let page = storage.pull(team_id, cursor, PAGE)?;
            for c in &page.changes {
                cursor = cursor.max(c.server_seq);
                b.add(c);
            }
            if !page.has_more || page.changes.is_empty() {
                break;
            }
        }
        let officers = storage
            .team_devices(team_id)?
            .into_iter()
            .map(|d| (d.id, d.officer))
            .collect();
        Ok(b.finish(cursor, &officers))
    }

    pub fn incident(&self, id: &str) -> Option<&IncidentView> {
        self.incidents.iter().find(|i| i.id == id)
    }

    pub fn filtered(&self, f: &Filter) -> Vec<&IncidentView> {
        let q = f.q.trim().to_lowercase();
        self.incidents
            .iter()
            .filter(|i| {
                let r = &i.report;
                let occurred = r.occurred.utc.date_naive().to_string();
                (f.category.is_empty() || r.category.as_str() == f.category)
                    && (f.severity.is_empty()
                        || r.severity.map(|s| s.as_str()) == Some(f.severity.as_str()))
                    && (f.officer.is_empty() || i.officer() == f.officer)
                    && (f.venue.is_empty() || r.venue_id.as_deref() == Some(f.venue.as_str()))
                    && (f.route.is_empty() || r.route_id.as_deref() == Some(f.route.as_str()))
                    && (f.from.is_empty() || occurred.as_str() >= f.from.as_str())
                    && (f.to.is_empty() || occurred.as_str() <= f.to.as_str())
                    && (q.is_empty() || q.split_whitespace().all(|w| i.text().contains(w)))
            })
            .collect()
    }

    /// The officers named by the team's incidents, sorted.
    pub fn officers(&self) -> Vec<String> {
        let mut o: Vec<String> = self.incidents.iter().map(|i| i.officer()).collect();
        o.sort();
        o.dedup();
        o
    }
}

/// The last view built of each team, reused while the team's change log has nothing newer
/// (one cheap query says so): an open console costs a full read only after a push.
#[derive(Default)]
pub struct ViewCache {
    teams: Mutex<HashMap<String, Arc<TeamView>>>,
}

impl ViewCache {
    pub fn get(&self, storage: &dyn Storage, team_id: &str) -> Result<Arc<TeamView>, ServerError> {
        let cached = self.lock().get(team_id).cloned();
        if let Some(view) = cached {
            if storage.pull(team_id, view.cursor, 1)?.changes.is_empty() {
                return Ok(view);
            }
        }
        let fresh = Arc::new(TeamView::load(storage, team_id)?);
        self.lock().insert(team_id.to_string(), fresh.clone());
        Ok(fresh)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<TeamView>>> {
        self.teams.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The Incidents page's filters (query string; empty = any).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Filter {
    pub category: String,
    pub severity: String,
    pub officer: String,
    /// `YYYY-MM-DD`, inclusive, on the date (UTC) the incident occurred.
    pub from: String,
    pub to: String,
    pub venue: String,
    pub route: String,
    /// Words that must all appear (narrative, tags, vehicles, people, officer, reasons).
    pub q: String,
}

impl Filter {
    /// The filters that are set, by name, but the word search.
    fn chosen(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("category", &self.category),
            ("severity", &self.severity),
            ("officer", &self.officer),
            ("from", &self.from),
            ("to", &self.to),
            ("venue", &self.venue),
            ("route", &self.route),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
    }

    /// The filter as a query string (for links and the live refresh).
    pub fn query(&self) -> String {
        let q = Some(("q", self.q.as_str())).filter(|(_, v)| !v.is_empty());
        self.chosen()
            .chain(q)
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The selection in words for the audit log: the filters, and that words were searched
    /// for (never the words: they may name people).
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.chosen().map(|(k, v)| format!("{k} {v}")).collect();
        if !self.q.trim().is_empty() {
            parts.push("a word search".into());
        }
        parts.join(", ")
    }
}

/// An entry as decoded, beside its view.
type Decoded = (EntryBody, EntryView);

#[derive(Default)]
struct Builder {
    /// incident id -> (report entry, amendments), in arrival order.
    reports: HashMap<String, (Option<Decoded>, Vec<Decoded>)>,
    attachments: HashMap<String, AttachmentBlob>,
    venues: BTreeMap<String, Record>,
    havens: BTreeMap<String, Record>,
    routes: BTreeMap<String, Record>,
    walks: BTreeMap<String, WalkBuild>,
}

#[derive(serde::Deserialize)]
struct EntryPayload {
    seq: u64,
    hash: String,
    body: String,
}

#[derive(serde::Deserialize)]
struct Announcement {
    mime: String,
    file_key: Option<String>,
    blob: Option<BlobRef>,
}

fn walk_id_of(entity_id: &str) -> &str {
    entity_id.split('/').next().unwrap_or(entity_id)
}

impl Builder {
    fn add(&mut self, c: &Change) {
        match c.kind.as_str() {
            OUTBOX_KIND_ENTRY => self.add_entry(c),
            OUTBOX_KIND_ATTACHMENT => {
                if let Ok(a) = serde_json::from_value::<Announcement>(c.payload.clone()) {
                    if let (Some(file_key), Some(blob)) = (a.file_key, a.blob) {
                        self.attachments.insert(
                            c.entity_id.clone(),
                            AttachmentBlob {
                                file_key,
                                blob,
                                mime: a.mime,
                            },
                        );
                    }
                }
            }
            "venue.upsert" | "haven.upsert" | "route.upsert" => {
                let map = match c.kind.as_str() {
                    "venue.upsert" => &mut self.venues,
                    "haven.upsert" => &mut self.havens,
                    _ => &mut self.routes,
                };
                let newer = map
                    .get(&c.entity_id)
                    .is_none_or(|old| stamp(&old.doc, "updated") <= stamp(&c.payload, "updated"));
                if newer {
                    map.insert(
                        c.entity_id.clone(),
                        Record {
                            id: c.entity_id.clone(),
                            doc: c.payload.clone(),
                            server_seq: c.server_seq,
                        },
                    );
                }
            }
            "checklist.walk.start" => {
                self.walks.entry(c.entity_id.clone()).or_default().doc = Some(c.payload.clone());
            }
            "checklist.answer" => {
                let item = c.payload.get("item_id").and_then(Value::as_str);
                if let Some(item) = item {
                    let w = self
                        .walks
                        .entry(walk_id_of(&c.entity_id).to_string())
                        .or_default();
                    let newer = w
                        .answers
                        .get(item)
                        .is_none_or(|old| stamp(old, "hlc") <= stamp(&c.payload, "hlc"));
                    if newer {
                        w.answers.insert(item.to_string(), c.payload.clone());
                    }
                }
            }
            "checklist.walk.complete" => {
                let by = c.payload.get("completed_by").and_then(Value::as_str);
                self.walks
                    .entry(c.entity_id.clone())
                    .or_default()
                    .completed_by = by.map(str::to_string);
            }
            "checklist.walk.signoff" => {
                let device = c.payload.get("device_id").and_then(Value::as_str);
                let sha = c.payload.get("sha256").and_then(Value::as_str);
                if let (Some(d), Some(s)) = (device, sha) {
                    self.walks
                        .entry(c.entity_id.clone())
                        .or_default()
                        .signoffs
                        .push((d.to_string(), s.to_string()));
                }
            }
            _ => {}
        }
    }

    fn add_entry(&mut self, c: &Change) {
        let Ok(p) = serde_json::from_value::<EntryPayload>(c.payload.clone()) else {
            return;
        };
        let Some(body) = EntryBody::decode(p.body.as_bytes()) else {
            return;
        };
        let view = EntryView {
            entry_id: body.entry_id.clone(),
            kind: body.kind.as_str(),
            recorded_at: body.recorded_at,
            author: body.author.clone(),
            device_id: c.device_id.clone(),
            seq: p.seq,
            hash: p.hash,
            reason: body.amendment.as_ref().map(|a| a.reason.clone()),
            patch: body
                .amendment
                .as_ref()
                .and_then(|a| serde_json::to_value(&a.patch).ok())
                .map(|p| describe_patch(&p)),
            server_seq: c.server_seq,
            payload: c.payload.clone(),
        };
        let slot = self.reports.entry(body.incident_id.clone()).or_default();
        if body.report.is_some() {
            slot.0 = Some((body, view));
        } else {
            slot.1.push((body, view));
        }
    }

    fn finish(self, cursor: u64, officers: &HashMap<String, String>) -> TeamView {
        let mut incidents: Vec<IncidentView> = self
            .reports
            .into_iter()
            .filter_map(|(id, (report, mut amendments))| {
                let (body, first) = report?;
                let mut current = body.report?;
                amendments.sort_by(|a, b| {
                    (a.0.recorded_at, a.1.server_seq).cmp(&(b.0.recorded_at, b.1.server_seq))
                });
                let author = |mut v: EntryView| {
                    if v.author.is_none() {
                        v.author = officers.get(&v.device_id).cloned();
                    }
                    v
                };
                let mut entries = vec![author(first.clone())];
                for (b, v) in amendments {
                    let v = author(v);
                    if let Some(a) = &b.amendment {
                        current = a.patch.apply(&current);
                    }
                    entries.push(v);
                }
                Some(IncidentView {
                    id,
                    enrolled_officer: officers.get(&first.device_id).cloned(),
                    report: current,
                    device_id: first.device_id.clone(),
                    entries,
                    server_seq: first.server_seq,
                })
            })
            .collect();
        incidents.sort_by(|a, b| {
            (b.report.occurred.utc, b.server_seq).cmp(&(a.report.occurred.utc, a.server_seq))
        });
        let walks = self
            .walks
            .into_iter()
            .filter_map(|(id, w)| walk_view(id, w))
            .collect();
        TeamView {
            incidents,
            attachments: self.attachments,
            venues: self.venues.into_values().collect(),
            havens: self.havens.into_values().collect(),
            routes: self.routes.into_values().collect(),
            walks,
            cursor,
        }
    }
}

/// An amendment's changed fields in words: `severity: high; tags: follow, repeat;
/// attachments: 2 files`.
fn describe_patch(patch: &Value) -> String {
    let Some(fields) = patch.as_object() else {
        return String::new();
    };
    fields
        .iter()
        .map(|(k, v)| {
            let value = match (k.as_str(), v) {
                ("attachments", Value::Array(a)) => format!("{} file(s)", a.len()),
                (_, Value::Null) => "cleared".to_string(),
                (_, Value::String(s)) => s.clone(),
                (_, Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                (_, other) => other.to_string(),
            };
            format!("{}: {value}", k.replace('_', " "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn stamp<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("")
}

fn walk_view(id: String, w: WalkBuild) -> Option<WalkView> {
    let doc = w.doc?;
    let template = doc.get("template")?;
    let subject = doc.get("subject")?;
    let subject_kind = stamp(subject, "type").to_string();
    let subject_id = subject
        .get("venue_id")
        .or_else(|| subject.get("route_id"))
        .or_else(|| subject.get("label"))
        .or_else(|| subject.get("id"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut labels = HashMap::new();
    let (mut items, mut required, mut required_answered) = (0u32, 0u32, 0u32);
    let sections = template.get("sections").and_then(Value::as_array);
    for item in sections
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("items").and_then(Value::as_array))
        .flatten()
    {
        let item_id = stamp(item, "id");
        labels.insert(item_id.to_string(), stamp(item, "label").to_string());
        items += 1;
        if item.get("required").and_then(Value::as_bool) == Some(true) {
            required += 1;
            if w.answers.contains_key(item_id) {
                required_answered += 1;
            }
        }
    }
    let issues = w
        .answers
        .iter()
        .filter(|(_, a)| a.get("issue").and_then(Value::as_bool) == Some(true))
        .map(|(item, a)| {
            (
                labels.get(item).cloned().unwrap_or_else(|| item.clone()),
                stamp(a, "note").to_string(),
            )
        })
        .collect();
    Some(WalkView {
        id,
        title: stamp(template, "title").to_string(),
        subject_kind,
        subject_id,
        started_by: stamp(&doc, "started_by").to_string(),
        required,
        required_answered,
        items,
        answered: w.answers.len() as u32,
        issues,
        completed_by: w.completed_by,
        signoffs: w.signoffs,
    })
}
