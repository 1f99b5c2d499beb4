//! The tamper-evident incident log: append-only reports and amendments in a per-device
//! hash chain signed by the device key, sealed attachments, queries, and exports that a
//! third party can verify without the store.
//!
//! Entry point: [`IncidentLog`], a short-lived handle over an unlocked [`Vault`]; and
//! [`verify_bundle`], which needs no store at all. See docs/INCIDENT_LOG.md.

pub mod anchor;
pub mod attachment;
pub mod canonical;
pub mod chain;
pub mod error;
pub mod export;
pub mod model;
pub mod query;
pub(crate) mod remote;
pub mod signed;
pub(crate) mod transfer;
pub mod verify;

use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

pub use canonical::{Amendment, EntryBody, EntryKind};
pub use chain::EntryReceipt;
pub use error::{IncidentError, IncidentResult};
pub use export::{verify_bundle, BundleAnchor, BundleProblem, BundleReport, ExportScope};
pub use model::{
    AttachmentRef, Category, Location, LocationSource, OccurredAt, Person, PersonRole, Report,
    ReportPatch, Severity, Vehicle,
};
pub use query::{HistoryEntry, IncidentFilter, IncidentSummary, IncidentView, Page};
pub use remote::{check_entry, CheckedEntry, EntryRefusal, IncidentEntryApplier};
pub use signed::SignedAttachment;
pub use verify::{ChainProblem, ProblemKind, VerifyReport};

use crate::store::Database;
use crate::vault::Vault;

/// An officer's name or callsign as entries, walks and sign-offs record it: not blank, at
/// most 1,000 bytes, no NUL. The bindings and the CLI check a name with this before use.
pub fn check_officer(name: &str) -> IncidentResult<()> {
    if name.trim().is_empty() || name.len() > 1_000 || name.contains('\0') {
        return Err(IncidentError::invalid("officer", "empty or too long"));
    }
    Ok(())
}
/// Outbox kind of a stored attachment (metadata only: never the key or content).
pub const OUTBOX_KIND_ATTACHMENT: &str = "incident.attachment";
/// The reason recorded by [`IncidentLog::attach`].
pub const ATTACH_REASON: &str = "attachment added";
const MAX_REASON: usize = 10_000;

type AttachmentRow = (Vec<u8>, String, i64, String, Option<String>);

/// The incident log of one unlocked store. Cheap to make: build one per call.
pub struct IncidentLog<'a> {
    vault: &'a mut Vault,
    officer: Option<String>,
}

impl<'a> IncidentLog<'a> {
    pub fn new(vault: &'a mut Vault) -> Self {
        IncidentLog {
            vault,
            officer: None,
        }
    }

    /// A log whose entries name `officer` (name or callsign, see [`check_officer`]) as
    /// their author.
    pub fn with_officer(vault: &'a mut Vault, officer: Option<String>) -> IncidentResult<Self> {
        if let Some(o) = &officer {
            check_officer(o)?;
        }
        Ok(IncidentLog { vault, officer })
    }

    pub(crate) fn db(&self) -> IncidentResult<&Database> {
        Ok(self.vault.db()?)
    }

    /// Records a new incident report. Returns its receipt; the incident's id is
    /// `receipt.incident_id` (equal to the report's entry id).
    pub fn log(&mut self, mut report: Report) -> IncidentResult<EntryReceipt> {
        if report.officer.is_none() {
            report.officer = self.officer.clone();
        }
        report.occurred.utc = model::to_millis(report.occurred.utc);
        report.validate()?;
        let recorded_at = model::now();
        report.occurred.check_window(recorded_at)?;
        self.check_attachments(&report.attachments)?;
        let id = model::new_id();
        let body = EntryBody {
            v: canonical::BODY_VERSION,
            entry_id: id.clone(),
            incident_id: id,
            kind: EntryKind::Report,
            recorded_at,
            author: self.officer.clone(),
            report: Some(report),
            amendment: None,
        };
        self.append(&body)
    }

