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
