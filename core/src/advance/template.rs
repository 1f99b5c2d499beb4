//! Checklist templates: the versioned JSON format (see `docs/CHECKLIST_TEMPLATES.md`),
//! its validation (errors name the field, e.g. `sections[1].items[3].kind`), the
//! built-in templates shipped inside the library, and custom templates imported by a team.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{write, AdvanceError, AdvanceResult};
use crate::store::Database;

/// The `format` string of version 1 of the template format.
pub const TEMPLATE_FORMAT: &str = "vigil.checklist-template/1";
/// Ids with this prefix belong to the built-in templates.
pub const BUILTIN_PREFIX: &str = "vigil.";

/// The largest template document read, bytes (the built-ins are under 20 KiB).
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Sections in a template.
pub const MAX_SECTIONS: usize = 50;
/// Items in a template, all sections together.
pub const MAX_ITEMS: usize = 500;
/// Options of one choice item.
pub const MAX_OPTIONS: usize = 50;

const BUILTIN_SOURCES: &[(&str, &str)] = &[
    (
        "venue_advance.json",
        include_str!("templates/venue_advance.json"),
    ),
    (
        "route_recon.json",
        include_str!("templates/route_recon.json"),
    ),
    ("hotel_room.json", include_str!("templates/hotel_room.json")),
    (
        "vehicle_check.json",
        include_str!("templates/vehicle_check.json"),
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    Venue,
    Route,
    Hotel,
    Vehicle,
    Other,
}

impl TemplateKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "venue" => TemplateKind::Venue,
            "route" => TemplateKind::Route,
            "hotel" => TemplateKind::Hotel,
            "vehicle" => TemplateKind::Vehicle,
            "other" => TemplateKind::Other,
            _ => return None,
        })
    }
}

/// What an item asks for, and so what answer it takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemKind {
    /// ok / issue / not applicable.
    Check,
    Text,
    Number {
        #[serde(skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    Choice {
        options: Vec<String>,
    },
    /// A position pin.
    Location,
    /// One or more photos (attachment ids).
    Photo,
    Contact,
}

