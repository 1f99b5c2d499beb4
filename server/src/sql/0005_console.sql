-- The web console (issue 16): its users (not devices), their sessions and the audit log
-- of what they did. A user belongs to one team and sees only that team.

CREATE TABLE console_users (
    id               TEXT PRIMARY KEY NOT NULL,
    team_id          TEXT NOT NULL REFERENCES teams(id),
    name             TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL CHECK (role IN ('leader', 'viewer')),
    -- Argon2id, PHC string (salt and parameters inside).
    passphrase_hash  TEXT NOT NULL,
    -- The RFC 6238 shared secret (20 random bytes).
    totp_secret      BLOB NOT NULL,
    -- The last 30-second step a code was accepted for: a code works once.
    totp_last_step   INTEGER NOT NULL DEFAULT 0,
    created_ms       INTEGER NOT NULL
);

-- Only the SHA-256 of a session id is kept: a copy of the database opens no session.
CREATE TABLE console_sessions (
    id_hash       TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES console_users(id),
    csrf_token    TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    last_seen_ms  INTEGER NOT NULL,
    expires_ms    INTEGER NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_ms);

CREATE TABLE console_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id    TEXT NOT NULL REFERENCES teams(id),
    user_name  TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX console_audit_team ON console_audit(team_id, id);
