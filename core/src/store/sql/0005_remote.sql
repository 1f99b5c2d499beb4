-- Remote changes that land in the domain tables.

-- The public keys of the team's other devices, learned from pulled changes (the server
-- sends each change's author key, registered at enrollment). The first key seen for a
-- device is kept; a change signed under another key for that device is refused.
CREATE TABLE device_keys (
    device_id      TEXT    PRIMARY KEY NOT NULL,
    public_key     BLOB    NOT NULL CHECK (length(public_key) = 32),
    first_seen_ms  INTEGER NOT NULL
) STRICT;

-- Per-field clock stamps of venues, havens and routes (kind: venue | haven | route):
-- stamps is a JSON object {field: hlc text}. Merges are last writer wins per field.
CREATE TABLE adv_field_stamps (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    stamps  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT;
