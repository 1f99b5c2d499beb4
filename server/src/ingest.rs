//! What a push batch does, decided in memory for every storage back end: the back end
//! reads what the batch can refer to in a few statements ([`Prior`]), [`plan`] walks the
//! entries in order exactly as the per-entry rules of `Storage::push` say, and the back
//! end writes the planned rows in bulk, all in one transaction.
//!
//! The rules, per entry in batch order (`last` = the device's last applied seq, moved by
//! each consumed entry of this batch):
//! - `seq <= last`: a repeat. The result stored for that seq (in the database or earlier
//!   in this batch) is answered `duplicate` when its op id is the entry's; otherwise
//!   `rejected: sequence number already used by another operation`. Nothing is written.
//! - `seq > last + 1`: a gap; the whole batch fails (`SequenceGap`), nothing is written.
//! - `seq == last + 1`: consumed. An op id already in `op_results` (stored, or earlier in
//!   this batch) is `rejected: op id already used` and not recorded; otherwise the
//!   validator decides (applied, with a `changes` row, or rejected) and the result is
//!   recorded in `op_results`.

use std::collections::{HashMap, HashSet};

use vigil_core::sync::protocol::{EntryOutcome, PushEntry};

use crate::error::ServerError;
use crate::storage::{ChainHead, Validator};

pub(crate) const REASON_SEQ_USED: &str = "sequence number already used by another operation";
pub(crate) const REASON_OP_USED: &str = "op id already used";

/// What the database holds that a batch's entries may refer to, read inside the push
/// transaction before anything is written.
#[derive(Debug, Default)]
pub(crate) struct Prior {
    /// The device's stored results at the seqs of [`repeat_seqs`]: `seq -> (op_id, outcome)`.
    pub by_seq: HashMap<u64, (String, EntryOutcome)>,
    /// Of the op ids of [`new_op_ids`], those already in `op_results` (any device).
    pub seen_ops: HashSet<String>,
}

/// Seqs of the batch at or below the device's stored cursor: their stored results are
/// needed (repeats).
pub(crate) fn repeat_seqs(entries: &[PushEntry], last_seq: u64) -> Vec<u64> {
    let mut seqs: Vec<u64> = entries
        .iter()
        .map(|e| e.seq)
        .filter(|s| *s <= last_seq)
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    seqs
}

/// Op ids of the entries above the stored cursor (those that may be consumed): whether
/// `op_results` already holds them is needed.
pub(crate) fn new_op_ids(entries: &[PushEntry], last_seq: u64) -> Vec<&str> {
    let mut ops: Vec<&str> = entries
        .iter()
        .filter(|e| e.seq > last_seq)
        .map(|e| e.op_id.as_str())
        .collect();
    ops.sort_unstable();
    ops.dedup();
    ops
}

/// The stored form of an outcome (`outcome`, `reason` columns).
pub(crate) fn outcome_to_row(o: &EntryOutcome) -> (&'static str, Option<&str>) {
    match o {
        EntryOutcome::Applied => ("applied", None),
        EntryOutcome::Rejected { reason } => ("rejected", Some(reason.as_str())),
        EntryOutcome::Duplicate { original } => outcome_to_row(original),
    }
}

pub(crate) fn outcome_from_row(outcome: &str, reason: Option<String>) -> EntryOutcome {
    match outcome {
        "applied" => EntryOutcome::Applied,
        _ => EntryOutcome::Rejected {
            reason: reason.unwrap_or_default(),
        },
    }
}

/// A `changes` row to insert (in this order: `server_seq` follows the batch).
pub(crate) struct NewChange<'a> {
    pub entry: &'a PushEntry,
    /// The payload as stored (compact JSON).
    pub payload: String,
    pub hlc: String,
}

/// An `op_results` row to insert.
pub(crate) struct NewResult<'a> {
    pub entry: &'a PushEntry,
    pub outcome: &'static str,
    pub reason: Option<String>,
}

/// What a batch does: the answer per entry and the rows to write.
pub(crate) struct Plan<'a> {
    pub outcomes: Vec<EntryOutcome>,
    pub changes: Vec<NewChange<'a>>,
    pub results: Vec<NewResult<'a>>,
    /// The device's cursor after the batch.
    pub last_seq: u64,
    /// The device's chain head after the batch, when the batch moved it.
    pub moved_head: Option<ChainHead>,
}

