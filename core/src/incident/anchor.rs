//! Anchoring: the team server's countersigned receipts for this device's chain. The
//! engine stores the latest verified receipt (`incident_receipts`) with the acks of the
//! push that brought it; `verify` and bundles then check that the chain still reaches
//! the anchored seq with the anchored hash (see docs/INCIDENT_LOG.md, "Anchoring").

use rusqlite::{params, Connection, OptionalExtension};

use crate::clock::now_ms;
use crate::error::{StoreError, StoreResult};
use crate::sync::protocol::ChainReceipt;

/// A receipt as stored, with the server key it was verified under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReceipt {
    pub receipt: ChainReceipt,
    pub server_public_key: [u8; 32],
}

/// Keeps `r` as the device's latest receipt (a receipt for a lower seq than the stored
/// one is ignored). The caller has verified it under `server_public_key`.
pub fn store_receipt(
    conn: &Connection,
    r: &ChainReceipt,
    server_public_key: &[u8; 32],
) -> StoreResult<()> {
    let hash = r
        .hash_bytes()
        .ok_or(StoreError::invalid("receipt", "hash"))?;
    let sig = hex::decode(&r.signature).map_err(|_| StoreError::invalid("receipt", "signature"))?;
    conn.execute(
        "INSERT INTO incident_receipts(device_id, seq, hash, anchored_ms, signature,
                                       server_public_key, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
           anchored_ms = excluded.anchored_ms, signature = excluded.signature,
           server_public_key = excluded.server_public_key, received_ms = excluded.received_ms
         WHERE excluded.seq >= incident_receipts.seq",
        params![
            r.device_id,
            r.seq as i64,
            &hash[..],
            r.anchored_ms as i64,
            sig,
            &server_public_key[..],
            now_ms() as i64
        ],
    )?;
    Ok(())
}

