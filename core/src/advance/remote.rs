//! Appliers for advance work pulled from the team: venues, havens and routes (last writer
//! wins per field, see [`super::fields`]), checklist walks started elsewhere, and
//! checklist answers (last writer wins per item, see [`super::merge`]), completions (the
//! earliest wins) and sign-offs (verified under the signer's key; the first sealed wins).

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Deserialize;
use serde_json::Value;

use super::error::{AdvanceError, AdvanceResult};
use super::fields::{merge_stamped, parse_stamps, RecordKind, Stamped, STAMPS_KEY};
use super::merge::{apply_answers_in, AnswerTarget};
use super::template::ChecklistTemplate;
use super::walk::{
    sealed_stamp, sealed_walk, verify_snapshot_with_key, Answer, SignedSnapshot, WalkSubject,
};
use crate::clock::{Hlc, HlcClock};
use crate::store::outbox;
use crate::sync::apply::{ApplyError, RemoteApplier};
use crate::sync::protocol::Change;

fn refuse(reason: impl Into<String>) -> ApplyError {
    ApplyError::Invalid(reason.into())
}

fn domain(e: AdvanceError) -> ApplyError {
    match e {
        AdvanceError::Store(s) => ApplyError::Store(s),
        other => ApplyError::Invalid(other.to_string()),
    }
}

/// `venue.upsert`, `haven.upsert`, `route.upsert`: merged field by field with the stored
/// record. A record with unsent local changes keeps the fields those changes set: when a
/// remote stamp beats one of them, the local value is restamped (after the remote one)
/// and queued again, so every device ends with the local value.
pub struct RecordApplier;

impl RecordApplier {
    fn merge(
        &self,
        tx: &Transaction<'_>,
        clock: Option<&mut HlcClock>,
        change: &Change,
    ) -> Result<(), ApplyError> {
        let kind = RecordKind::from_outbox_kind(&change.kind)
            .ok_or_else(|| refuse("not a venue, haven or route upsert"))?;
        let Value::Object(payload) = &change.payload else {
            return Err(refuse("payload is not an object"));
        };
        if payload.get("id").and_then(Value::as_str) != Some(change.entity_id.as_str()) {
            return Err(refuse("record id disagrees with the change"));
        }
        let stamps = match payload.get(STAMPS_KEY) {
            None => Default::default(),
            Some(v) => parse_stamps(v).ok_or_else(|| refuse("malformed field stamps"))?,
        };
        // Field stamps precede the change's own stamp (the save, then its outbox entry;
        // fields merged from others keep their writers' stamps), so none lies beyond
        // what the clock accepted for the change.
        if stamps.values().any(|h| *h > change.hlc) {
            return Err(refuse("field stamps after the change"));
        }
        let mut doc = Value::Object(payload.clone());
        if let Value::Object(m) = &mut doc {
            m.remove(STAMPS_KEY);
        }
        check_record(kind, &doc).map_err(domain)?;
        let remote = Stamped::from_doc(&doc, &stamps, &change.hlc);
        let local = kind.load(tx, &change.entity_id).map_err(domain)?;
        let mut merged = match &local {
            Some(l) => merge_stamped(l, &remote),
            None => remote.clone(),
        };
        let mut restamp = None;
        if let (Some(local), Some(clock)) = (&local, clock) {
            if outbox::has_unsent(tx, kind.outbox_kind(), &change.entity_id)? {
                let pending = unsent_fields(tx, kind.outbox_kind(), &change.entity_id)?;
                let lost: Vec<&String> = pending
                    .iter()
                    .filter(|f| merged.fields.get(*f) != local.fields.get(*f))
                    .collect();
                if !lost.is_empty() {
                    let now = clock
                        .tick_now()
                        .map_err(|e| refuse(format!("clock: {e}")))?;
                    for f in lost {
                        if let Some(v) = local.fields.get(f) {
                            merged.fields.insert(f.clone(), v.clone());
                            merged.stamps.insert(f.clone(), now.clone());
                        }
                    }
                    let emit = clock
                        .tick_now()
                        .map_err(|e| refuse(format!("clock: {e}")))?;
                    restamp = Some(emit);
                }
            }
        }
        let merged_doc = merged.to_doc(&change.entity_id);
        check_record(kind, &merged_doc).map_err(domain)?;
        kind.store(tx, &change.entity_id, &merged).map_err(domain)?;
        if let Some(emit) = restamp {
            outbox::append(
                tx,
                &emit,
                kind.outbox_kind(),
                &change.entity_id,
                &merged.to_payload(&change.entity_id),
            )?;
        }
        Ok(())
    }
}

