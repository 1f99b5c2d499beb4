-- Advance work: venues, safe havens, routes, checklist templates, checklist walks.
-- Venues, havens and routes are stored as JSON documents (validated by the core before
-- they are written) with the clock stamp of their last change; the whole file is
-- encrypted, so no field needs separate protection.

CREATE TABLE adv_venues (
    id    TEXT PRIMARY KEY NOT NULL,
    name  TEXT NOT NULL,
    doc   TEXT NOT NULL,
    hlc   TEXT NOT NULL
) STRICT;

CREATE TABLE adv_havens (
    id    TEXT PRIMARY KEY NOT NULL,
    kind  TEXT NOT NULL,
    doc   TEXT NOT NULL,
    hlc   TEXT NOT NULL
) STRICT;
CREATE INDEX adv_havens_kind ON adv_havens(kind);

CREATE TABLE adv_routes (
    id       TEXT PRIMARY KEY NOT NULL,
    journey  TEXT,
    doc      TEXT NOT NULL,
    hlc      TEXT NOT NULL
) STRICT;
CREATE INDEX adv_routes_journey ON adv_routes(journey);

-- Custom (imported) checklist templates; built-in ones ship inside the library.
CREATE TABLE adv_templates (
    id       TEXT NOT NULL,
    version  INTEGER NOT NULL,
    doc      TEXT NOT NULL,
    hlc      TEXT NOT NULL,
    PRIMARY KEY (id, version)
) STRICT;

-- A walk holds its own copy of the template, so later template edits leave it alone.
CREATE TABLE adv_walks (
    id             TEXT PRIMARY KEY NOT NULL,
    template_doc   TEXT NOT NULL,
    subject_kind   TEXT NOT NULL,
    subject_id     TEXT NOT NULL,
    started_hlc    TEXT NOT NULL,
    started_by     TEXT NOT NULL,
    completed_hlc  TEXT,
    completed_by   TEXT
) STRICT;
CREATE INDEX adv_walks_subject ON adv_walks(subject_kind, subject_id);

-- One record per (walk, item): officers answer item by item and merge by clock stamp.
CREATE TABLE adv_answers (
    walk_id  TEXT NOT NULL REFERENCES adv_walks(id),
    item_id  TEXT NOT NULL,
    record   TEXT NOT NULL,
    hlc      TEXT NOT NULL,
    PRIMARY KEY (walk_id, item_id)
) STRICT;

-- The sealed, signed snapshot of a walk at sign-off. Written once.
CREATE TABLE adv_signoffs (
    walk_id    TEXT PRIMARY KEY NOT NULL REFERENCES adv_walks(id),
    snapshot   TEXT NOT NULL,
    hlc        TEXT NOT NULL
) STRICT;
CREATE TRIGGER adv_signoffs_no_update BEFORE UPDATE ON adv_signoffs
BEGIN SELECT RAISE(ABORT, 'sign-offs are sealed'); END;
CREATE TRIGGER adv_signoffs_no_delete BEFORE DELETE ON adv_signoffs
BEGIN SELECT RAISE(ABORT, 'sign-offs are sealed'); END;
