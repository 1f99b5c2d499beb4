-- Protocol 3: a record may reach the server before the blob it names. Each such blob is
-- expected from the device that announced it until it is whole: the server lists it in
-- that device's push answers (`pending_blobs`) and answers teammates `409 blob_pending`.
-- Rows go when the blob completes; a row whose blob is complete is ignored anyway.
CREATE TABLE blob_pending (
    team_id       TEXT    NOT NULL REFERENCES teams(id),
    sha256        TEXT    NOT NULL,
    size          BIGINT  NOT NULL CHECK (size > 0),
    device_id     TEXT    NOT NULL REFERENCES devices(id),
    announced_ms  BIGINT  NOT NULL,
    PRIMARY KEY (team_id, sha256, device_id)
);

CREATE INDEX blob_pending_by_device ON blob_pending(device_id, announced_ms);
