-- PostgreSQL form of sql/0005_console.sql: the same tables, columns and constraints.

CREATE TABLE console_users (
    id               TEXT PRIMARY KEY,
    team_id          TEXT NOT NULL REFERENCES teams(id),
    name             TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL CHECK (role IN ('leader', 'viewer')),
    passphrase_hash  TEXT NOT NULL,
    totp_secret      BYTEA NOT NULL,
    totp_last_step   BIGINT NOT NULL DEFAULT 0,
    created_ms       BIGINT NOT NULL
);

CREATE TABLE console_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES console_users(id),
    csrf_token    TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_ms);

CREATE TABLE console_audit (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id),
    user_name  TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    at_ms      BIGINT NOT NULL
);
CREATE INDEX console_audit_team ON console_audit(team_id, id);
