-- What each device last reported it still had to send (push batches and pull requests may
-- carry `pending`, not signed; docs/SYNC.md), with the server's time of the report, for
-- the console's Team page. One row per device, replaced at each report; a device that
-- never reported (an older app) has none.
CREATE TABLE device_pending (
    device_id    TEXT    PRIMARY KEY NOT NULL REFERENCES devices(id),
    changes      INTEGER NOT NULL CHECK (changes >= 0),
    attachments  INTEGER NOT NULL CHECK (attachments >= 0),
    reported_ms  INTEGER NOT NULL
);
