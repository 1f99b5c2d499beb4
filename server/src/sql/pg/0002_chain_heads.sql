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
