-- PostgreSQL form of sql/0002_chain_heads.sql: the same tables, columns and constraints.

CREATE TABLE chain_heads (
    device_id    TEXT PRIMARY KEY REFERENCES devices(id),
    seq          BIGINT NOT NULL CHECK (seq >= 1),
    hash         BYTEA NOT NULL CHECK (length(hash) = 32),
    signature    BYTEA NOT NULL CHECK (length(signature) = 64),
    anchored_ms  BIGINT NOT NULL
);

CREATE TABLE server_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    pkcs8       BYTEA NOT NULL,
    created_ms  BIGINT NOT NULL
);

-- A server upgraded from the release before anchoring already holds incident entries:
-- each device's head starts at its latest stored entry (as that release accepted it), so
-- the device's next entry links on instead of being refused as "missing entries".
INSERT INTO chain_heads(device_id, seq, hash, signature, anchored_ms)
SELECT DISTINCT ON (c.device_id)
       c.device_id,
       (c.payload::jsonb ->> 'seq')::bigint,
       decode(c.payload::jsonb ->> 'hash', 'hex'),
       decode(c.payload::jsonb ->> 'signature', 'hex'),
       c.received_ms
FROM changes c
WHERE c.kind = 'incident.entry'
  AND c.payload::jsonb ->> 'seq' ~ '^[1-9][0-9]{0,17}$'
  AND c.payload::jsonb ->> 'hash' ~ '^[0-9a-f]{64}$'
  AND c.payload::jsonb ->> 'signature' ~ '^[0-9a-f]{128}$'
ORDER BY c.device_id, c.server_seq DESC;
