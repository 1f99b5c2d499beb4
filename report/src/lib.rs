//! Vigil's printable reports: PDF/A-3b documents a person reads, with the machine proof
//! inside (the signed bundle, or the signed walk snapshot, as an associated file).
//!
//! The input is plain data ([`IncidentReport`], [`WalkReport`]) made of the core's own
//! record types, so a device fills it from its store ([`incidents_from_vault`],
//! [`walk_from_vault`]) and the team server from its own rows. Fonts are input too
//! ([`Fonts`]): phones pass the fonts they ship, the CLI and server the system's.
//!
//! Text is laid out by parley (shaping, bidi, line breaking, per-glyph fallback through
//! every font given) and its glyph runs drawn by krilla, which embeds and subsets the
//! fonts and checks the PDF/A-3b rules when it writes the file. See docs/EVIDENCE.md.

mod fonts;
mod frame;
mod incidents;
mod page;
mod store;
mod text;
pub mod thumbnail;
mod walk;

use chrono::{DateTime, Utc};
use vigil_core::advance::{HavenFix, RouteSummary, SignedSnapshot, Venue, Walk};
use vigil_core::incident::{AttachmentRef, IncidentView};
use vigil_core::sync::protocol::ChainReceipt;

pub use fonts::Fonts;
pub use store::{incidents_from_vault, walk_from_vault};

/// What a report failed with. Messages never hold case data.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No usable font was given (none could be read, or none covers Latin text).
    #[error("no usable font: give font files or a font directory")]
    NoFonts,
    #[error("font file error ({0:?})")]
    FontIo(std::io::ErrorKind),
    /// The PDF could not be written as PDF/A-3b (a krilla validation error, named).
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error(transparent)]
    Incident(#[from] vigil_core::incident::IncidentError),
    #[error(transparent)]
    Advance(#[from] vigil_core::advance::AdvanceError),
    #[error(transparent)]
    Store(#[from] vigil_core::StoreError),
}

/// The first lines of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// "Incident report", "Advance report".
    pub title: String,
    pub team: Option<String>,
    pub device_id: Option<String>,
    pub officer: Option<String>,
    pub period_from: Option<DateTime<Utc>>,
    pub period_to: Option<DateTime<Utc>>,
    pub generated_at: DateTime<Utc>,
}

/// The incident report: every incident with its history, photos and the proof.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentReport {
    pub header: Header,
    pub incidents: Vec<IncidentSection>,
    pub verification: Verification,
    /// The machine proof embedded as the PDF/A-3 associated file: a device's signed
    /// bundle ([`Embedded::incident_bundle`]) or a file its caller names. `None`: no file.
    pub embedded: Option<Embedded>,
}

/// A file embedded in a report as its PDF/A-3 associated file, and the sentence the
/// report prints about it (what it is, how to check it).
#[derive(Clone, Debug, PartialEq)]
pub struct Embedded {
    /// The file's name in the PDF (`pdfdetach -list` shows it).
    pub name: String,
    pub mime: String,
    pub description: String,
    pub relationship: Relationship,
    /// Printed under the verification block: what is embedded and how to check it.
    pub note: String,
    pub data: Vec<u8>,
}

/// How the embedded file relates to the report (PDF 2.0 `AFRelationship`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relationship {
    /// The original the report was made from.
    Source,
    /// Data the report's content is derived from.
    Data,
    /// An alternative representation of the content.
    Alternative,
    /// A supplement to the content.
    Supplement,
}

impl Embedded {
    /// A device's signed bundle (`vigil.incident-bundle.v2` bytes), as
    /// `incident-bundle.json`, relationship Source: what the CLI and the phones embed.
    pub fn incident_bundle(bundle: Vec<u8>) -> Embedded {
        Embedded {
            name: "incident-bundle.json".into(),
            mime: "application/json".into(),
            description:
                "Signed incident bundle (vigil.incident-bundle.v2): the proof of this report"
                    .into(),
            relationship: Relationship::Source,
            note: "The signed bundle is embedded in this PDF as incident-bundle.json (PDF/A-3 associated file). Check it with `vigil incident verify-bundle` or any verifier of docs/INCIDENT_LOG.md; compare the keys with those the team server registered.".into(),
            data: bundle,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct IncidentSection {
    /// Current view and full history.
    pub view: IncidentView,
    pub photos: Vec<Photo>,
}

/// An attachment of an incident: its signed reference, and the bytes for a thumbnail
/// (JPEG or PNG) when there are some (`None`: hash and type only).
#[derive(Clone, Debug, PartialEq)]
pub struct Photo {
    pub attachment: AttachmentRef,
    pub bytes: Option<Vec<u8>>,
}

/// The verification block, and the head hash printed in every page's footer.
#[derive(Clone, Debug, PartialEq)]
pub struct Verification {
    pub chain_verified: bool,
    pub entries_checked: u64,
    pub head_seq: u64,
    pub head_hash: String,
    pub server_public_key: Option<String>,
    pub receipt: Option<ChainReceipt>,
}

/// The advance report of one checklist walk, with its subject (venue or route).
#[derive(Clone, Debug, PartialEq)]
pub struct WalkReport {
    pub header: Header,
    pub walk: Walk,
    /// The signed snapshot, embedded as the associated file `walk-signoff.json`.
    pub signoff: Option<SignedSnapshot>,
    pub venue: Option<Venue>,
    /// Safe havens with their distance from the venue (or the route's start).
    pub havens: Vec<HavenFix>,
    /// Length and worst coverage gap of each route.
    pub routes: Vec<RouteSummary>,
    /// The photos of the answers (by attachment id), drawn as thumbnails under their item.
    pub photos: Vec<Photo>,
}

/// The incident report as PDF/A-3b bytes.
pub fn render_incidents(r: &IncidentReport, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    incidents::render(r, fonts)
}

/// The advance (walk) report as PDF/A-3b bytes.
pub fn render_walk(r: &WalkReport, fonts: &Fonts) -> Result<Vec<u8>, ReportError> {
    walk::render(r, fonts)
}
