-- Attachments travel with sync. The sealed file itself is the blob that goes to the team
-- server (its content never leaves the device unsealed); the server and the receiving
-- devices address it by the SHA-256 of the sealed bytes. The file key travels inside the
-- signed attachment change, to the team only.
--   blob_sha256, blob_size: of the sealed file (NULL for files sealed before this
--                           migration: computed when first needed)
--   origin_device:          NULL when sealed here; else the teammate's device it came from
--   available:              1 when the sealed file is in the attachments directory
--   uploaded:               1 once the team server holds the whole blob
--   transfer_error:         why the last download failed (shown to the officer)
ALTER TABLE incident_attachments ADD COLUMN blob_sha256 TEXT;
ALTER TABLE incident_attachments ADD COLUMN blob_size INTEGER;
ALTER TABLE incident_attachments ADD COLUMN origin_device TEXT;
ALTER TABLE incident_attachments ADD COLUMN available INTEGER NOT NULL DEFAULT 1;
ALTER TABLE incident_attachments ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incident_attachments ADD COLUMN transfer_error TEXT;
CREATE INDEX incident_attachments_wanted ON incident_attachments(available) WHERE available = 0;
