-- Console passkeys (WebAuthn, issue 16): a user's registered credentials. Only public
-- keys are stored; a copy of the database signs nobody in. (0006 is the Team page's
-- "pending as last reported".)

CREATE TABLE console_passkeys (
    id               TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES console_users(id),
    -- The authenticator's credential id (at most 1023 bytes): unique server-wide.
    credential_id    BLOB NOT NULL UNIQUE,
    -- The user's label ("work laptop").
    name             TEXT NOT NULL,
    -- COSE algorithm: -7 (ES256) or -8 (Ed25519).
    alg              INTEGER NOT NULL,
    -- ES256: the uncompressed SEC1 point (65 bytes); Ed25519: the 32-byte key.
    public_key       BLOB NOT NULL,
    -- The last signature counter seen (clone detection when non-zero).
    sign_count       INTEGER NOT NULL DEFAULT 0,
    -- 1 when the authenticator said the passkey is backed up (synced), else 0.
    backed_up        INTEGER NOT NULL DEFAULT 0,
    created_ms       INTEGER NOT NULL,
    last_used_ms     INTEGER
);
CREATE INDEX console_passkeys_user ON console_passkeys(user_id);
