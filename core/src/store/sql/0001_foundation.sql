-- Foundation: store metadata, the device identity, and the outbox (the sync queue).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT;

-- Every local change appends here in the same transaction as the change itself.
-- seq is the per-device sequence number: AUTOINCREMENT so a number is never reused,
-- even after acknowledged entries leave the queue.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id        TEXT    NOT NULL UNIQUE,
    hlc          TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    quarantined  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_entity ON outbox(entity_id);
