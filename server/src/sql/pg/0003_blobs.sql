-- Blobs (attachment files as sealed on the device), per team, addressed by the SHA-256 of
-- their bytes. Uploaded in chunks appended in order; complete once the whole blob arrived
-- and its SHA-256 matched. A device reads only its own team's complete blobs.
CREATE TABLE blobs (
    team_id      TEXT    NOT NULL REFERENCES teams(id),
    sha256       TEXT    NOT NULL,
    size         BIGINT  NOT NULL CHECK (size > 0),
    received     BIGINT  NOT NULL DEFAULT 0,
    complete     BOOLEAN NOT NULL DEFAULT FALSE,
    uploader     TEXT    NOT NULL REFERENCES devices(id),
    created_ms   BIGINT  NOT NULL,
    PRIMARY KEY (team_id, sha256)
);

CREATE TABLE blob_chunks (
    team_id  TEXT    NOT NULL,
    sha256   TEXT    NOT NULL,
    pos BIGINT  NOT NULL,
    len      BIGINT  NOT NULL,
    data     BYTEA   NOT NULL,
    PRIMARY KEY (team_id, sha256, pos),
    FOREIGN KEY (team_id, sha256) REFERENCES blobs(team_id, sha256)
);
