//! Where this device's clock stamps are stored, in one place, and the rebase that moves
//! the ones written under a clock far ahead of the team's back to the team's time.
//!
//! A device whose wall clock ran ahead (it wrote before it ever talked to the server, or
//! its clock jumped while offline) holds stamps the server refuses as too far in the
//! future, and its clock's `last` keeps every later stamp there too. Once the engine
//! knows the team's time, [`rebase_own`] shifts every stamp *of this device* that lies
//! beyond `threshold` back by one delta, so their relative order is kept, and returns the
//! highest stamp left so the clock can be reset.
//!
//! Not rewritten: sealed sign-offs (`adv_signoffs`, immutable by trigger) and the payloads
//! of signed kinds (incident entries, walk sign-offs), whose signatures cover them. Their
//! outbox `hlc` column is still rebased (the server checks that one).

use rusqlite::{params, Transaction};
use serde_json::Value;

use crate::clock::Hlc;
use crate::error::StoreResult;

/// How a column holds stamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StampForm {
    /// The column is one stamp's text.
    Text,
    /// The column is JSON; any string in it that parses as a stamp of this device is one.
    Json,
}

/// Every (table, column, form, row filter) holding this device's stamps. A new table that
/// stores stamps must be listed here.
pub const STAMP_COLUMNS: &[(&str, &str, StampForm, &str)] = &[
    ("outbox", "hlc", StampForm::Text, "1"),
    (
        "outbox",
        "payload",
        StampForm::Json,
        "kind NOT LIKE 'incident.%' AND kind <> 'checklist.walk.signoff'",
    ),
    ("adv_venues", "hlc", StampForm::Text, "1"),
    ("adv_venues", "doc", StampForm::Json, "1"),
    ("adv_havens", "hlc", StampForm::Text, "1"),
    ("adv_havens", "doc", StampForm::Json, "1"),
    ("adv_routes", "hlc", StampForm::Text, "1"),
    ("adv_routes", "doc", StampForm::Json, "1"),
    ("adv_templates", "hlc", StampForm::Text, "1"),
    ("adv_templates", "doc", StampForm::Json, "1"),
    ("adv_walks", "started_hlc", StampForm::Text, "1"),
    ("adv_walks", "completed_hlc", StampForm::Text, "1"),
    ("adv_answers", "hlc", StampForm::Text, "1"),
    ("adv_answers", "record", StampForm::Json, "1"),
    ("adv_field_stamps", "stamps", StampForm::Json, "1"),
];

/// What a rebase did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebase {
    /// How far the stamps were moved back (0: nothing to do).
    pub delta_ms: u64,
    /// Column values rewritten.
    pub rewritten: u64,
    /// This device's highest stamp after the rebase (None if it has none).
    pub highest: Option<Hlc>,
}

fn own(s: &str, device: &str) -> Option<Hlc> {
    s.parse::<Hlc>().ok().filter(|h| h.device == device)
}

/// Calls `f` on every stamp of `device` inside `v`.
fn visit_json(v: &Value, device: &str, f: &mut impl FnMut(&Hlc)) {
    match v {
        Value::String(s) => {
            if let Some(h) = own(s, device) {
                f(&h)
            }
        }
        Value::Array(items) => items.iter().for_each(|i| visit_json(i, device, f)),
        Value::Object(m) => m.values().for_each(|i| visit_json(i, device, f)),
        _ => {}
    }
}