impl ItemKind {
    pub fn name(&self) -> &'static str {
        match self {
            ItemKind::Check => "check",
            ItemKind::Text => "text",
            ItemKind::Number { .. } => "number",
            ItemKind::Choice { .. } => "choice",
            ItemKind::Location => "location",
            ItemKind::Photo => "photo",
            ItemKind::Contact => "contact",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TemplateItem {
    pub id: String,
    pub label: String,
    #[serde(flatten)]
    pub kind: ItemKind,
    pub required: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub guidance: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub guidance: String,
    pub items: Vec<TemplateItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChecklistTemplate {
    pub format: String,
    pub id: String,
    pub version: u32,
    pub title: String,
    pub kind: TemplateKind,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub sections: Vec<Section>,
}

impl ChecklistTemplate {
    /// Parses and validates a template document: at most [`MAX_TEMPLATE_BYTES`], no key
    /// twice in an object, within [`MAX_SECTIONS`], [`MAX_ITEMS`], [`MAX_OPTIONS`] and the
    /// text lengths (title 200 characters, label 300, guidance and description 5,000).
    pub fn from_json(text: &str) -> AdvanceResult<ChecklistTemplate> {
        if text.len() > MAX_TEMPLATE_BYTES {
            return Err(AdvanceError::TooLarge {
                what: "template bytes".into(),
                limit: MAX_TEMPLATE_BYTES as u64,
            });
        }
        let v = strict_json::parse(text).map_err(|e| {
            let reason = match e.classify() {
                // The only data error of the strict reader: a key given twice.
                serde_json::error::Category::Data => e.to_string(),
                _ => format!("not valid JSON (line {}, column {})", e.line(), e.column()),
            };
            AdvanceError::template("(document)", reason)
        })?;
        parse_template(&v)
    }

    pub fn to_json(&self) -> AdvanceResult<String> {
        Ok(serde_json::to_string(self)?)
    }

    pub fn items(&self) -> impl Iterator<Item = (&Section, &TemplateItem)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }

    pub fn item(&self, id: &str) -> Option<&TemplateItem> {
        self.items().map(|(_, i)| i).find(|i| i.id == id)
    }

    pub fn is_builtin(&self) -> bool {
        self.id.starts_with(BUILTIN_PREFIX)
    }
}

/// The built-in templates, validated (a broken one is a build defect, caught by tests;
/// it is skipped here rather than panicking).
pub fn builtin_templates() -> Vec<ChecklistTemplate> {
    BUILTIN_SOURCES
        .iter()
        .filter_map(|(_, src)| ChecklistTemplate::from_json(src).ok())
        .collect()
}

/// The raw built-in template sources, by file name (for tests and documentation).
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    BUILTIN_SOURCES
}

/// Validates and stores a custom template. The same id and version may be imported again
/// only with identical content. Outbox kind `checklist.template.import`.
pub fn import_template(db: &mut Database, json: &str) -> AdvanceResult<ChecklistTemplate> {
    let t = ChecklistTemplate::from_json(json)?;
    if t.is_builtin() {
        return Err(AdvanceError::template(
            "id",
            format!("ids starting with \"{BUILTIN_PREFIX}\" are reserved for built-in templates"),
        ));
    }
    let doc = t.to_json()?;
    write(db, |w| {
        let existing: Option<String> = w
            .tx()
            .query_row(
                "SELECT doc FROM adv_templates WHERE id = ?1 AND version = ?2",
                params![t.id, t.version],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(old) if old == doc => return Ok(t.clone()),
            Some(_) => {
                return Err(AdvanceError::Template {
                    path: "version".into(),
                    reason: "this id and version already exist with different content; \
                             raise the version"
                        .into(),
                })
            }
            None => {}
        }
        let hlc = w.stamp()?;
        w.tx().execute(
            "INSERT INTO adv_templates(id, version, doc, hlc) VALUES (?1, ?2, ?3, ?4)",
            params![t.id, t.version, doc, hlc.to_string()],
        )?;
        w.emit(
            "checklist.template.import",
            &format!("{}@{}", t.id, t.version),
            &serde_json::to_value(&t)?,
        )?;
        Ok(t.clone())
    })
}

/// A template by id: a given version, or the latest. Built-ins first, then custom ones.
pub fn get_template(
    db: &Database,
    id: &str,
    version: Option<u32>,
) -> AdvanceResult<ChecklistTemplate> {
    if id.starts_with(BUILTIN_PREFIX) {
        return builtin_templates()
            .into_iter()
            .find(|t| t.id == id && version.is_none_or(|v| v == t.version))
            .ok_or(AdvanceError::NotFound {
                what: "template".into(),
            });
    }
    let doc: Option<String> = db
        .conn()
        .query_row(
            "SELECT doc FROM adv_templates WHERE id = ?1 AND (?2 IS NULL OR version = ?2)
             ORDER BY version DESC LIMIT 1",
            params![id, version],
            |r| r.get(0),
        )
        .optional()?;
    let doc = doc.ok_or(AdvanceError::NotFound {
        what: "template".into(),
    })?;
    ChecklistTemplate::from_json(&doc)
}

/// Every template an officer can start a walk from: built-ins, then the latest version of
/// each custom template.
pub fn list_templates(db: &Database) -> AdvanceResult<Vec<ChecklistTemplate>> {
    let mut out = builtin_templates();
    let mut stmt = db.conn().prepare(
        "SELECT doc FROM adv_templates t WHERE version =
           (SELECT max(version) FROM adv_templates u WHERE u.id = t.id) ORDER BY id",
    )?;
    let docs = stmt.query_map([], |r| r.get::<_, String>(0))?;
    for d in docs {
        out.push(ChecklistTemplate::from_json(&d?)?);
    }
    Ok(out)
}

/// JSON read as `serde_json` reads it, except that an object with a key given twice is
/// refused (`serde_json::Value` keeps the last, so a reviewer of the file and the store
/// could read different templates). Nesting stays within `serde_json`'s 128 levels.
mod strict_json {
    use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Number, Value};

    pub(super) fn parse(text: &str) -> serde_json::Result<Value> {
        serde_json::from_str::<Strict>(text).map(|s| s.0)
    }

    struct Strict(Value);

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StrictVisitor).map(Strict)
        }
    }

    struct StrictVisitor;

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut out = Vec::new();
            while let Some(Strict(v)) = seq.next_element()? {
                out.push(v);
            }
            Ok(Value::Array(out))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    let shown: String = key.chars().take(40).collect();
                    return Err(A::Error::custom(format!("duplicate key \"{shown}\"")));
                }
                let Strict(v) = map.next_value()?;
                out.insert(key, v);
            }
            Ok(Value::Object(out))
        }
    }
}

// ---- validation, naming the path of every problem ----