    /// One call, category only: timed now, with a position if the caller has one. The
    /// rest follows as amendments.
    pub fn quick_log(
        &mut self,
        category: Category,
        location: Option<Location>,
    ) -> IncidentResult<EntryReceipt> {
        // The one write that may use the space kept back on a full phone (issue 20).
        self.vault.make_room_for_quick_log()?;
        self.log(Report::quick(category, location))
    }

    /// Appends a correction to entry `amends` (the report, whose id is the incident id,
    /// or an earlier amendment). `reason` must say why; `patch` must change something.
    pub fn amend(
        &mut self,
        amends: &str,
        reason: &str,
        mut patch: ReportPatch,
    ) -> IncidentResult<EntryReceipt> {
        if let Some(o) = patch.occurred.as_mut() {
            o.utc = model::to_millis(o.utc);
        }
        if reason.trim().is_empty() {
            return Err(IncidentError::invalid("reason", "empty"));
        }
        if reason.len() > MAX_REASON || reason.contains('\0') {
            return Err(IncidentError::invalid("reason", "too long or contains NUL"));
        }
        if patch.is_empty() {
            return Err(IncidentError::invalid("patch", "changes nothing"));
        }
        let recorded_at = model::now();
        if let Some(o) = &patch.occurred {
            o.check_window(recorded_at)?;
        }
        if !model::is_uuid(amends) {
            return Err(IncidentError::UnknownIncident);
        }
        let db = self.db()?;
        let target = chain::by_id(db.conn(), amends)?.ok_or(IncidentError::UnknownIncident)?;
        let view = query::view(db, &target.incident_id)?.ok_or(IncidentError::UnknownIncident)?;
        patch.apply(&view.current).validate()?;
        if let Some(list) = &patch.attachments {
            self.check_attachments(list)?;
        }
        let body = EntryBody {
            v: canonical::BODY_VERSION,
            entry_id: model::new_id(),
            incident_id: target.incident_id,
            kind: EntryKind::Amendment,
            recorded_at,
            author: self.officer.clone(),
            report: None,
            amendment: Some(Amendment {
                amends: amends.to_string(),
                reason: reason.to_string(),
                patch,
            }),
        };
        self.append(&body)
    }

    fn append(&mut self, body: &EntryBody) -> IncidentResult<EntryReceipt> {
        let receipt = self.vault.db_mut()?.write(|w| {
            let receipt = chain::append(w, body)?;
            query::refresh(w.tx(), &body.incident_id, &body.entry_id)?;
            Ok(receipt)
        })?;
        Ok(receipt)
    }

    /// Every referenced attachment must be stored here, with the same content hash.
    fn check_attachments(&self, refs: &[AttachmentRef]) -> IncidentResult<()> {
        for r in refs {
            match self.stored_attachment(&r.id)? {
                Some((stored, _)) if stored == *r => {}
                _ => {
                    return Err(IncidentError::invalid(
                        "attachment",
                        "unknown or mismatched",
                    ))
                }
            }
        }
        Ok(())
    }

    fn stored_attachment(
        &self,
        id: &str,
    ) -> IncidentResult<Option<(AttachmentRef, zeroize::Zeroizing<[u8; 32]>)>> {
        let row: Option<AttachmentRow> = self
            .db()?
            .conn()
            .query_row(
                "SELECT file_key, sha256, size, mime, captured_at FROM incident_attachments
                 WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((key, sha256, size, mime, captured)) = row else {
            return Ok(None);
        };
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| crate::error::StoreError::DatabaseCorrupt)?;
        let captured_at = match captured {
            None => None,
            Some(s) => Some(model::ts::parse(&s).ok_or(crate::error::StoreError::DatabaseCorrupt)?),
        };
        Ok(Some((
            AttachmentRef {
                id: id.to_string(),
                sha256,
                mime,
                size: u64::try_from(size).map_err(|_| crate::error::StoreError::DatabaseCorrupt)?,
                captured_at,
            },
            zeroize::Zeroizing::new(key),
        )))
    }

    /// The reference (id, SHA-256, type, size) of a stored attachment, to cite it in a
    /// report or amendment.
    pub fn attachment_ref(&self, id: &str) -> IncidentResult<AttachmentRef> {
        self.stored_attachment(id)?
            .map(|(r, _)| r)
            .ok_or(IncidentError::UnknownAttachment)
    }