/// The fields changed by this device's unsent upserts of one record: in each payload,
/// those stamped with the payload's own `updated` stamp (what that save changed).
fn unsent_fields(
    conn: &Connection,
    kind: &str,
    entity_id: &str,
) -> Result<BTreeSet<String>, ApplyError> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM outbox WHERE kind = ?1 AND entity_id = ?2 AND quarantined = 0",
    )?;
    let rows = stmt.query_map(params![kind, entity_id], |r| r.get::<_, String>(0))?;
    let mut out = BTreeSet::new();
    for row in rows {
        let payload: Value = serde_json::from_str(&row?).map_err(crate::error::StoreError::from)?;
        let stamps = payload.get(STAMPS_KEY).and_then(parse_stamps);
        let updated = payload
            .get("updated")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Hlc>().ok());
        match (stamps, updated) {
            (Some(stamps), Some(u)) => {
                out.extend(stamps.into_iter().filter(|(_, h)| *h == u).map(|(k, _)| k));
            }
            // Without stamps the whole record is pending.
            _ => {
                if let Value::Object(m) = &payload {
                    out.extend(m.keys().filter(|k| *k != "id" && *k != STAMPS_KEY).cloned());
                }
            }
        }
    }
    Ok(out)
}

impl RemoteApplier for RecordApplier {
    /// Without the engine's clock a record with unsent local changes cannot be restamped:
    /// the local fields are then kept as they are (they win here, and are sent later).
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        self.merge(tx, None, change)
    }

    fn apply_with_clock(
        &self,
        tx: &Transaction<'_>,
        clock: &mut HlcClock,
        change: &Change,
    ) -> Result<(), ApplyError> {
        self.merge(tx, Some(clock), change)
    }
}

/// Remote answers are checked against the change that carried them: an answer's stamp
/// is the author's and precedes the change's own (already folded into the clock).
struct AnswerCheck<'a> {
    tx: &'a Transaction<'a>,
    change: &'a Change,
}

impl AnswerTarget for AnswerCheck<'_> {
    fn conn(&self) -> &Connection {
        self.tx
    }
    fn observe(&mut self, stamp: &Hlc) -> Result<(), String> {
        if stamp.device != self.change.device_id || *stamp > self.change.hlc {
            return Err("answer stamp is not its sender's or is after the change".into());
        }
        Ok(())
    }
}

/// `checklist.answer`: merged per item, last writer wins by stamp (device tie-break).
pub struct AnswerApplier;

impl RemoteApplier for AnswerApplier {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        let answer: Answer = serde_json::from_value(change.payload.clone())
            .map_err(|_| refuse("malformed checklist answer"))?;
        if format!("{}/{}", answer.walk_id, answer.item_id) != change.entity_id {
            return Err(refuse("answer disagrees with the change's entity"));
        }
        let mut target = AnswerCheck { tx, change };
        let report =
            apply_answers_in(&mut target, std::slice::from_ref(&answer)).map_err(domain)?;
        match report.rejected.first() {
            Some(r) => Err(refuse(r.reason.clone())),
            None => Ok(()),
        }
    }
}

#[derive(Deserialize)]
struct WalkStart {
    id: String,
    template: Value,
    subject: WalkSubject,
    started: Hlc,
    started_by: String,
}

#[derive(Deserialize)]
struct WalkComplete {
    walk_id: String,
    completed: Hlc,
    completed_by: String,
}

/// `checklist.walk.start` (the walk with its template copy) and
/// `checklist.walk.complete`. A walk is created once; a completion is recorded once.
pub struct WalkApplier;

