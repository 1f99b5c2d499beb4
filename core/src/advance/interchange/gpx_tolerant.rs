//! A tolerant pass for GPX the `gpx` crate refuses but devices write: GPX 1.0's
//! `<course>`, `<url>` and `<urlname>` on points, tracks and routes; GPX 1.0's private
//! elements in other namespaces (allowed anywhere by its schema); `<extensions>` where
//! the crate does not expect them (inside `<trkseg>`). It drops those subtrees and keeps
//! everything else as it was, so the strict reader can run again on the result.

use std::io::Cursor;

use xml::reader::{EventReader, ParserConfig, XmlEvent};
use xml::writer::EmitterConfig;

const GPX_NAMESPACES: [&str; 2] = [
    "http://www.topografix.com/GPX/1/0",
    "http://www.topografix.com/GPX/1/1",
];

/// `None` when the document is not well-formed XML.
pub(crate) fn strip_unreadable(bytes: &[u8]) -> Option<Vec<u8>> {
    let reader = EventReader::new_with_config(
        Cursor::new(bytes),
        ParserConfig::new().cdata_to_characters(true),
    );
    let mut out = Vec::with_capacity(bytes.len());
    let mut writer = EmitterConfig::new()
        .write_document_declaration(false)
        .perform_indent(false)
        .create_writer(&mut out);
    let mut stack: Vec<String> = Vec::new();
    let mut skipping = 0usize;
    for event in reader {
        let event = event.ok()?;
        match &event {
            XmlEvent::StartDocument { .. } | XmlEvent::EndDocument => continue,
            XmlEvent::StartElement { name, .. } => {
                if skipping > 0 {
                    skipping += 1;
                    continue;
                }
                let parent = stack.last().map(String::as_str).unwrap_or("");
                let foreign = name
                    .namespace
                    .as_deref()
                    .is_some_and(|ns| !GPX_NAMESPACES.contains(&ns));
                let local = name.local_name.as_str();
                let drop = foreign
                    || local == "course"
                    || (matches!(local, "url" | "urlname") && parent != "gpx")
                    || (parent == "trkseg" && local != "trkpt");
                if drop {
                    skipping = 1;
                    continue;
                }
                stack.push(local.to_string());
            }
            XmlEvent::EndElement { .. } => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                stack.pop();
            }
            _ if skipping > 0 => continue,
            _ => {}
        }
        if let Some(w) = event.as_writer_event() {
            writer.write(w).ok()?;
        }
    }
    Some(out)
}
