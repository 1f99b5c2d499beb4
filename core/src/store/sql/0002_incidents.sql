-- Incidents: the append-only, hash-chained, signed log (the evidence), the chain head,
-- sealed-attachment keys, and derived tables for queries (not evidence: rebuilt from
-- the entries whenever an entry is appended).

-- One row per entry (report or amendment). body holds the exact canonical JSON bytes;
-- hash and signature are computed as documented in docs/INCIDENT_LOG.md.
CREATE TABLE incident_entries (
    device_id    TEXT    NOT NULL,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    entry_id     TEXT    NOT NULL UNIQUE,
    incident_id  TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('report', 'amendment')),
    amends       TEXT,
    prev_hash    BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash         BLOB    NOT NULL CHECK (length(hash) = 32),
    signature    BLOB    NOT NULL CHECK (length(signature) = 64),
    body         BLOB    NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;
CREATE INDEX incident_entries_incident ON incident_entries(incident_id, seq);

-- The pocket-notebook rule: no erasures. Corrections are amendments.
CREATE TRIGGER incident_entries_no_update BEFORE UPDATE ON incident_entries
BEGIN
    SELECT RAISE(ABORT, 'incident entries are append-only');
END;
CREATE TRIGGER incident_entries_no_delete BEFORE DELETE ON incident_entries
BEGIN
    SELECT RAISE(ABORT, 'incident entries are append-only');
END;

-- The latest entry of each device's chain, written with every append: a deleted tail
-- shows up as a head the entries no longer reach.
CREATE TABLE incident_chain_head (
    device_id  TEXT    PRIMARY KEY NOT NULL,
    seq        INTEGER NOT NULL,
    hash       BLOB    NOT NULL
) STRICT;

-- Sealed attachment files: each with its own random key (inside this encrypted file).
CREATE TABLE incident_attachments (
    id           TEXT    PRIMARY KEY NOT NULL,
    file_key     BLOB    NOT NULL CHECK (length(file_key) = 32),
    sha256       TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size > 0),
    mime         TEXT    NOT NULL,
    captured_at  TEXT,
    stored_ms    INTEGER NOT NULL
) STRICT;

-- Derived: each incident's current view (report with amendments applied), for lists.
CREATE TABLE incident_views (
    incident_id   TEXT    PRIMARY KEY NOT NULL,
    occurred_ms   INTEGER NOT NULL,
    recorded_ms   INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    category      TEXT    NOT NULL,
    severity_rank INTEGER,
    venue_id      TEXT,
    route_id      TEXT,
    amendments    INTEGER NOT NULL,
    view          TEXT    NOT NULL
) STRICT;
CREATE INDEX incident_views_occurred ON incident_views(occurred_ms DESC, incident_id DESC);
CREATE INDEX incident_views_category ON incident_views(category, occurred_ms DESC);
CREATE INDEX incident_views_severity ON incident_views(severity_rank, occurred_ms DESC);
CREATE INDEX incident_views_venue ON incident_views(venue_id, occurred_ms DESC);
CREATE INDEX incident_views_route ON incident_views(route_id, occurred_ms DESC);

-- Derived: full-text search over every entry's text (narratives, amendment reasons and
-- text, tags), inside the encrypted database.
CREATE VIRTUAL TABLE incident_fts USING fts5(
    entry_id UNINDEXED,
    incident_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