/// Rewrites every stamp of `device` in `v` with `map`; true if anything changed.
pub fn rewrite_json(v: &mut Value, device: &str, map: &impl Fn(&Hlc) -> Option<Hlc>) -> bool {
    match v {
        Value::String(s) => match own(s, device).and_then(|h| map(&h)) {
            Some(n) => {
                *s = n.to_string();
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |acc, i| rewrite_json(i, device, map) | acc),
        Value::Object(m) => m
            .values_mut()
            .fold(false, |acc, i| rewrite_json(i, device, map) | acc),
        _ => false,
    }
}

fn rows(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    filter: &str,
) -> StoreResult<Vec<(i64, String)>> {
    let sql =
        format!("SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL AND ({filter})");
    let mut stmt = tx.prepare(&sql)?;
    let out = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// Every stamp of `device` stored in [`STAMP_COLUMNS`].
pub fn own_stamps(tx: &Transaction<'_>, device: &str) -> StoreResult<Vec<Hlc>> {
    let mut out = Vec::new();
    for (table, column, form, filter) in STAMP_COLUMNS {
        for (_, text) in rows(tx, table, column, filter)? {
            match form {
                StampForm::Text => out.extend(own(&text, device)),
                StampForm::Json => {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        visit_json(&v, device, &mut |h| out.push(h.clone()));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The delta that moves the stamps beyond `threshold_ms` back so the highest lands at
/// `target_ms`, limited so they stay after every stamp not moved (order is kept).
pub fn rebase_delta(stamps: &[Hlc], threshold_ms: u64, target_ms: u64) -> u64 {
    let ahead = stamps.iter().filter(|h| h.physical_ms > threshold_ms);
    let (Some(min_ahead), Some(max_ahead)) = (
        ahead.clone().map(|h| h.physical_ms).min(),
        ahead.map(|h| h.physical_ms).max(),
    ) else {
        return 0;
    };
    let wanted = max_ahead.saturating_sub(target_ms);
    let kept_max = stamps
        .iter()
        .map(|h| h.physical_ms)
        .filter(|ms| *ms <= threshold_ms)
        .max();
    match kept_max {
        // min_ahead - delta must stay above kept_max.
        Some(k) => wanted.min(min_ahead.saturating_sub(k).saturating_sub(1)),
        None => wanted,
    }
}

/// Moves every stamp of `device` later than `threshold_ms` back by one delta (see
/// [`rebase_delta`]), in every column of [`STAMP_COLUMNS`], inside `tx`.
pub fn rebase_own(
    tx: &Transaction<'_>,
    device: &str,
    threshold_ms: u64,
    target_ms: u64,
) -> StoreResult<Rebase> {
    let stamps = own_stamps(tx, device)?;
    let delta = rebase_delta(&stamps, threshold_ms, target_ms);
    let map = |h: &Hlc| {
        (h.physical_ms > threshold_ms).then(|| Hlc {
            physical_ms: h.physical_ms - delta,
            counter: h.counter,
            device: h.device.clone(),
        })
    };
    let mut rewritten = 0u64;
    if delta > 0 {
        for (table, column, form, filter) in STAMP_COLUMNS {
            let update = format!("UPDATE {table} SET {column} = ?2 WHERE rowid = ?1");
            for (rowid, text) in rows(tx, table, column, filter)? {
                let new = match form {
                    StampForm::Text => own(&text, device)
                        .and_then(|h| map(&h))
                        .map(|h| h.to_string()),
                    StampForm::Json => match serde_json::from_str::<Value>(&text) {
                        Ok(mut v) => {
                            if rewrite_json(&mut v, device, &map) {
                                Some(serde_json::to_string(&v)?)
                            } else {
                                None
                            }
                        }
                        Err(_) => None,
                    },
                };
                if let Some(new) = new {
                    tx.execute(&update, params![rowid, new])?;
                    rewritten += 1;
                }
            }
        }
    }
    let highest = stamps
        .iter()
        .map(|h| map(h).filter(|_| delta > 0).unwrap_or_else(|| h.clone()))
        .max();
    Ok(Rebase {
        delta_ms: delta,
        rewritten,
        highest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn h(ms: u64, c: u32, d: &str) -> Hlc {
        Hlc {
            physical_ms: ms,
            counter: c,
            device: d.into(),
        }
    }

    #[test]
    fn json_walk_rewrites_only_this_devices_stamps_everywhere() {
        let mine = h(10_000, 3, "me");
        let theirs = h(10_000, 3, "other");
        let mut v = json!({
            "updated": mine.to_string(),
            "field_stamps": {"name": mine.to_string(), "notes": theirs.to_string()},
            "list": [1, "text", mine.to_string(), {"deep": [mine.to_string()]}],
            "name": "0000000010000-00003",
            "n": 10_000,
        });
        let map = |x: &Hlc| Some(h(x.physical_ms - 4_000, x.counter, &x.device));
        assert!(rewrite_json(&mut v, "me", &map));
        let moved = h(6_000, 3, "me").to_string();
        assert_eq!(v["updated"], json!(moved));
        assert_eq!(v["field_stamps"]["name"], json!(moved));
        assert_eq!(v["field_stamps"]["notes"], json!(theirs.to_string()));
        assert_eq!(v["list"][2], json!(moved));
        assert_eq!(v["list"][3]["deep"][0], json!(moved));
        assert_eq!(v["name"], json!("0000000010000-00003"));
        assert_eq!(v["n"], json!(10_000));
        let mut plain = json!({"a": "b", "c": [theirs.to_string()]});
        assert!(!rewrite_json(&mut plain, "me", &map));
    }

    #[test]
    fn delta_lands_the_highest_at_the_target_and_keeps_order() {
        // Stamps an hour ahead, spread over ten minutes; nothing kept.
        let hour = 3_600_000;
        let s = vec![h(hour + 1_000, 0, "me"), h(hour + 600_000, 2, "me")];
        assert_eq!(rebase_delta(&s, 1_000 + 300_000, 600_000), hour);
        // A kept stamp just below the threshold limits the shift.
        let s2 = vec![h(900, 0, "me"), h(2_000, 0, "me"), h(5_000, 0, "me")];
        let d = rebase_delta(&s2, 1_000, 0);
        assert_eq!(d, 2_000 - 900 - 1);
        assert!(2_000 - d > 900);
        assert_eq!(rebase_delta(&s2, 10_000, 0), 0);
    }
}