    /// The current view and full history of one incident.
    pub fn get(&self, incident_id: &str) -> IncidentResult<IncidentView> {
        query::view(self.db()?, incident_id)?.ok_or(IncidentError::UnknownIncident)
    }

    /// Current views, newest (by occurred time) first; one [`Page`] at a time.
    pub fn list(
        &self,
        filter: &IncidentFilter,
        page: &Page,
    ) -> IncidentResult<Vec<IncidentSummary>> {
        query::list(self.db()?.conn(), filter, page)
    }

    /// Runs `f` on every current view matching `filter`, newest first, one page of
    /// [`query::MAX_PAGE`] at a time (memory stays bounded whatever the store holds).
    pub fn each_page(
        &self,
        filter: &IncidentFilter,
        mut f: impl FnMut(&[IncidentSummary]) -> IncidentResult<()>,
    ) -> IncidentResult<()> {
        let mut page = Page::first(query::MAX_PAGE);
        loop {
            let rows = self.list(filter, &page)?;
            f(&rows)?;
            match rows.last() {
                Some(last) if rows.len() == query::MAX_PAGE as usize => {
                    page = Page::after(query::MAX_PAGE, last.incident_id.clone());
                }
                _ => return Ok(()),
            }
        }
    }

    /// Incidents whose report or amendments (narratives, reasons, tags, actions, people,
    /// witnesses, police references) contain every word of `text` (prefix match).
    pub fn search(&self, text: &str, page: &Page) -> IncidentResult<Vec<IncidentSummary>> {
        self.search_filtered(text, &IncidentFilter::default(), page)
    }

    /// [`search`](Self::search) among the incidents that pass `filter` (category,
    /// severity, period, venue, route), in one query: the page is full when enough
    /// incidents match both.
    pub fn search_filtered(
        &self,
        text: &str,
        filter: &IncidentFilter,
        page: &Page,
    ) -> IncidentResult<Vec<IncidentSummary>> {
        query::search(self.db()?.conn(), text, filter, page)
    }

    /// Recomputes this device's whole chain. A broken chain is reported, not an error.
    /// Also checks every other device's chain stored here (pulled from the team) against
    /// that device's registered key: see [`VerifyReport::remote`].
    pub fn verify(&self) -> IncidentResult<VerifyReport> {
        self.verify_chains(false)
    }

    pub(crate) fn verify_chains(&self, own_only: bool) -> IncidentResult<VerifyReport> {
        let db = self.db()?;
        let conn = db.conn();
        let mut entries = chain::all(conn)?;
        if own_only {
            entries.retain(|e| e.device_id == db.device_id());
        }
        let mut heads = std::collections::BTreeMap::new();
        let mut stmt = conn.prepare("SELECT device_id FROM incident_chain_head")?;
        let devices = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for d in devices {
            let h = chain::head(conn, &d)?;
            heads.insert(d, h);
        }
        let mut stmt = conn.prepare("SELECT device_id, public_key FROM device_keys")?;
        let keys = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?
            .collect::<Result<std::collections::BTreeMap<_, _>, _>>()?;
        let receipt = anchor::receipt(conn, db.device_id(), &db.device_key().public_key())?;
        Ok(verify::check_store(
            db.device_id(),
            &db.device_key().public_key(),
            &entries,
            &heads,
            &keys,
            receipt.as_ref(),
        ))
    }

