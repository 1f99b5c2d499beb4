-- Sync: the inbox of changes pulled from the team server. Domain appliers (by kind) apply
-- them in the same transaction that stores them and the pull cursor; a change no applier
-- claims is kept here as it came.
--   state: stored (no applier), applied, failed (the applier refused it: note says why),
--          refused (its clock stamp was too far in the future: note says by how much).
CREATE TABLE remote_changes (
    op_id        TEXT    PRIMARY KEY NOT NULL,
    server_seq   INTEGER NOT NULL,
    device_id    TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    hlc          TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    received_ms  INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    note         TEXT
) STRICT;
CREATE INDEX remote_changes_entity ON remote_changes(kind, entity_id);
