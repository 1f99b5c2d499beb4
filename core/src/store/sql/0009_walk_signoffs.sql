-- Devices apart from each other may each sign off the same walk. Every verified sign-off
-- is kept, sealed as before; the walk's sign-off is the one with the lowest stamp, so
-- every device settles on the same one whatever the order they arrive in.
CREATE TABLE adv_signoffs_all (
    walk_id    TEXT NOT NULL REFERENCES adv_walks(id),
    snapshot   TEXT NOT NULL,
    hlc        TEXT NOT NULL,
    PRIMARY KEY (walk_id, hlc)
) STRICT;
INSERT INTO adv_signoffs_all(walk_id, snapshot, hlc) SELECT walk_id, snapshot, hlc FROM adv_signoffs;
-- Dropping a table drops its triggers first, so the sealing triggers do not fire here.
DROP TABLE adv_signoffs;
ALTER TABLE adv_signoffs_all RENAME TO adv_signoffs;
CREATE TRIGGER adv_signoffs_no_update BEFORE UPDATE ON adv_signoffs
BEGIN SELECT RAISE(ABORT, 'sign-offs are sealed'); END;
CREATE TRIGGER adv_signoffs_no_delete BEFORE DELETE ON adv_signoffs
BEGIN SELECT RAISE(ABORT, 'sign-offs are sealed'); END;
