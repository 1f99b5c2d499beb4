-- Teams, officers, their devices, one-time enrollment codes, and the change log.

CREATE TABLE teams (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE officers (
    id          TEXT PRIMARY KEY NOT NULL,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    name        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY NOT NULL,
    team_id      TEXT NOT NULL REFERENCES teams(id),
    officer_id   TEXT NOT NULL REFERENCES officers(id),
    public_key   BLOB NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0,
    enrolled_ms  INTEGER NOT NULL,
    revoked_ms   INTEGER
);

-- Only the SHA-256 of a code is kept; a code is used once.
CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY NOT NULL,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER,
    used_by     TEXT
);

-- The last sequence number applied per device, moved in the same transaction as the effects.
CREATE TABLE device_cursor (
    device_id  TEXT PRIMARY KEY NOT NULL REFERENCES devices(id),
    last_seq   INTEGER NOT NULL
);

CREATE TABLE changes (
    server_seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id      TEXT NOT NULL REFERENCES teams(id),
    device_id    TEXT NOT NULL REFERENCES devices(id),
    seq          INTEGER NOT NULL,
    op_id        TEXT NOT NULL UNIQUE,
    hlc          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_ms  INTEGER NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX changes_team ON changes(team_id, server_seq);

-- The result of every consumed sequence number, answered again to a repeat.
CREATE TABLE op_results (
    device_id  TEXT NOT NULL REFERENCES devices(id),
    seq        INTEGER NOT NULL,
    op_id      TEXT NOT NULL UNIQUE,
    outcome    TEXT NOT NULL,
    reason     TEXT,
    PRIMARY KEY (device_id, seq)
);
