-- Full-text search, one row per incident instead of one per entry. The FTS rowid is the
-- incident's `incident_views` rowid, so a search reads only the FTS index and the views
-- index: the old table kept each entry's text and ids as FTS content, and reading the
-- incident id of every match (a content-table row each) was most of a search's cost.
-- Contentless (`content=''`): the text is not stored a second time (the entries hold it,
-- sealed in the same encrypted file); `contentless_delete` lets an amendment replace the
-- incident's row. The body is every entry's text (report, amendments), as before.
CREATE VIRTUAL TABLE incident_search USING fts5(
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO incident_search(rowid, body)
    SELECT v.rowid, group_concat(f.body, char(10))
    FROM incident_views v JOIN incident_fts f ON f.incident_id = v.incident_id
    GROUP BY v.rowid;
DROP TABLE incident_fts;
