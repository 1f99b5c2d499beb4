//! The evidence package the team server assembles from what the devices pushed: every
//! chain that reported a chosen incident as a chain copy (`vigil.incident-chain.v2`: each
//! entry exactly as its device signed it), the server's receipt for each chain, the
//! attachments as stored (each checked against the size and SHA-256 its signed entry
//! states), and a manifest signed by the server's key with maker `team_server`. The
//! server cannot sign a device's bundle, and the manifest does not claim it did.

use std::io::{Seek, Write};

use super::manifest::{ManifestPayload, PackageMaker, Role};
use super::package::{summary, write_zip, Builder, PackageSummary, Sink};
use super::readme;
use crate::crypto::signing::DeviceKey;
use crate::incident::chain::StoredEntry;
use crate::incident::export::{build_chain_copy, BundleAnchor, ExportScope};
use crate::incident::model::AttachmentRef;
use crate::incident::{CheckedEntry, IncidentError, IncidentResult};
use crate::sync::protocol::ChainReceipt;

/// One device's chain as the team server holds it: every link it pushed, from seq 1 in
/// order, each checked on the way in ([`crate::incident::check_entry`]), and the receipt
/// the server signs over its head.
pub struct PushedChain {
    pub device_id: String,
    pub public_key: [u8; 32],
    pub entries: Vec<CheckedEntry>,
    pub receipt: ChainReceipt,
}

/// Streams the plaintext of an incident's attachment into the writer; an error (not
/// uploaded, does not open) stops the export.
pub type AttachmentReader<'a> =
    dyn FnMut(&str, &AttachmentRef, &mut dyn Write) -> IncidentResult<()> + 'a;

/// What the server packages: its team, its key, the chains, the chosen incidents.
pub struct ServerPackage<'a> {
    pub team_id: &'a str,
    pub server_key: &'a DeviceKey,
    pub chains: &'a [PushedChain],
    pub incidents: &'a [String],
}

fn stored(c: &PushedChain) -> Vec<StoredEntry> {
    c.entries
        .iter()
        .map(|e| StoredEntry {
            device_id: e.device_id.clone(),
            seq: e.seq,
            entry_id: e.body.entry_id.clone(),
            incident_id: e.body.incident_id.clone(),
            kind: e.body.kind.as_str().to_string(),
            amends: e.body.amendment.as_ref().map(|a| a.amends.clone()),
            prev_hash: e.prev_hash.to_vec(),
            hash: e.hash.to_vec(),
            signature: e.signature.clone(),
            body: e.body_bytes.clone(),
        })
        .collect()
}

/// Writes the package as a zip archive into `out` (the server sends it from memory: no
/// attachment is written in the clear to its disk). Refused with `UnknownIncident` when
/// no chain holds a chosen incident's report, `AttachmentCorrupt` when an attachment's
/// bytes are not the signed ones, or the writer's error (a size cap); the caller then
/// discards what `out` holds.
pub fn export_server_package<W: Write + Seek>(
    p: &ServerPackage<'_>,
    attachments: &mut AttachmentReader<'_>,
    out: W,
) -> IncidentResult<(W, PackageSummary)> {
    let (out, payload, manifest_len) = write_zip(out, p.server_key, &mut |b, sink| {
        write(p, attachments, b, sink)
    })?;
    Ok((out, summary(String::new(), true, payload, manifest_len)))
}

fn write(
    p: &ServerPackage<'_>,
    read: &mut AttachmentReader<'_>,
    b: &mut Builder,
    sink: &mut dyn Sink,
) -> IncidentResult<ManifestPayload> {
    let mut incidents = p.incidents.to_vec();
    incidents.sort();
    incidents.dedup();
    // The chain holding each chosen incident's report.
    let reporter = |id: &str| {
        p.chains.iter().position(|c| {
            c.entries
                .iter()
                .any(|e| e.body.incident_id == id && e.body.report.is_some())
        })
    };
    let mut by_chain: Vec<Vec<String>> = vec![Vec::new(); p.chains.len()];
    for id in &incidents {
        let n = reporter(id).ok_or(IncidentError::UnknownIncident)?;
        by_chain[n].push(id.clone());
    }
    let server_public_key = hex::encode(p.server_key.public_key());
    b.put_bytes(sink, "README.txt", Role::Readme, readme::TEXT.as_bytes())?;
    let mut n = 0;
    let mut refs: Vec<(String, AttachmentRef)> = Vec::new();
    for (chain, ids) in p.chains.iter().zip(&by_chain) {
        if ids.is_empty() {
            continue;
        }
        n += 1;
        let bytes = build_chain_copy(
            &chain.device_id,
            &chain.public_key,
            &stored(chain),
            &ExportScope::Incidents(ids.clone()),
        )?;
        b.put_chain(sink, n, Role::Chain, &bytes)?;
        let anchor = BundleAnchor {
            server_public_key: server_public_key.clone(),
            receipt: chain.receipt.clone(),
        };
        b.put_receipt(sink, n, &anchor)?;
        // The attachments the disclosed entries reference, in chain order.
        for e in chain
            .entries
            .iter()
            .filter(|e| ids.contains(&e.body.incident_id))
        {
            let listed = match (&e.body.report, &e.body.amendment) {
                (Some(r), _) => r.attachments.clone(),
                (None, Some(a)) => a.patch.attachments.clone().unwrap_or_default(),
                _ => vec![],
            };
            for a in listed {
                if !refs
                    .iter()
                    .any(|(i, r)| *i == e.body.incident_id && r.id == a.id)
                {
                    refs.push((e.body.incident_id.clone(), a));
                }
            }
        }
    }
    let mut entries = Vec::new();
    for (incident, a) in refs {
        entries.push(b.put_attachment(sink, &incident, &a, &mut |w| read(&incident, &a, w))?);
    }
    Ok(ManifestPayload {
        created_at: crate::incident::model::now(),
        maker: PackageMaker::TeamServer,
        maker_id: p.team_id.to_string(),
        public_key: server_public_key,
        incidents,
        files: b.take_files(),
        attachments: entries,
    })
}