fn parse_template(v: &Value) -> AdvanceResult<ChecklistTemplate> {
    let m = object(v, "(document)")?;
    known(
        m,
        "",
        &[
            "format",
            "id",
            "version",
            "title",
            "kind",
            "description",
            "sections",
        ],
    )?;
    let format = req_str(m, "", "format")?;
    if format != TEMPLATE_FORMAT {
        return Err(AdvanceError::template(
            "format",
            format!("unsupported format \"{format}\" (expected \"{TEMPLATE_FORMAT}\")"),
        ));
    }
    let id = req_str(m, "", "id")?;
    check_template_id(&id, "id")?;
    let version = match m.get("version") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|v| (1..=u32::MAX as u64).contains(v))
            .map(|v| v as u32)
            .ok_or_else(|| AdvanceError::template("version", "must be a positive integer"))?,
        Some(_) => {
            return Err(AdvanceError::template(
                "version",
                "must be a positive integer",
            ))
        }
        None => return Err(AdvanceError::template("version", "missing")),
    };
    let title = req_text(m, "", "title", 200)?;
    let kind_s = req_str(m, "", "kind")?;
    let kind = TemplateKind::parse(&kind_s).ok_or_else(|| {
        AdvanceError::template(
            "kind",
            format!("unknown template kind \"{kind_s}\" (venue, route, hotel, vehicle or other)"),
        )
    })?;
    let description = opt_text(m, "", "description", 5_000)?;
    let sections_v = req_array(m, "", "sections")?;
    if sections_v.is_empty() {
        return Err(AdvanceError::template(
            "sections",
            "needs at least one section",
        ));
    }
    if sections_v.len() > MAX_SECTIONS {
        return Err(AdvanceError::TooLarge {
            what: "sections in a template".into(),
            limit: MAX_SECTIONS as u64,
        });
    }
    let total_items: usize = sections_v
        .iter()
        .filter_map(|s| s.get("items").and_then(Value::as_array).map(Vec::len))
        .sum();
    if total_items > MAX_ITEMS {
        return Err(AdvanceError::TooLarge {
            what: "items in a template".into(),
            limit: MAX_ITEMS as u64,
        });
    }
    let mut item_ids: HashMap<String, String> = HashMap::new();
    let mut section_ids: HashMap<String, String> = HashMap::new();
    let mut sections = Vec::with_capacity(sections_v.len());
    for (si, sv) in sections_v.iter().enumerate() {
        let sp = format!("sections[{si}]");
        let sm = object(sv, &sp)?;
        known(sm, &sp, &["id", "title", "guidance", "items"])?;
        let sid = req_str(sm, &sp, "id")?;
        check_item_id(&sid, &format!("{sp}.id"))?;
        if let Some(first) = section_ids.insert(sid.clone(), sp.clone()) {
            return Err(AdvanceError::template(
                format!("{sp}.id"),
                format!("duplicate section id \"{sid}\" (first used at {first})"),
            ));
        }
        let items_v = req_array(sm, &sp, "items")?;
        if items_v.is_empty() {
            return Err(AdvanceError::template(
                format!("{sp}.items"),
                "needs at least one item",
            ));
        }
        let mut items = Vec::with_capacity(items_v.len());
        for (ii, iv) in items_v.iter().enumerate() {
            let ip = format!("{sp}.items[{ii}]");
            let item = parse_item(iv, &ip)?;
            if let Some(first) = item_ids.insert(item.id.clone(), ip.clone()) {
                return Err(AdvanceError::template(
                    format!("{ip}.id"),
                    format!("duplicate item id \"{}\" (first used at {first})", item.id),
                ));
            }
            items.push(item);
        }
        sections.push(Section {
            id: sid,
            title: req_text(sm, &sp, "title", 200)?,
            guidance: opt_text(sm, &sp, "guidance", 5_000)?,
            items,
        });
    }
    Ok(ChecklistTemplate {
        format,
        id,
        version,
        title,
        kind,
        description,
        sections,
    })
}

fn parse_item(v: &Value, p: &str) -> AdvanceResult<TemplateItem> {
    let m = object(v, p)?;
    let kind_s = req_str(m, p, "kind")?;
    let base = ["id", "label", "kind", "required", "guidance"];
    let kind = match kind_s.as_str() {
        "check" => ItemKind::Check,
        "text" => ItemKind::Text,
        "location" => ItemKind::Location,
        "photo" => ItemKind::Photo,
        "contact" => ItemKind::Contact,
        "number" => {
            let unit = match m.get("unit") {
                None => None,
                Some(_) => Some(req_text(m, p, "unit", 20)?),
            };
            let min = opt_number(m, p, "min")?;
            let max = opt_number(m, p, "max")?;
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    return Err(AdvanceError::template(
                        format!("{p}.min"),
                        "greater than max",
                    ));
                }
            }
            ItemKind::Number { unit, min, max }
        }
        "choice" => {
            let opts = req_array(m, p, "options")?;
            if opts.len() < 2 {
                return Err(AdvanceError::template(
                    format!("{p}.options"),
                    "a choice needs at least two options",
                ));
            }
            if opts.len() > MAX_OPTIONS {
                return Err(AdvanceError::TooLarge {
                    what: "options of a choice item".into(),
                    limit: MAX_OPTIONS as u64,
                });
            }
            let mut options: Vec<String> = Vec::with_capacity(opts.len());
            for (oi, o) in opts.iter().enumerate() {
                let op = format!("{p}.options[{oi}]");
                let s = o
                    .as_str()
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && s.chars().count() <= 200)
                    .ok_or_else(|| AdvanceError::template(&op, "must be a non-blank string"))?;
                if options.iter().any(|x| x == s) {
                    return Err(AdvanceError::template(
                        op,
                        format!("duplicate option \"{s}\""),
                    ));
                }
                options.push(s.to_string());
            }
            ItemKind::Choice { options }
        }
        other => {
            return Err(AdvanceError::template(
                format!("{p}.kind"),
                format!(
                    "unknown item kind \"{other}\" (check, text, number, choice, location, \
                     photo or contact)"
                ),
            ))
        }
    };
    let extra: &[&str] = match kind {
        ItemKind::Number { .. } => &["unit", "min", "max"],
        ItemKind::Choice { .. } => &["options"],
        _ => &[],
    };
    let allowed: Vec<&str> = base.iter().chain(extra).copied().collect();
    known(m, p, &allowed)?;
    let id = req_str(m, p, "id")?;
    check_item_id(&id, &format!("{p}.id"))?;
    let required = match m.get("required") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(AdvanceError::template(
                format!("{p}.required"),
                "must be true or false",
            ))
        }
    };
    Ok(TemplateItem {
        id,
        label: req_text(m, p, "label", 300)?,
        kind,
        required,
        guidance: opt_text(m, p, "guidance", 5_000)?,
    })
}

