-- PostgreSQL form of sql/0001_init.sql: the same tables, columns and constraints.

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE officers (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    name        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(id),
    officer_id   TEXT NOT NULL REFERENCES officers(id),
    public_key   BYTEA NOT NULL,
    revoked      BOOLEAN NOT NULL DEFAULT FALSE,
    enrolled_ms  BIGINT NOT NULL,
    revoked_ms   BIGINT
);

CREATE TABLE enrollment_codes (
    code_hash   TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL,
    used_ms     BIGINT,
    used_by     TEXT
);

CREATE TABLE device_cursor (
    device_id  TEXT PRIMARY KEY REFERENCES devices(id),
    last_seq   BIGINT NOT NULL
);

CREATE TABLE changes (
    server_seq   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(id),
    device_id    TEXT NOT NULL REFERENCES devices(id),
    seq          BIGINT NOT NULL,
    op_id        TEXT NOT NULL UNIQUE,
    hlc          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_ms  BIGINT NOT NULL,
    UNIQUE (device_id, seq)
);
CREATE INDEX changes_team ON changes(team_id, server_seq);

CREATE TABLE op_results (
    device_id  TEXT NOT NULL REFERENCES devices(id),
    seq        BIGINT NOT NULL,
    op_id      TEXT NOT NULL UNIQUE,
    outcome    TEXT NOT NULL,
    reason     TEXT,
    PRIMARY KEY (device_id, seq)
);