impl RemoteApplier for WalkApplier {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        match change.kind.as_str() {
            "checklist.walk.start" => {
                let w: WalkStart = serde_json::from_value(change.payload.clone())
                    .map_err(|_| refuse("malformed walk"))?;
                if w.id != change.entity_id {
                    return Err(refuse("walk id disagrees with the change"));
                }
                let template =
                    ChecklistTemplate::from_json(&w.template.to_string()).map_err(domain)?;
                let (kind, sid) = w.subject.parts();
                tx.execute(
                    "INSERT OR IGNORE INTO adv_walks(id, template_doc, subject_kind, subject_id,
                         started_hlc, started_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        w.id,
                        template.to_json().map_err(domain)?,
                        kind,
                        sid,
                        w.started.to_string(),
                        w.started_by
                    ],
                )?;
                Ok(())
            }
            "checklist.walk.complete" => {
                let c: WalkComplete = serde_json::from_value(change.payload.clone())
                    .map_err(|_| refuse("malformed walk completion"))?;
                if c.walk_id != change.entity_id {
                    return Err(refuse("walk id disagrees with the change"));
                }
                if c.completed.device != change.device_id || c.completed > change.hlc {
                    return Err(refuse(
                        "completion stamp is not its sender's or is after the change",
                    ));
                }
                let current: Option<Option<String>> = tx
                    .query_row(
                        "SELECT completed_hlc FROM adv_walks WHERE id = ?1",
                        [&c.walk_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let current = current.ok_or_else(|| refuse("unknown walk"))?;
                // Completed on several devices apart: every device keeps the earliest
                // completion, whatever order they arrive in.
                let earlier = match current.map(|h| h.parse::<Hlc>()) {
                    None => true,
                    Some(Ok(h)) => c.completed < h,
                    Some(Err(_)) => {
                        return Err(ApplyError::Store(crate::error::StoreError::DatabaseCorrupt))
                    }
                };
                if earlier {
                    tx.execute(
                        "UPDATE adv_walks SET completed_hlc = ?2, completed_by = ?3 WHERE id = ?1",
                        params![c.walk_id, c.completed.to_string(), c.completed_by],
                    )?;
                }
                Ok(())
            }
            _ => Err(refuse("not a walk change")),
        }
    }
}

/// `checklist.walk.signoff`: a walk sealed on another device. Verified under the key the
/// signer enrolled with (the change's author key, registered on first sight), then kept,
/// sealed. The walk's sign-off is the first sealed of those kept (see
/// [`super::walk::get_signoff`]), and from then on the walk is what that sign-off sealed:
/// answers sent from elsewhere after it are refused by [`AnswerApplier`].
pub struct SignOffApplier;

impl RemoteApplier for SignOffApplier {
    fn apply(&self, tx: &Transaction<'_>, change: &Change) -> Result<(), ApplyError> {
        if change.kind != "checklist.walk.signoff" {
            return Err(refuse("not a walk sign-off"));
        }
        let s: SignedSnapshot = serde_json::from_value(change.payload.clone())
            .map_err(|_| refuse("malformed walk sign-off"))?;
        if s.walk_id != change.entity_id {
            return Err(refuse("walk id disagrees with the change"));
        }
        if s.device_id != change.device_id {
            return Err(refuse("the sign-off names another device than its sender"));
        }
        let key = crate::incident::remote::learn_key(tx, change)?;
        if !s.public_key.eq_ignore_ascii_case(&hex::encode(&key)) {
            return Err(refuse(
                "the sign-off's key is not the one its device enrolled with",
            ));
        }
        verify_snapshot_with_key(&s, &key).map_err(domain)?;
        let sealed = sealed_stamp(&s).ok_or_else(|| refuse("the sign-off has no seal stamp"))?;
        if sealed.device != change.device_id || sealed > change.hlc {
            return Err(refuse(
                "seal stamp is not its sender's or is after the change",
            ));
        }
        let walk = sealed_walk(&s).ok_or_else(|| refuse("the sealed walk is malformed"))?;
        if walk.completed.is_none() {
            return Err(refuse("the sealed walk was not completed"));
        }
        if walk.answers.iter().any(|a| a.walk_id != s.walk_id) {
            return Err(refuse("the sealed walk holds another walk's answers"));
        }
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM adv_walks WHERE id = ?1)",
            [&s.walk_id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(refuse("unknown walk"));
        }
        let snapshot = serde_json::to_string(&s).map_err(crate::error::StoreError::from)?;
        // Delivered again: the same seal is already kept.
        tx.execute(
            "INSERT OR IGNORE INTO adv_signoffs(walk_id, snapshot, hlc) VALUES (?1, ?2, ?3)",
            params![s.walk_id, snapshot, sealed.to_string()],
        )?;
        Ok(())
    }
}