fn join(p: &str, key: &str) -> String {
    if p.is_empty() {
        key.to_string()
    } else {
        format!("{p}.{key}")
    }
}

fn object<'a>(v: &'a Value, p: &str) -> AdvanceResult<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| AdvanceError::template(p, "must be an object"))
}

fn known(m: &Map<String, Value>, p: &str, allowed: &[&str]) -> AdvanceResult<()> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(AdvanceError::template(join(p, k), "unknown field")),
        None => Ok(()),
    }
}

fn req_str(m: &Map<String, Value>, p: &str, key: &str) -> AdvanceResult<String> {
    match m.get(key) {
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(_) => Err(AdvanceError::template(join(p, key), "must be a string")),
        None => Err(AdvanceError::template(join(p, key), "missing")),
    }
}

fn req_text(m: &Map<String, Value>, p: &str, key: &str, max: usize) -> AdvanceResult<String> {
    let s = req_str(m, p, key)?;
    if s.is_empty() {
        return Err(AdvanceError::template(join(p, key), "must not be blank"));
    }
    if s.chars().count() > max {
        return Err(AdvanceError::template(
            join(p, key),
            format!("longer than {max} characters"),
        ));
    }
    Ok(s)
}

fn opt_text(m: &Map<String, Value>, p: &str, key: &str, max: usize) -> AdvanceResult<String> {
    match m.get(key) {
        None => Ok(String::new()),
        Some(_) => {
            let s = req_str(m, p, key)?;
            if s.chars().count() > max {
                return Err(AdvanceError::template(
                    join(p, key),
                    format!("longer than {max} characters"),
                ));
            }
            Ok(s)
        }
    }
}

fn opt_number(m: &Map<String, Value>, p: &str, key: &str) -> AdvanceResult<Option<f64>> {
    match m.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| AdvanceError::template(join(p, key), "must be a finite number")),
        Some(_) => Err(AdvanceError::template(join(p, key), "must be a number")),
    }
}

fn req_array<'a>(m: &'a Map<String, Value>, p: &str, key: &str) -> AdvanceResult<&'a Vec<Value>> {
    match m.get(key) {
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(AdvanceError::template(join(p, key), "must be an array")),
        None => Err(AdvanceError::template(join(p, key), "missing")),
    }
}

fn check_item_id(id: &str, p: &str) -> AdvanceResult<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AdvanceError::template(
            p,
            "ids are 1 to 64 characters of a-z, 0-9, '_' and '-'",
        ))
    }
}

fn check_template_id(id: &str, p: &str) -> AdvanceResult<()> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AdvanceError::template(
            p,
            "ids are 1 to 100 characters of a-z, 0-9, '_', '-' and '.'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_validates() {
        for (name, src) in BUILTIN_SOURCES {
            let t = ChecklistTemplate::from_json(src)
                .unwrap_or_else(|e| panic!("{name} does not validate: {e}"));
            assert!(t.is_builtin(), "{name}");
            assert!(t.items().count() >= 10, "{name} is too thin");
            assert!(t.items().any(|(_, i)| i.required), "{name}");
            // What we write reads back the same.
            assert_eq!(
                ChecklistTemplate::from_json(&t.to_json().unwrap()).unwrap(),
                t
            );
        }
        assert_eq!(builtin_templates().len(), BUILTIN_SOURCES.len());
    }
}