/// The latest stored receipt for `device_id`, whose key is `device_public_key`. The
/// table keeps no version: a receipt whose signature verifies as version 2 for this key
/// is read as version 2, any other as version 1 (and fails `verify` if it is not one).
pub fn receipt(
    conn: &Connection,
    device_id: &str,
    device_public_key: &[u8; 32],
) -> StoreResult<Option<StoredReceipt>> {
    type Row = (i64, Vec<u8>, i64, Vec<u8>, Vec<u8>);
    let row: Option<Row> = conn
        .query_row(
            "SELECT seq, hash, anchored_ms, signature, server_public_key
             FROM incident_receipts WHERE device_id = ?1",
            [device_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((seq, hash, anchored_ms, signature, key)) = row else {
        return Ok(None);
    };
    let server_public_key: [u8; 32] = key.try_into().map_err(|_| StoreError::DatabaseCorrupt)?;
    let v1 = ChainReceipt {
        device_id: device_id.to_string(),
        device_public_key: None,
        seq: u64::try_from(seq).map_err(|_| StoreError::DatabaseCorrupt)?,
        hash: hex::encode(hash),
        anchored_ms: u64::try_from(anchored_ms).map_err(|_| StoreError::DatabaseCorrupt)?,
        signature: hex::encode(signature),
    };
    let v2 = ChainReceipt {
        device_public_key: Some(hex::encode(device_public_key)),
        ..v1.clone()
    };
    Ok(Some(StoredReceipt {
        receipt: if v2.verify(&server_public_key) {
            v2
        } else {
            v1
        },
        server_public_key,
    }))
}

/// How a chain fails its receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReceiptProblem {
    /// The receipt's signature does not verify under the server key given with it, it
    /// names another device, binds another device key (version 2), or anchors seq 0.
    BadReceipt,
    /// The chain ends before the anchored seq (a cut tail, a store rolled back).
    Behind,
    /// The entry at the anchored seq has another hash (a rewritten history).
    Mismatch,
}

/// Checks an intact chain (`hash_at(seq)` for its entries, `head_seq` its last) of
/// `device_id` under `device_public_key` against a receipt. Pure.
pub(crate) fn check_receipt(
    device_id: &str,
    device_public_key: &[u8],
    r: &ChainReceipt,
    server_public_key: &[u8],
    head_seq: u64,
    hash_at: impl Fn(u64) -> Option<Vec<u8>>,
) -> Option<ReceiptProblem> {
    if !r.verify_for(device_id, device_public_key, server_public_key) {
        return Some(ReceiptProblem::BadReceipt);
    }
    if head_seq < r.seq {
        return Some(ReceiptProblem::Behind);
    }
    let Some(anchored) = r.hash_bytes() else {
        return Some(ReceiptProblem::BadReceipt);
    };
    match hash_at(r.seq) {
        Some(h) if h[..] == anchored[..] => None,
        _ => Some(ReceiptProblem::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signing::DeviceKey;

    #[test]
    fn a_chain_is_checked_against_its_receipt() {
        let (server, _) = DeviceKey::generate().unwrap();
        let pk = server.public_key();
        let dk = [7u8; 32];
        let hashes = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let at = |seq: u64| {
            (seq as usize)
                .checked_sub(1)
                .and_then(|i| hashes.get(i))
                .map(|h| h.to_vec())
        };
        let r = ChainReceipt::signed("dev", Some(&dk), 2, &hashes[1], 5, &server);
        assert_eq!(check_receipt("dev", &dk, &r, &pk, 3, at), None);
        assert_eq!(check_receipt("dev", &dk, &r, &pk, 2, at), None);
        assert_eq!(
            check_receipt("dev", &dk, &r, &pk, 1, at),
            Some(ReceiptProblem::Behind)
        );
        let other = ChainReceipt::signed("dev", Some(&dk), 2, &[9u8; 32], 5, &server);
        assert_eq!(
            check_receipt("dev", &dk, &other, &pk, 3, at),
            Some(ReceiptProblem::Mismatch)
        );
        assert_eq!(
            check_receipt("dew", &dk, &r, &pk, 3, at),
            Some(ReceiptProblem::BadReceipt)
        );
        // The same chain under another device key: the receipt binds the genuine one.
        assert_eq!(
            check_receipt("dev", &[8u8; 32], &r, &pk, 3, at),
            Some(ReceiptProblem::BadReceipt)
        );
        // A version 1 receipt binds no key: it still verifies, as version 1.
        let v1 = ChainReceipt::signed("dev", None, 2, &hashes[1], 5, &server);
        assert_eq!(check_receipt("dev", &[8u8; 32], &v1, &pk, 3, at), None);
        // Seq 0 is never anchored.
        let zero = ChainReceipt::signed("dev", Some(&dk), 0, &[0u8; 32], 5, &server);
        assert_eq!(
            check_receipt("dev", &dk, &zero, &pk, 3, at),
            Some(ReceiptProblem::BadReceipt)
        );
        let (impostor, _) = DeviceKey::generate().unwrap();
        let forged = ChainReceipt::signed("dev", Some(&dk), 2, &hashes[1], 5, &impostor);
        assert_eq!(
            check_receipt("dev", &dk, &forged, &pk, 3, at),
            Some(ReceiptProblem::BadReceipt)
        );
    }

    #[test]
    fn a_stored_receipt_reads_back_in_its_version() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE incident_receipts(device_id TEXT PRIMARY KEY, seq INTEGER, hash BLOB,
             anchored_ms INTEGER, signature BLOB, server_public_key BLOB, received_ms INTEGER)",
        )
        .unwrap();
        let (server, _) = DeviceKey::generate().unwrap();
        let dk = [7u8; 32];
        for r in [
            ChainReceipt::signed("dev", Some(&dk), 2, &[2u8; 32], 5, &server),
            ChainReceipt::signed("dev", None, 3, &[3u8; 32], 6, &server),
        ] {
            store_receipt(&conn, &r, &server.public_key()).unwrap();
            let back = receipt(&conn, "dev", &dk).unwrap().unwrap();
            assert_eq!(back.receipt, r);
        }
    }
}
