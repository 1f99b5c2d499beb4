//! What every report shares: the running title and footer of each page, the header
//! block (title, team, device, officer, period, time of generation), and the closing
//! line before the PDF is written with its associated file.

use chrono::{DateTime, Utc};

use super::page::{Attachment, Doc};
use super::text::{Style, INK, MUTED};
use super::{Fonts, Header, ReportError};

pub(crate) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn header_block(doc: &mut Doc, h: &Header) {
    doc.text(
        &h.title,
        Style {
            size: 22.0,
            bold: true,
            color: INK,
        },
        0.0,
    );
    doc.space(6.0);
    doc.field("Team", h.team.as_deref().unwrap_or(""));
    doc.field("Device", h.device_id.as_deref().unwrap_or(""));
    doc.field("Officer", h.officer.as_deref().unwrap_or(""));
    let period = match (h.period_from, h.period_to) {
        (None, None) => "all records".to_string(),
        (from, to) => format!(
            "{} to {}",
            from.map(utc).unwrap_or_else(|| "the first record".into()),
            to.map(utc).unwrap_or_else(|| "the last record".into())
        ),
    };
    doc.field("Report period", &period);
    doc.field("Generated", &utc(h.generated_at));
}

/// A new document whose every page says what it is (`footer` under the page number) and
/// starts with the header block.
pub(crate) fn open(fonts: &Fonts, h: &Header, footer: String) -> Result<Doc, ReportError> {
    let mut doc = Doc::new(
        fonts,
        format!("Vigil — {} — generated {}", h.title, utc(h.generated_at)),
    )?;
    doc.footer = vec![footer];
    header_block(&mut doc, h);
    Ok(doc)
}

/// Ends the report and writes the PDF, with `attachment` as its associated file.
pub(crate) fn close(
    mut doc: Doc,
    h: &Header,
    attachment: Option<Attachment>,
) -> Result<Vec<u8>, ReportError> {
    doc.space(8.0);
    doc.text(
        "End of report.",
        Style {
            size: 9.0,
            bold: false,
            color: MUTED,
        },
        0.0,
    );
    doc.finish(&h.title, h.generated_at, attachment)
}
