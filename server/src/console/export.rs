//! The console's export: the signed entries of a selection of the team's incidents, as
//! the devices signed and sent them, with each reporting device's enrolled public key, its
//! anchored chain head and a receipt the server signs now over that head. A recipient
//! checks every entry on its own (the entry hash over seq, prev_hash, device and body, and
//! the Ed25519 signature under the device's key; docs/INCIDENT_LOG.md) and the receipts
//! under the server's key. It discloses only the selected incidents, so the chain links
//! between them are not all there: the receipts say how far each chain was anchored.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::session::Current;
use super::view::Filter;
use super::ConsoleState;
use crate::error::ServerError;

pub const FORMAT: &str = "vigil.console-export/1";

/// The export of the incidents `filter` selects, made at `now_ms`, and how many.
pub(crate) fn incidents_json(
    s: &ConsoleState,
    cur: &Current,
    filter: &Filter,
    now_ms: u64,
) -> Result<(usize, Vec<u8>), ServerError> {
    let storage = s.ctx.storage.as_ref();
    let view = s.views.get(storage, &cur.team.id)?;
    let selected = view.filtered(filter);
    let server_key = s.ctx.server_key()?;
    let mut devices = BTreeMap::new();
    let mut incidents = Vec::new();
    for i in &selected {
        for e in &i.entries {
            if devices.contains_key(&e.device_id) {
                continue;
            }
            let Some(d) = storage.device(&e.device_id)? else {
                continue;
            };
            let head = storage.chain_head(&d.id)?;
            let receipt = head.as_ref().map(|h| h.receipt(&d, server_key));
            devices.insert(
                d.id.clone(),
                json!({
                    "device_id": d.id,
                    "officer": i.enrolled_officer,
                    "public_key": hex::encode(&d.public_key),
                    "revoked": d.revoked,
                    "anchored_head": head.as_ref().map(|h| json!({
                        "seq": h.seq,
                        "hash": hex::encode(h.hash),
                        "signature": hex::encode(&h.signature),
                        "anchored_ms": h.anchored_ms,
                    })),
                    "receipt": receipt,
                }),
            );
        }
        incidents.push(json!({
            "incident_id": i.id,
            "entries": i.entries.iter().map(|e| e.payload.clone()).collect::<Vec<Value>>(),
            "attachments": i.report.attachments,
        }));
    }
    let doc = json!({
        "format": FORMAT,
        "team": cur.team.name,
        "exported_at_ms": now_ms,
        "exported_by": cur.user.name,
        "selection": filter.query(),
        "server_public_key": hex::encode(server_key.public_key()),
        "devices": devices.into_values().collect::<Vec<Value>>(),
        "incidents": incidents,
    });
    let bytes = serde_json::to_vec_pretty(&doc)
        .map_err(|_| ServerError::Storage("export encoding".into()))?;
    Ok((selected.len(), bytes))
}