/// Checks a document is a valid record of `kind` (the record modules name `RecordKind`, so
/// the check that names their types lives here, above them).
fn check_record(kind: RecordKind, doc: &Value) -> AdvanceResult<()> {
    let ok = match kind {
        RecordKind::Venue => serde_json::from_value::<super::Venue>(doc.clone()).is_ok(),
        RecordKind::Haven => serde_json::from_value::<super::SafeHaven>(doc.clone()).is_ok(),
        RecordKind::Route => serde_json::from_value::<super::Route>(doc.clone()).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(AdvanceError::invalid(kind.name(), "not a valid record"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advance::venue::{get_venue, save_venue, VenueInput};
    use crate::store::outbox;
    use crate::sync::apply::{receive, Appliers};
    use crate::sync::InboxState;
    use crate::testing::fast_kdf;
    use crate::Vault;

    fn vault(dir: &std::path::Path) -> Vault {
        let kdf = fast_kdf();
        Vault::create(dir, b"pass phrase", kdf, None).unwrap()
    }

    fn input(id: Option<String>, name: &str, notes: &str) -> VenueInput {
        VenueInput {
            id,
            name: name.into(),
            address: None,
            position: None,
            boundary: None,
            points: vec![],
            contacts: vec![],
            notes: notes.into(),
        }
    }

    #[test]
    fn local_unsent_fields_stay_on_top_and_are_queued_again_restamped() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = vault(dir.path());
        let db = v.db_mut().unwrap();
        let local = save_venue(db, &input(None, "Grand", "")).unwrap();
        // The creation reached the server (the other device has the venue from it).
        let created = outbox::list(db.conn(), 0, 100).unwrap()[0].seq;
        db.sync_transaction(|tx, _| outbox::ack(tx, created))
            .unwrap();
        // Unsent local edit of the name.
        save_venue(db, &input(Some(local.id.clone()), "Local name", "")).unwrap();
        let before = outbox::list(db.conn(), 0, 100).unwrap().len();

        // Another device later renames it and writes notes.
        let later = Hlc {
            physical_ms: crate::clock::now_ms() + 1_000,
            counter: 0,
            device: "other".into(),
        };
        let mut payload = serde_json::to_value(&local).unwrap();
        payload["name"] = "Remote name".into();
        payload["notes"] = "Remote notes".into();
        payload["updated"] = later.to_string().into();
        let stamps: serde_json::Map<String, Value> = ["name", "notes", "updated"]
            .iter()
            .map(|k| (k.to_string(), Value::from(later.to_string())))
            .collect();
        payload[STAMPS_KEY] = Value::Object(stamps);
        let change = Change {
            server_seq: 1,
            device_id: "other".into(),
            seq: 1,
            op_id: "op-1".into(),
            hlc: Hlc {
                counter: 1,
                ..later.clone()
            },
            kind: "venue.upsert".into(),
            entity_id: local.id.clone(),
            payload,
            public_key: None,
        };
        let mut appliers = Appliers::new();
        appliers.register("venue.upsert", std::sync::Arc::new(RecordApplier));
        let state = db
            .sync_transaction(|tx, clock| receive(tx, clock, &appliers, &change))
            .unwrap();
        assert_eq!(state, Some(InboxState::Applied));

        let merged = get_venue(db, &local.id).unwrap();
        assert_eq!(merged.name, "Local name", "the unsent local field stays");
        assert_eq!(merged.notes, "Remote notes", "the remote field lands");
        let queued = outbox::list(db.conn(), 0, 100).unwrap();
        assert_eq!(queued.len(), before + 1, "the local value is queued again");
        let last = queued.last().unwrap();
        let name_stamp: Hlc = last.payload[STAMPS_KEY]["name"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(name_stamp > change.hlc, "restamped after the remote write");
        assert_eq!(last.payload["notes"], "Remote notes");

        // Delivered again (resync): nothing changes, nothing more is queued.
        let again = Change {
            op_id: "op-1-again".into(),
            ..change
        };
        db.sync_transaction(|tx, clock| receive(tx, clock, &appliers, &again))
            .unwrap();
        assert_eq!(get_venue(db, &local.id).unwrap(), merged);
        assert_eq!(outbox::list(db.conn(), 0, 100).unwrap().len(), before + 1);
    }

    /// Everything device `from` has queued, as the changes a teammate would pull.
    fn changes_of(from: &mut Vault, key: [u8; 32]) -> Vec<Change> {
        let db = from.db_mut().unwrap();
        let device = db.device_id().to_string();
        let key = hex::encode(key);
        outbox::list(db.conn(), 0, 100)
            .unwrap()
            .into_iter()
            .map(|e| Change {
                server_seq: e.seq,
                device_id: device.clone(),
                seq: e.seq,
                op_id: e.op_id,
                hlc: e.hlc,
                kind: e.kind,
                entity_id: e.entity_id,
                payload: e.payload,
                public_key: Some(key.clone()),
            })
            .collect()
    }

    fn signed_walk(v: &mut Vault) -> String {
        use crate::advance::walk::{self, AnswerInput, AnswerValue, CheckState};
        let db = v.db_mut().unwrap();
        let w = walk::start_walk_with(
            db,
            &crate::advance::template::ChecklistTemplate::from_json(
                r#"{"format": "vigil.checklist-template/1", "id": "t", "version": 1,
                    "title": "T", "kind": "other", "sections": [{"id": "s", "title": "S",
                    "items": [{"id": "a", "label": "A", "kind": "check", "required": true}]}]}"#,
            )
            .unwrap(),
            &WalkSubject::Other {
                label: "Car".into(),
            },
            "PS Hale",
        )
        .unwrap();
        let input = AnswerInput {
            item_id: "a".into(),
            value: AnswerValue::Check {
                state: CheckState::Ok,
            },
            note: String::new(),
            issue: false,
            position: None,
            photos: vec![],
            officer: "PS Hale".into(),
            answered_at_ms: None,
        };
        walk::answer_item(db, &w.id, &input).unwrap();
        walk::complete_walk(db, &w.id, "PS Hale").unwrap();
        walk::sign_off_walk(db, &w.id, "PS Hale").unwrap();
        w.id
    }

    fn deliver(to: &mut Vault, changes: &[Change]) -> Vec<InboxState> {
        let appliers = crate::team::domain().appliers;
        let db = to.db_mut().unwrap();
        changes
            .iter()
            .map(|c| {
                db.sync_transaction(|tx, clock| receive(tx, clock, &appliers, c))
                    .unwrap()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn a_signoff_is_kept_only_under_the_key_its_device_enrolled_with() {
        use crate::advance::walk::{get_walk, WalkState};
        let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut author = vault(dirs[0].path());
        let other = vault(dirs[1].path());
        let mut teammate = vault(dirs[2].path());
        let key = |v: &Vault| v.db().unwrap().device_key().public_key();
        let walk_id = signed_walk(&mut author);

        // Relayed under a key that is not the author's: the sign-off is refused (its
        // signature does not verify under that key), the walk stays completed.
        let forged = changes_of(&mut author, key(&other));
        let states = deliver(&mut teammate, &forged);
        assert_eq!(states.last(), Some(&InboxState::Failed));
        let db = teammate.db_mut().unwrap();
        let w = get_walk(db, &walk_id).unwrap();
        assert_eq!(w.state, WalkState::Completed);
        let note = crate::sync::apply::inbox(db.conn(), Some("checklist.walk.signoff")).unwrap()[0]
            .note
            .clone()
            .unwrap();
        assert!(note.contains("key"), "{note}");

        // Under the author's own key, on another device: applied, and the walk there is
        // the author's, signed off.
        let mut fresh = vault(dirs[3].path());
        let own = key(&author);
        let genuine = changes_of(&mut author, own);
        let states = deliver(&mut fresh, &genuine);
        assert!(
            states.iter().all(|s| *s == InboxState::Applied),
            "{states:?}"
        );
        let here = get_walk(fresh.db_mut().unwrap(), &walk_id).unwrap();
        let there = get_walk(author.db_mut().unwrap(), &walk_id).unwrap();
        assert_eq!(here.state, WalkState::SignedOff);
        assert_eq!(here, there);
    }
}
