-- PostgreSQL form of sql/0007_passkeys.sql: the same table, columns and constraints.

CREATE TABLE console_passkeys (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES console_users(id),
    credential_id    BYTEA NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    alg              BIGINT NOT NULL,
    public_key       BYTEA NOT NULL,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    backed_up        BIGINT NOT NULL DEFAULT 0,
    created_ms       BIGINT NOT NULL,
    last_used_ms     BIGINT
);
CREATE INDEX console_passkeys_user ON console_passkeys(user_id);
