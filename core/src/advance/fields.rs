//! Venues, havens and routes merge last writer wins **per field**: every top-level field
//! of a record's document carries the clock stamp of the write that last changed it
//! (`adv_field_stamps`). A local save stamps only the fields it changes; a pulled upsert
//! is merged field by field, the higher stamp winning (equal stamps with different
//! values, which a correct device never produces, are decided by the values' canonical
//! JSON so the merge stays a join: commutative, associative, idempotent).
//!
//! Upsert payloads carry the stamps: the record's document plus `"field_stamps":
//! {field: hlc}`. A payload without them (an older device) counts every field as
//! written at the record's `updated` stamp.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::error::{AdvanceError, AdvanceResult};
use crate::canonical_json::canonical_json;
use crate::clock::Hlc;
use crate::error::StoreError;

/// The key of the stamps inside an upsert payload.
pub const STAMPS_KEY: &str = "field_stamps";
/// Not merged: the id names the record. (`updated` is merged like any field: every save
/// changes it, so it ends up as the latest save's stamp on every device.)
const UNMERGED: [&str; 1] = ["id"];

/// A record's mergeable fields with their stamps (the same keys in both).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stamped {
    pub fields: BTreeMap<String, Value>,
    pub stamps: BTreeMap<String, Hlc>,
}

impl Stamped {
    /// Splits a document into mergeable fields, each stamped from `stamps` or else
    /// `default`.
    pub fn from_doc(doc: &Value, stamps: &BTreeMap<String, Hlc>, default: &Hlc) -> Stamped {
        let mut out = Stamped::default();
        if let Value::Object(m) = doc {
            for (k, v) in m {
                if UNMERGED.contains(&k.as_str()) || k == STAMPS_KEY {
                    continue;
                }
                out.fields.insert(k.clone(), v.clone());
                out.stamps
                    .insert(k.clone(), stamps.get(k).unwrap_or(default).clone());
            }
        }
        out
    }

    /// The highest stamp of any field.
    pub fn updated(&self) -> Option<&Hlc> {
        self.stamps.values().max()
    }

    /// The document: the fields and `id`.
    pub fn to_doc(&self, id: &str) -> Value {
        let mut m: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        m.insert("id".into(), Value::String(id.to_string()));
        Value::Object(m)
    }

    /// The document with its stamps, as an upsert payload.
    pub fn to_payload(&self, id: &str) -> Value {
        let mut doc = self.to_doc(id);
        if let Value::Object(m) = &mut doc {
            m.insert(STAMPS_KEY.into(), stamps_json(&self.stamps));
        }
        doc
    }
}

fn stamps_json(stamps: &BTreeMap<String, Hlc>) -> Value {
    Value::Object(
        stamps
            .iter()
            .map(|(k, h)| (k.clone(), Value::String(h.to_string())))
            .collect(),
    )
}

fn wins(a_stamp: &Hlc, a: &Value, b_stamp: &Hlc, b: &Value) -> bool {
    match a_stamp.cmp(b_stamp) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => canonical_json(a) >= canonical_json(b),
    }
}

/// Merges two versions of one record field by field: the higher stamp wins each field.
pub fn merge_stamped(a: &Stamped, b: &Stamped) -> Stamped {
    let mut out = a.clone();
    for (k, bv) in &b.fields {
        let Some(bs) = b.stamps.get(k) else { continue };
        let take_b = match (out.fields.get(k), out.stamps.get(k)) {
            (Some(av), Some(as_)) => !wins(as_, av, bs, bv),
            _ => true,
        };
        if take_b {
            out.fields.insert(k.clone(), bv.clone());
            out.stamps.insert(k.clone(), bs.clone());
        }
    }
    out
}

/// The three record kinds merged per field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Venue,
    Haven,
    Route,
}

