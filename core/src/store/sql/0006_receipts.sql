-- Chain receipts: the team server's countersigned statement that it verified and
-- anchored a device's incident chain up to seq (entry hash `hash`). The latest per
-- device, with the server key it verified under (checked before it is stored).
CREATE TABLE incident_receipts (
    device_id          TEXT    PRIMARY KEY NOT NULL,
    seq                INTEGER NOT NULL CHECK (seq >= 1),
    hash               BLOB    NOT NULL CHECK (length(hash) = 32),
    anchored_ms        INTEGER NOT NULL,
    signature          BLOB    NOT NULL CHECK (length(signature) = 64),
    server_public_key  BLOB    NOT NULL CHECK (length(server_public_key) = 32),
    received_ms        INTEGER NOT NULL
) STRICT;
