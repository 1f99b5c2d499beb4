-- Incident chain anchoring: each device's latest verified incident entry, and the
-- server's own signing key (for countersigned receipts).

-- Moved in the same transaction as the `changes` row of the entry it names. A device's
-- next incident entry must have seq + 1 and prev_hash = hash.
CREATE TABLE chain_heads (
    device_id    TEXT PRIMARY KEY NOT NULL REFERENCES devices(id),
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    hash         BLOB NOT NULL CHECK (length(hash) = 32),
    signature    BLOB NOT NULL CHECK (length(signature) = 64),
    anchored_ms  INTEGER NOT NULL
);

-- One row: the Ed25519 key (PKCS#8) receipts are signed with, created at first start.
-- Whoever holds this database holds the key.
CREATE TABLE server_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    pkcs8       BLOB NOT NULL,
    created_ms  INTEGER NOT NULL
);

-- A server upgraded from the release before anchoring already holds incident entries:
-- each device's head starts at its latest stored entry (as that release accepted it), so
-- the device's next entry links on instead of being refused as "missing entries".
INSERT INTO chain_heads(device_id, seq, hash, signature, anchored_ms)
SELECT c.device_id,
       json_extract(c.payload, '$.seq'),
       unhex(json_extract(c.payload, '$.hash')),
       unhex(json_extract(c.payload, '$.signature')),
       c.received_ms
FROM changes c
WHERE c.server_seq = (SELECT max(c2.server_seq) FROM changes c2
                      WHERE c2.device_id = c.device_id AND c2.kind = 'incident.entry')
  AND json_valid(c.payload)
  AND json_extract(c.payload, '$.seq') >= 1
  AND length(unhex(json_extract(c.payload, '$.hash'))) = 32
  AND length(unhex(json_extract(c.payload, '$.signature'))) = 64;
