//! Merging checklist answers from several officers: one record per (walk, item), last
//! writer wins by hybrid-logical-clock stamp (whose order ends with the device id, so two
//! devices never tie). Two records with the very same stamp can only be the same write;
//! should they ever differ, their canonical encodings decide, so the merge stays a
//! join (commutative, associative, idempotent) whatever it is given.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{write, AdvanceError, AdvanceResult};
use super::walk::{check_answer_parts, load_walk, store_answer, Answer, WalkState};
use crate::canonical_json::canonical_json;

/// Kept for the FFI: the answer record is what travels between devices.
pub type AnswerRecord = Answer;

fn order(a: &Answer, b: &Answer) -> Ordering {
    a.hlc.cmp(&b.hlc).then_with(|| {
        let ca = serde_json::to_value(a)
            .map(|v| canonical_json(&v))
            .unwrap_or_default();
        let cb = serde_json::to_value(b)
            .map(|v| canonical_json(&v))
            .unwrap_or_default();
        ca.cmp(&cb)
    })
}

/// The winner of two answers to the same item.
pub fn merge_answer(a: &Answer, b: &Answer) -> Answer {
    if order(a, b) == Ordering::Less {
        b.clone()
    } else {
        a.clone()
    }
}

/// Merges two sets of answers item by item; the result is sorted by (walk, item).
pub fn merge_answers(a: &[Answer], b: &[Answer]) -> Vec<Answer> {
    let mut out: BTreeMap<(String, String), Answer> = BTreeMap::new();
    for x in a.iter().chain(b) {
        let key = (x.walk_id.clone(), x.item_id.clone());
        let winner = match out.get(&key) {
            Some(cur) => merge_answer(cur, x),
            None => x.clone(),
        };
        out.insert(key, winner);
    }
    out.into_values().collect()
}

/// What became of a batch of remote answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Remote answers that won and are now stored.
    pub applied: u32,
    /// Remote answers that lost to (or equalled) what was already here.
    pub kept_local: u32,
    /// Remote answers refused, with the reason (unknown walk, wrong kind, ...). They are
    /// reported, never applied.
    pub rejected: Vec<RejectedAnswer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedAnswer {
    pub walk_id: String,
    pub item_id: String,
    pub reason: String,
}

/// Applies answers pulled from the team server, merging each with the local record by
/// [`merge_answer`], in one transaction. Each remote stamp is folded into this device's
/// clock (a stamp too far in the future rejects that answer), so a later local answer
/// always wins over what was seen. These are not local changes, so they do not enter the
/// outbox (which queues this device's own changes for the server).
pub fn apply_remote_answers(
    db: &mut crate::store::Database,
    remote: &[Answer],
) -> AdvanceResult<ApplyReport> {
    write(db, |w| apply_answers_in(w, remote))
}

/// Where remote answers are applied: a transaction, and a way to fold their stamps into
/// (or check them against) this device's clock.
pub(crate) trait AnswerTarget {
    fn conn(&self) -> &rusqlite::Connection;
    fn observe(&mut self, stamp: &crate::clock::Hlc) -> Result<(), String>;
}

impl AnswerTarget for crate::store::Writer<'_> {
    fn conn(&self) -> &rusqlite::Connection {
        self.tx()
    }
    fn observe(&mut self, stamp: &crate::clock::Hlc) -> Result<(), String> {
        crate::store::Writer::observe(self, stamp).map_err(|e| e.to_string())
    }
}

/// The merge of [`apply_remote_answers`], inside a caller's transaction.
pub(crate) fn apply_answers_in(
    w: &mut impl AnswerTarget,
    remote: &[Answer],
) -> AdvanceResult<ApplyReport> {
    let mut report = ApplyReport::default();
    for r in remote {
        let reject = |reason: String| RejectedAnswer {
            walk_id: r.walk_id.clone(),
            item_id: r.item_id.clone(),
            reason,
        };
        let walk = match load_walk(w.conn(), &r.walk_id) {
            Ok(walk) => walk,
            Err(AdvanceError::NotFound { .. }) => {
                report.rejected.push(reject("unknown walk".into()));
                continue;
            }
            Err(e) => return Err(e),
        };
        if walk.state == WalkState::SignedOff {
            report.rejected.push(reject(
                "the walk was signed off before this answer arrived: a signed-off walk takes \
                 no more answers"
                    .into(),
            ));
            continue;
        }
        let Some(item) = walk.template.item(&r.item_id) else {
            report.rejected.push(reject("unknown item".into()));
            continue;
        };
        let checked = check_answer_parts(item, &r.value, &r.note, r.issue, &r.position, &r.photos);
        let (value, note, issue) = match checked {
            Ok(parts) => parts,
            Err(e) => {
                report.rejected.push(reject(e.to_string()));
                continue;
            }
        };
        if r.hlc.device != r.device_id {
            report
                .rejected
                .push(reject("stamp and device disagree".into()));
            continue;
        }
        if let Err(e) = w.observe(&r.hlc) {
            report.rejected.push(reject(e));
            continue;
        }
        let incoming = Answer {
            value,
            note,
            issue,
            ..r.clone()
        };
        let winner = match walk.answer(&r.item_id) {
            Some(local) => merge_answer(local, &incoming),
            None => incoming.clone(),
        };
        if winner == incoming && walk.answer(&r.item_id) != Some(&incoming) {
            store_answer(w.conn(), &incoming)?;
            report.applied += 1;
        } else {
            report.kept_local += 1;
        }
    }
    Ok(report)
}