/// Walks `entries` in order from the stored cursor `last_seq` and chain `head`, with what
/// the database holds (`prior`), deciding each entry as the module's rules say.
pub(crate) fn plan<'a>(
    entries: &'a [PushEntry],
    mut last_seq: u64,
    mut head: Option<ChainHead>,
    prior: &Prior,
    validate: Validator<'_>,
) -> Result<Plan<'a>, ServerError> {
    let mut outcomes = Vec::with_capacity(entries.len());
    let mut changes = Vec::new();
    let mut results: Vec<NewResult<'a>> = Vec::new();
    // Recorded earlier in this batch: seq -> index in `results`; op ids recorded.
    let mut batch_by_seq: HashMap<u64, usize> = HashMap::new();
    let mut batch_ops: HashSet<&str> = HashSet::new();
    let mut head_moved = false;
    for e in entries {
        if e.seq <= last_seq {
            let stored = match batch_by_seq.get(&e.seq).and_then(|i| results.get(*i)) {
                Some(r) => Some((
                    r.entry.op_id.as_str(),
                    outcome_from_row(r.outcome, r.reason.clone()),
                )),
                None => prior
                    .by_seq
                    .get(&e.seq)
                    .map(|(op, o)| (op.as_str(), o.clone())),
            };
            outcomes.push(match stored {
                Some((op, original)) if op == e.op_id => EntryOutcome::Duplicate {
                    original: Box::new(original),
                },
                _ => EntryOutcome::Rejected {
                    reason: REASON_SEQ_USED.into(),
                },
            });
            continue;
        }
        if e.seq != last_seq + 1 {
            return Err(ServerError::SequenceGap {
                expected: last_seq + 1,
            });
        }
        let op_seen = prior.seen_ops.contains(&e.op_id) || batch_ops.contains(e.op_id.as_str());
        let outcome = if op_seen {
            EntryOutcome::Rejected {
                reason: REASON_OP_USED.into(),
            }
        } else {
            match validate(e, head.as_ref()) {
                Ok(moved) => {
                    if let Some(h) = moved {
                        head = Some(h);
                        head_moved = true;
                    }
                    let payload = serde_json::to_string(&e.payload)
                        .map_err(|_| ServerError::Malformed("payload".into()))?;
                    changes.push(NewChange {
                        entry: e,
                        payload,
                        hlc: e.hlc.to_string(),
                    });
                    EntryOutcome::Applied
                }
                Err(reason) => EntryOutcome::Rejected { reason },
            }
        };
        // A reused op id under a new seq is answered but not recorded (op_id is unique).
        if !op_seen {
            let (o, reason) = outcome_to_row(&outcome);
            batch_by_seq.insert(e.seq, results.len());
            batch_ops.insert(e.op_id.as_str());
            results.push(NewResult {
                entry: e,
                outcome: o,
                reason: reason.map(str::to_string),
            });
        }
        last_seq = e.seq;
        outcomes.push(outcome);
    }
    Ok(Plan {
        outcomes,
        changes,
        results,
        last_seq,
        moved_head: if head_moved { head } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::clock::Hlc;

    fn entry(seq: u64, op: &str) -> PushEntry {
        PushEntry {
            seq,
            op_id: op.into(),
            hlc: Hlc {
                physical_ms: 1,
                counter: 0,
                device: "d".into(),
            },
            kind: "note".into(),
            entity_id: "e".into(),
            payload: serde_json::json!({"n": seq}),
        }
    }

    fn accept(e: &PushEntry, _: Option<&ChainHead>) -> Result<Option<ChainHead>, String> {
        match e.payload.get("bad") {
            Some(_) => Err("bad entry".into()),
            None => Ok(None),
        }
    }

    fn rejected(reason: &str) -> EntryOutcome {
        EntryOutcome::Rejected {
            reason: reason.into(),
        }
    }

    #[test]
    fn a_bad_entry_in_the_middle_is_refused_alone() {
        let mut bad = entry(2, "b");
        bad.payload = serde_json::json!({"bad": true});
        let entries = vec![entry(1, "a"), bad, entry(3, "c")];
        let p = plan(&entries, 0, None, &Prior::default(), &accept).unwrap();
        assert_eq!(
            p.outcomes,
            vec![
                EntryOutcome::Applied,
                rejected("bad entry"),
                EntryOutcome::Applied
            ]
        );
        let applied: Vec<u64> = p.changes.iter().map(|c| c.entry.seq).collect();
        assert_eq!(applied, vec![1, 3]);
        // Every consumed seq has its result recorded, the rejection included.
        let recorded: Vec<(u64, &str)> =
            p.results.iter().map(|r| (r.entry.seq, r.outcome)).collect();
        assert_eq!(
            recorded,
            vec![(1, "applied"), (2, "rejected"), (3, "applied")]
        );
        assert_eq!(p.last_seq, 3);
    }

    #[test]
    fn repeats_within_one_batch_see_what_the_batch_recorded() {
        // seq 1 again (same op: duplicate), seq 2 again under another op (refused), then
        // a new seq whose op id the batch already used (refused, not recorded).
        let entries = vec![
            entry(1, "a"),
            entry(2, "b"),
            entry(1, "a"),
            entry(2, "x"),
            entry(3, "a"),
            entry(4, "d"),
        ];
        let p = plan(&entries, 0, None, &Prior::default(), &accept).unwrap();
        assert_eq!(
            p.outcomes,
            vec![
                EntryOutcome::Applied,
                EntryOutcome::Applied,
                EntryOutcome::Duplicate {
                    original: Box::new(EntryOutcome::Applied)
                },
                rejected(REASON_SEQ_USED),
                rejected(REASON_OP_USED),
                EntryOutcome::Applied,
            ]
        );
        let recorded: Vec<u64> = p.results.iter().map(|r| r.entry.seq).collect();
        assert_eq!(recorded, vec![1, 2, 4]);
        assert_eq!(p.last_seq, 4);
    }

    #[test]
    fn stored_results_answer_repeats_and_stored_ops_are_refused() {
        let mut prior = Prior::default();
        prior
            .by_seq
            .insert(1, ("a".into(), rejected("payload must be a JSON object")));
        prior.seen_ops.insert("z".into());
        let entries = vec![entry(1, "a"), entry(2, "b"), entry(3, "z"), entry(4, "c")];
        assert_eq!(repeat_seqs(&entries, 2), vec![1, 2]);
        assert_eq!(new_op_ids(&entries, 2), vec!["c", "z"]);
        let p = plan(&entries, 2, None, &prior, &accept).unwrap();
        assert_eq!(
            p.outcomes,
            vec![
                EntryOutcome::Duplicate {
                    original: Box::new(rejected("payload must be a JSON object"))
                },
                // No stored result at seq 2 (its op id had been used): another operation.
                rejected(REASON_SEQ_USED),
                rejected(REASON_OP_USED),
                EntryOutcome::Applied,
            ]
        );
        assert_eq!(p.results.len(), 1);
    }

    #[test]
    fn a_gap_fails_the_whole_batch() {
        let entries = vec![entry(1, "a"), entry(3, "c")];
        match plan(&entries, 0, None, &Prior::default(), &accept) {
            Err(ServerError::SequenceGap { expected }) => assert_eq!(expected, 2),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("a gap must fail"),
        }
    }

    #[test]
    fn the_head_moves_along_the_batch() {
        let moving = |e: &PushEntry, head: Option<&ChainHead>| {
            let prev = head.map(|h| h.seq).unwrap_or(0);
            if e.payload.get("bad").is_some() {
                return Err("bad".to_string());
            }
            Ok(Some(ChainHead {
                seq: prev + 1,
                hash: [e.seq as u8; 32],
                signature: vec![0; 64],
                anchored_ms: 7,
            }))
        };
        let mut bad = entry(2, "b");
        bad.payload = serde_json::json!({"bad": true});
        let entries = vec![entry(1, "a"), bad, entry(3, "c")];
        let p = plan(&entries, 0, None, &Prior::default(), &moving).unwrap();
        let h = p.moved_head.unwrap();
        assert_eq!((h.seq, h.hash), (2, [3; 32]));
        let none: Vec<PushEntry> = vec![];
        assert!(plan(&none, 0, None, &Prior::default(), &moving)
            .unwrap()
            .moved_head
            .is_none());
    }
}