    /// Seals `src` (streamed) into a new attachment file and records its key. Refuses an
    /// empty source. Reference the returned value from a report or amendment, or use
    /// [`IncidentLog::attach`].
    pub fn store_attachment(
        &mut self,
        src: &mut dyn Read,
        mime: &str,
        captured_at: Option<DateTime<Utc>>,
    ) -> IncidentResult<AttachmentRef> {
        model::validate_mime(mime)?;
        let captured_at = captured_at.map(model::to_millis);
        let dir = self.vault.paths().attachments.clone();
        let sealed = attachment::seal(&dir, src, mime, captured_at)?;
        let r = sealed.reference.clone();
        let captured_text = r.captured_at.as_ref().map(model::ts::format);
        let payload = serde_json::json!({
            "id": r.id,
            "sha256": r.sha256,
            "size": r.size,
            "mime": r.mime,
            "captured_at": captured_text,
        });
        let result = self
            .vault
            .db_mut()
            .map_err(IncidentError::from)
            .and_then(|db| {
                db.write(|w| {
                    w.tx().execute(
                        "INSERT INTO incident_attachments(id, file_key, sha256, size, mime,
                         captured_at, stored_ms, blob_sha256, blob_size)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        params![
                            r.id,
                            &sealed.key[..],
                            r.sha256,
                            r.size as i64,
                            r.mime,
                            captured_text,
                            crate::clock::now_ms() as i64,
                            sealed.blob_sha256,
                            sealed.blob_size as i64
                        ],
                    )?;
                    w.emit(OUTBOX_KIND_ATTACHMENT, &r.id, &payload)?;
                    Ok(())
                })
                .map_err(IncidentError::from)
            });
        if let Err(e) = result {
            let _ = std::fs::remove_file(&sealed.path);
            return Err(e);
        }
        Ok(r)
    }

    /// Stores an attachment and adds it to an incident by an amendment (reason
    /// "attachment added").
    pub fn attach(
        &mut self,
        incident_id: &str,
        src: &mut dyn Read,
        mime: &str,
        captured_at: Option<DateTime<Utc>>,
    ) -> IncidentResult<(AttachmentRef, EntryReceipt)> {
        let view = self.get(incident_id)?;
        let r = self.store_attachment(src, mime, captured_at)?;
        let mut list = view.current.attachments;
        list.push(r.clone());
        let patch = ReportPatch {
            attachments: Some(list),
            ..ReportPatch::default()
        };
        let receipt = self.amend(incident_id, ATTACH_REASON, patch)?;
        Ok((r, receipt))
    }

    /// Decrypts attachment `id` into `out`, streamed. A tampered, truncated, reordered
    /// or missing file gives [`IncidentError::AttachmentCorrupt`]; the caller must then
    /// discard whatever was written.
    pub fn read_attachment(&self, id: &str, out: &mut dyn Write) -> IncidentResult<AttachmentRef> {
        let (r, key) = self
            .stored_attachment(id)?
            .ok_or(IncidentError::UnknownAttachment)?;
        let available: bool = self.db()?.conn().query_row(
            "SELECT available FROM incident_attachments WHERE id = ?1",
            [id],
            |row| row.get(0),
        )?;
        if !available {
            return Err(IncidentError::AttachmentNotDownloaded);
        }
        attachment::open(&self.vault.paths().attachments, &r, &key, out)?;
        Ok(r)
    }

    /// The attachments the signed entries of `incident_id` reference (each entry's hash
    /// and signature checked), in the order first referenced, with whether each is still
    /// in the current view and whether its file is in this store.
    pub fn attachments(&self, incident_id: &str) -> IncidentResult<Vec<SignedAttachment>> {
        let db = self.db()?;
        let key = db.device_key().public_key();
        signed::of_incident(db.conn(), (db.device_id(), &key[..]), incident_id)
    }

    /// Decrypts attachment `attachment_id` of incident `incident_id` into `out`,
    /// streamed, checked against the size and SHA-256 its signed entry holds. An
    /// attachment the incident does not reference is [`IncidentError::UnknownAttachment`];
    /// a damaged file, or one whose content is not what was signed,
    /// [`IncidentError::AttachmentCorrupt`] (the caller discards what was written:
    /// [`IncidentLog::save_attachment`] does).
    pub fn read_signed_attachment(
        &self,
        incident_id: &str,
        attachment_id: &str,
        out: &mut dyn Write,
    ) -> IncidentResult<SignedAttachment> {
        let signed = self.signed_attachment(incident_id, attachment_id)?;
        self.open_signed(&signed, out)?;
        Ok(signed)
    }

    /// The plaintext of attachment `attachment_id` of `incident_id` in memory (for a
    /// thumbnail), checked as [`IncidentLog::read_signed_attachment`] does. One whose
    /// signed size is above `max_bytes` is refused with `InvalidInput` before anything is
    /// decrypted, and memory stays within `max_bytes` even if the stored file were longer.
    pub fn attachment_bytes(
        &self,
        incident_id: &str,
        attachment_id: &str,
        max_bytes: u64,
    ) -> IncidentResult<Vec<u8>> {
        let signed = self.signed_attachment(incident_id, attachment_id)?;
        if signed.attachment.size > max_bytes {
            return Err(IncidentError::invalid(
                "attachment",
                "larger than the size asked for",
            ));
        }
        let mut out = attachment::CappedBuf::new(max_bytes);
        self.open_signed(&signed, &mut out)?;
        Ok(out.into_bytes())
    }

    /// Attachment `attachment_id` as the signed entries of `incident_id` reference it.
    fn signed_attachment(
        &self,
        incident_id: &str,
        attachment_id: &str,
    ) -> IncidentResult<SignedAttachment> {
        self.attachments(incident_id)?
            .into_iter()
            .find(|s| s.attachment.id == attachment_id)
            .ok_or(IncidentError::UnknownAttachment)
    }

    /// Decrypts `signed` into `out`, checked against its signed size and SHA-256.
    fn open_signed(&self, signed: &SignedAttachment, out: &mut dyn Write) -> IncidentResult<()> {
        if !signed.available {
            return Err(IncidentError::AttachmentNotDownloaded);
        }
        let (stored, key) = self
            .stored_attachment(&signed.attachment.id)?
            .ok_or(IncidentError::AttachmentNotDownloaded)?;
        if stored != signed.attachment {
            return Err(IncidentError::AttachmentCorrupt);
        }
        attachment::open(
            &self.vault.paths().attachments,
            &signed.attachment,
            &key,
            out,
        )?;
        Ok(())
    }

    /// Writes attachment `attachment_id` of incident `incident_id` to a new file at
    /// `path` (0600), checked as [`IncidentLog::read_signed_attachment`] does: the file
    /// appears only once every byte matched; on any error nothing is written. An
    /// existing file is refused.
    pub fn save_attachment(
        &self,
        incident_id: &str,
        attachment_id: &str,
        path: &Path,
    ) -> IncidentResult<SignedAttachment> {
        crate::files::write_new(
            path,
            |w| self.read_signed_attachment(incident_id, attachment_id, w),
            |e| IncidentError::ExportIo(e.kind()),
        )
    }

    /// The team server's latest receipt for this device's chain, with the server key that
    /// signed it (`None` before the first anchored sync).
    pub fn server_receipt(&self) -> IncidentResult<Option<anchor::StoredReceipt>> {
        let db = self.db()?;
        Ok(anchor::receipt(
            db.conn(),
            db.device_id(),
            &db.device_key().public_key(),
        )?)
    }

    /// A signed JSON bundle of this device's chain, disclosing the incidents in `scope`.
    /// Refused when the local chain does not verify.
    pub fn export_bundle(&self, scope: &ExportScope) -> IncidentResult<Vec<u8>> {
        let own_ok = self.verify_chains(true)?.ok;
        if !own_ok {
            return Err(IncidentError::Bundle(
                "the local log does not verify".into(),
            ));
        }
        let db = self.db()?;
        let entries = chain::all(db.conn())?;
        let receipt = anchor::receipt(db.conn(), db.device_id(), &db.device_key().public_key())?;
        export::build_bundle(
            db.device_id(),
            db.device_key(),
            &entries,
            scope,
            receipt.as_ref(),
        )
    }

    /// CSV (RFC 4180, CRLF, header row), one row per incident's current view matching
    /// `filter`, newest first.
    pub fn export_csv(&self, filter: &IncidentFilter, out: &mut dyn Write) -> IncidentResult<()> {
        export::write_csv_header(out)?;
        self.each_page(filter, |rows| export::write_csv_rows(out, rows))?;
        out.flush().map_err(|e| IncidentError::ExportIo(e.kind()))
    }
}