impl RecordKind {
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Venue => "venue",
            RecordKind::Haven => "haven",
            RecordKind::Route => "route",
        }
    }

    pub fn outbox_kind(self) -> &'static str {
        match self {
            RecordKind::Venue => "venue.upsert",
            RecordKind::Haven => "haven.upsert",
            RecordKind::Route => "route.upsert",
        }
    }

    pub fn from_outbox_kind(kind: &str) -> Option<RecordKind> {
        [RecordKind::Venue, RecordKind::Haven, RecordKind::Route]
            .into_iter()
            .find(|k| k.outbox_kind() == kind)
    }

    fn table(self) -> &'static str {
        match self {
            RecordKind::Venue => "adv_venues",
            RecordKind::Haven => "adv_havens",
            RecordKind::Route => "adv_routes",
        }
    }

    /// Writes the record's row (document and its indexed column) and its stamps.
    pub(crate) fn store(self, conn: &Connection, id: &str, s: &Stamped) -> AdvanceResult<()> {
        let doc = s.to_doc(id);
        let updated = s
            .updated()
            .map(|h| h.to_string())
            .ok_or_else(|| AdvanceError::invalid(self.name(), "has no fields"))?;
        let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
        let (col, value) = match self {
            RecordKind::Venue => ("name", text("name")),
            RecordKind::Haven => ("kind", text("kind")),
            RecordKind::Route => ("journey", text("journey")),
        };
        if value.is_none() && self != RecordKind::Route {
            return Err(AdvanceError::invalid(self.name(), "not a valid record"));
        }
        conn.execute(
            &format!(
                "INSERT INTO {t}(id, {col}, doc, hlc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET {col} = excluded.{col}, doc = excluded.doc,
                 hlc = excluded.hlc",
                t = self.table()
            ),
            params![id, value, doc.to_string(), updated],
        )?;
        conn.execute(
            "INSERT INTO adv_field_stamps(kind, id, stamps) VALUES (?1, ?2, ?3)
             ON CONFLICT(kind, id) DO UPDATE SET stamps = excluded.stamps",
            params![self.name(), id, stamps_json(&s.stamps).to_string()],
        )?;
        Ok(())
    }

    /// The stored record with its stamps, if there is one.
    pub(crate) fn load(self, conn: &Connection, id: &str) -> AdvanceResult<Option<Stamped>> {
        let row: Option<(String, String)> = conn
            .query_row(
                &format!("SELECT doc, hlc FROM {} WHERE id = ?1", self.table()),
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((doc, hlc)) = row else {
            return Ok(None);
        };
        let corrupt = || AdvanceError::Store(StoreError::DatabaseCorrupt);
        let doc: Value = serde_json::from_str(&doc).map_err(|_| corrupt())?;
        let hlc: Hlc = hlc.parse().map_err(|_| corrupt())?;
        let stamps: Option<String> = conn
            .query_row(
                "SELECT stamps FROM adv_field_stamps WHERE kind = ?1 AND id = ?2",
                params![self.name(), id],
                |r| r.get(0),
            )
            .optional()?;
        let stamps = match stamps {
            None => BTreeMap::new(),
            Some(s) => parse_stamps(&serde_json::from_str(&s).map_err(|_| corrupt())?)
                .ok_or_else(corrupt)?,
        };
        Ok(Some(Stamped::from_doc(&doc, &stamps, &hlc)))
    }

    /// A local save of `doc` stamped `stamp`: the fields it changes get `stamp`, the
    /// others keep theirs. Stores the record and returns the upsert payload.
    pub(crate) fn save_local(
        self,
        conn: &Connection,
        doc: &Value,
        stamp: &Hlc,
    ) -> AdvanceResult<Value> {
        let id = doc
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| AdvanceError::invalid(self.name(), "has no id"))?
            .to_string();
        let mut next = Stamped::from_doc(doc, &BTreeMap::new(), stamp);
        if let Some(prev) = self.load(conn, &id)? {
            for (k, v) in &next.fields {
                if prev.fields.get(k) == Some(v) {
                    if let Some(s) = prev.stamps.get(k) {
                        next.stamps.insert(k.clone(), s.clone());
                    }
                }
            }
        }
        // The stored document is exactly what the caller built; the stamps table records
        // which fields this save changed (`updated` always).
        conn.execute(
            "INSERT INTO adv_field_stamps(kind, id, stamps) VALUES (?1, ?2, ?3)
             ON CONFLICT(kind, id) DO UPDATE SET stamps = excluded.stamps",
            params![self.name(), id, stamps_json(&next.stamps).to_string()],
        )?;
        let mut payload = doc.clone();
        if let Value::Object(m) = &mut payload {
            m.insert(STAMPS_KEY.into(), stamps_json(&next.stamps));
        }
        Ok(payload)
    }
}

/// Parses `{field: "hlc"}`.
pub fn parse_stamps(v: &Value) -> Option<BTreeMap<String, Hlc>> {
    let Value::Object(m) = v else { return None };
    m.iter()
        .map(|(k, v)| Some((k.clone(), v.as_str()?.parse::<Hlc>().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hlc(ms: u64, counter: u32, device: &str) -> Hlc {
        Hlc {
            physical_ms: ms,
            counter,
            device: device.into(),
        }
    }

    fn stamped() -> impl Strategy<Value = Stamped> {
        let field = prop::sample::select(vec!["name", "notes", "address", "position"]);
        let value = prop_oneof![
            Just(Value::Null),
            (0i64..4).prop_map(Value::from),
            prop::sample::select(vec!["a", "b", "c"]).prop_map(Value::from),
        ];
        // Few stamps and devices, so equal stamps (with different values) occur too.
        let stamp = (0u64..4, 0u32..2, prop::sample::select(vec!["d1", "d2"]))
            .prop_map(|(ms, c, d)| hlc(ms, c, d));
        prop::collection::vec((field, value, stamp), 0..5).prop_map(|entries| {
            let mut s = Stamped::default();
            for (f, v, h) in entries {
                s.fields.insert(f.to_string(), v);
                s.stamps.insert(f.to_string(), h);
            }
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn merge_is_commutative(a in stamped(), b in stamped()) {
            prop_assert_eq!(merge_stamped(&a, &b), merge_stamped(&b, &a));
        }

        #[test]
        fn merge_is_associative(a in stamped(), b in stamped(), c in stamped()) {
            prop_assert_eq!(
                merge_stamped(&merge_stamped(&a, &b), &c),
                merge_stamped(&a, &merge_stamped(&b, &c))
            );
        }

        #[test]
        fn merge_is_idempotent(a in stamped(), b in stamped()) {
            prop_assert_eq!(merge_stamped(&a, &a), a.clone());
            let ab = merge_stamped(&a, &b);
            prop_assert_eq!(merge_stamped(&ab, &b), ab.clone());
        }
    }

    #[test]
    fn each_field_goes_to_its_latest_writer() {
        let mut a = Stamped::default();
        a.fields.insert("name".into(), "Old".into());
        a.stamps.insert("name".into(), hlc(1, 0, "d1"));
        a.fields.insert("notes".into(), "new notes".into());
        a.stamps.insert("notes".into(), hlc(5, 0, "d1"));
        let mut b = Stamped::default();
        b.fields.insert("name".into(), "New".into());
        b.stamps.insert("name".into(), hlc(3, 0, "d2"));
        b.fields.insert("notes".into(), "old notes".into());
        b.stamps.insert("notes".into(), hlc(2, 0, "d2"));
        let m = merge_stamped(&a, &b);
        assert_eq!(m.fields["name"], Value::from("New"));
        assert_eq!(m.fields["notes"], Value::from("new notes"));
        assert_eq!(m.updated(), Some(&hlc(5, 0, "d1")));
    }
}
