//! GPX in and out. Import reads GPX 1.0 and 1.1 from devices and tools with a streaming
//! XML reader that keeps only what a route needs: tracks (segments joined in order, empty
//! segments skipped), routes and waypoints. Everything else (vendor extensions such as
//! Garmin's TrackPointExtension, GPX 1.0's `<course>` and `<url>`, private namespaces) is
//! skipped. Export writes GPX 1.1 (the `gpx` crate).
//!
//! Mapping on import:
//! - each track with at least two points, then each `<rte>`, becomes a route; the first
//!   is the primary, the others alternates;
//! - waypoints become route points of the first route (their `type`, `sym` or name tags
//!   `checkpoint`, `rendezvous`/`RV`, `choke point` choose the kind; checkpoint otherwise);
//! - a file of waypoints only becomes one route through them, in file order.
//!
//! Bounds ([`super::limits`]): the file size, the nesting depth and element count (checked
//! as the reader goes, so a deeply nested file costs time linear in its size), the text of
//! an element, the positions read and the routes; long lines are simplified.

use std::io::Cursor;

use gpx::{Gpx, GpxVersion, Track, TrackSegment, Waypoint};
use xml::reader::{EventReader, ParserConfig2, XmlEvent};

use super::limits::{
    MAX_FILE_BYTES, MAX_FILE_POSITIONS, MAX_ROUTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS, MAX_XML_TEXT,
};
use crate::advance::error::{AdvanceError, AdvanceResult};
use crate::advance::geometry::Position;
use crate::advance::route::{Route, RouteInput, RoutePoint, RoutePointKind, RouteRole};

const GPX_NAMESPACES: [&str; 2] = [
    "http://www.topografix.com/GPX/1/0",
    "http://www.topografix.com/GPX/1/1",
];

/// Parses a GPX document into routes ready to save. Stores nothing.
pub fn parse_gpx(bytes: &[u8]) -> AdvanceResult<Vec<RouteInput>> {
    let doc = read(bytes)?;
    let file_name = doc.name.filter(|n| !n.trim().is_empty());
    let mut lines = doc.lines;
    let points: Vec<RoutePoint> = doc
        .waypoints
        .into_iter()
        .enumerate()
        .map(|(i, w)| RoutePoint {
            kind: point_kind(&w),
            name: w
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("Waypoint {}", i + 1)),
            position: w.position,
            notes: w.description.or(w.comment).unwrap_or_default(),
        })
        .collect();

    if lines.is_empty() {
        if points.len() < 2 {
            return Err(AdvanceError::EmptyRoute);
        }
        lines.push((None, points.iter().map(|p| p.position).collect()));
    }
    let mut points = Some(points);
    let mut out = Vec::with_capacity(lines.len());
    for (i, (name, line)) in lines.into_iter().enumerate() {
        let name = name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| file_name.clone())
            .unwrap_or_else(|| format!("Imported route {}", i + 1));
        let input = RouteInput {
            id: None,
            name,
            journey: None,
            role: if i == 0 {
                RouteRole::Primary
            } else {
                RouteRole::Alternate
            },
            line: super::simplify::fit(line)?,
            points: points.take().unwrap_or_default(),
            notes: String::new(),
        };
        // Refuse here, before anything is saved, with the field that is wrong.
        out.push(input.validate()?);
    }
    Ok(out)
}

fn point_kind(w: &ReadWaypoint) -> RoutePointKind {
    [&w.type_, &w.symbol, &w.name]
        .into_iter()
        .flatten()
        .find_map(|t| RoutePointKind::from_tag(t))
        .unwrap_or(RoutePointKind::Checkpoint)
}

/// A waypoint as read: only what a route point needs.
struct ReadWaypoint {
    position: Position,
    name: Option<String>,
    description: Option<String>,
    comment: Option<String>,
    type_: Option<String>,
    symbol: Option<String>,
}

/// What the reader keeps of a document.
#[derive(Default)]
struct ReadDoc {
    /// `<metadata><name>` (1.1) or `<gpx><name>` (1.0).
    name: Option<String>,
    /// Tracks then routes (each with at least two positions), with their names.
    lines: Vec<(Option<String>, Vec<Position>)>,
    waypoints: Vec<ReadWaypoint>,
}

fn too_large(what: &'static str, limit: usize) -> AdvanceError {
    AdvanceError::TooLarge {
        what: what.into(),
        limit: limit as u64,
    }
}

fn gpx_error(reason: &str) -> AdvanceError {
    AdvanceError::Gpx(reason.to_string())
}

/// Streams the document once. Tracks are collected in file order, then routes after them
/// (as the lines' order promises), whatever their order in the file.
fn read(bytes: &[u8]) -> AdvanceResult<ReadDoc> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large("file bytes", MAX_FILE_BYTES));
    }
    let config = ParserConfig2::new()
        .cdata_to_characters(true)
        .trim_whitespace(true)
        .ignore_comments(true)
        .allow_multiple_root_elements(false)
        .max_name_length(256)
        .max_attributes(256)
        .max_attribute_length(MAX_XML_TEXT)
        .max_data_length(MAX_XML_TEXT)
        .max_entity_expansion_length(MAX_XML_TEXT)
        .max_entity_expansion_depth(2);
    let reader = EventReader::new_with_config(Cursor::new(bytes), config);

    let mut doc = ReadDoc::default();
    let mut tracks: Vec<(Option<String>, Vec<Position>)> = Vec::new();
    let mut routes: Vec<(Option<String>, Vec<Position>)> = Vec::new();
    // The GPX elements open (local names); below a skipped element, only a count.
    let mut stack: Vec<String> = Vec::new();
    let mut skipped_depth = 0usize;
    let mut elements = 0usize;
    let mut positions = 0usize;
    let mut text: Option<String> = None;
    let mut waypoint: Option<ReadWaypoint> = None;
    let mut seen_root = false;

    for event in reader {
        let event = event.map_err(|e| describe_xml(&e))?;
        match event {
            XmlEvent::StartElement {
                name, attributes, ..
            } => {
                elements += 1;
                if elements > MAX_XML_ELEMENTS {
                    return Err(too_large("XML elements", MAX_XML_ELEMENTS));
                }
                if stack.len() + skipped_depth + 1 > MAX_XML_DEPTH {
                    return Err(too_large("XML nesting depth", MAX_XML_DEPTH));
                }
                if skipped_depth > 0 {
                    skipped_depth += 1;
                    continue;
                }
                let foreign = name
                    .namespace
                    .as_deref()
                    .is_some_and(|ns| !GPX_NAMESPACES.contains(&ns));
                let local = name.local_name.as_str();
                let parent = stack.last().map(String::as_str);
                if !seen_root {
                    seen_root = true;
                    if local != "gpx" || foreign {
                        return Err(gpx_error("the document is not GPX"));
                    }
                    let version = attributes
                        .iter()
                        .find(|a| a.name.local_name == "version" && a.name.namespace.is_none())
                        .map(|a| a.value.as_str());
                    match version {
                        Some("1.0") | Some("1.1") => {}
                        Some(_) => {
                            return Err(gpx_error("unknown GPX version (1.0 and 1.1 are read)"))
                        }
                        None => return Err(gpx_error("gpx lacks its version")),
                    }
                    stack.push(local.to_string());
                    continue;
                }
                let known = !foreign
                    && matches!(
                        (parent, local),
                        (Some("gpx"), "metadata" | "name" | "wpt" | "rte" | "trk")
                            | (Some("metadata"), "name")
                            | (Some("trk"), "name" | "trkseg")
                            | (Some("trkseg"), "trkpt")
                            | (Some("rte"), "name" | "rtept")
                            | (Some("wpt"), "name" | "desc" | "cmt" | "type" | "sym")
                    );
                if !known {
                    skipped_depth = 1;
                    continue;
                }
                match local {
                    "wpt" | "trkpt" | "rtept" => {
                        positions += 1;
                        if positions > MAX_FILE_POSITIONS {
                            return Err(too_large("positions in the file", MAX_FILE_POSITIONS));
                        }
                        let position = read_position(&attributes)?;
                        match local {
                            "wpt" => {
                                waypoint = Some(ReadWaypoint {
                                    position,
                                    name: None,
                                    description: None,
                                    comment: None,
                                    type_: None,
                                    symbol: None,
                                })
                            }
                            "trkpt" => {
                                if let Some(t) = tracks.last_mut() {
                                    t.1.push(position);
                                }
                            }
                            _ => {
                                if let Some(r) = routes.last_mut() {
                                    r.1.push(position);
                                }
                            }
                        }
                    }
                    "trk" => tracks.push((None, Vec::new())),
                    "rte" => routes.push((None, Vec::new())),
                    "name" | "desc" | "cmt" | "type" | "sym" => text = Some(String::new()),
                    _ => {}
                }
                stack.push(local.to_string());
            }
            XmlEvent::EndElement { .. } => {
                if skipped_depth > 0 {
                    skipped_depth -= 1;
                    continue;
                }
                let Some(local) = stack.pop() else {
                    continue;
                };
                let parent = stack.last().map(String::as_str);
                match local.as_str() {
                    "wpt" => {
                        if let Some(w) = waypoint.take() {
                            doc.waypoints.push(w);
                        }
                    }
                    // Fewer than two positions is no route (an aborted recording).
                    "trk" if tracks.last().is_some_and(|t| t.1.len() < 2) => {
                        tracks.pop();
                    }
                    "rte" if routes.last().is_some_and(|r| r.1.len() < 2) => {
                        routes.pop();
                    }
                    "name" | "desc" | "cmt" | "type" | "sym" => {
                        let value = text.take();
                        match (parent, local.as_str()) {
                            (Some("gpx" | "metadata"), "name") => doc.name = value,
                            (Some("trk"), "name") => {
                                if let Some(t) = tracks.last_mut() {
                                    t.0 = value;
                                }
                            }
                            (Some("rte"), "name") => {
                                if let Some(r) = routes.last_mut() {
                                    r.0 = value;
                                }
                            }
                            (Some("wpt"), field) => {
                                if let Some(w) = waypoint.as_mut() {
                                    match field {
                                        "name" => w.name = value,
                                        "desc" => w.description = value,
                                        "cmt" => w.comment = value,
                                        "type" => w.type_ = value,
                                        _ => w.symbol = value,
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
                if tracks.len() + routes.len() > MAX_ROUTES {
                    return Err(too_large("routes in the file", MAX_ROUTES));
                }
            }
            XmlEvent::Characters(s) if skipped_depth == 0 => {
                if let Some(t) = text.as_mut() {
                    if t.len() + s.len() > MAX_XML_TEXT {
                        return Err(too_large("bytes of text in one element", MAX_XML_TEXT));
                    }
                    t.push_str(&s);
                }
            }
            _ => {}
        }
    }
    if !seen_root {
        return Err(gpx_error("not well-formed XML"));
    }
    doc.lines = tracks;
    doc.lines.append(&mut routes);
    Ok(doc)
}

/// A point's `lat` and `lon`, in range (a longitude of exactly 180 is kept as it is).
fn read_position(attributes: &[xml::attribute::OwnedAttribute]) -> AdvanceResult<Position> {
    let get = |what: &'static str| -> AdvanceResult<f64> {
        let a = attributes
            .iter()
            .find(|a| a.name.local_name == what && a.name.namespace.is_none())
            .ok_or_else(|| gpx_error(&format!("a point lacks its {what}")))?;
        a.value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| gpx_error("a number is malformed"))
    };
    let (lat, lon) = (get("lat")?, get("lon")?);
    if !(-90.0..=90.0).contains(&lat) {
        return Err(gpx_error("a latitude is out of range"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(gpx_error("a longitude is out of range"));
    }
    Ok(Position::new(lat, lon))
}

/// An XML reader error, without the file's content. The reader's own limits (name,
/// attribute and text lengths) are reported as what they are.
fn describe_xml(e: &xml::reader::Error) -> AdvanceError {
    if e.msg().contains("than allowed") {
        return AdvanceError::TooLarge {
            what: "an XML name, attribute or text".into(),
            limit: MAX_XML_TEXT as u64,
        };
    }
    gpx_error("not well-formed XML")
}

/// Writes routes as GPX 1.1: each route a track of one segment, its points waypoints
/// (with `type` = checkpoint / rendezvous / choke_point).
pub fn to_gpx(routes: &[Route]) -> AdvanceResult<String> {
    let mut doc = Gpx {
        version: GpxVersion::Gpx11,
        creator: Some("Vigil".into()),
        ..Default::default()
    };
    for r in routes {
        let mut seg = TrackSegment::new();
        seg.points = r.line.iter().map(|p| waypoint(*p)).collect();
        let mut t = Track::new();
        t.name = Some(r.name.clone());
        t.type_ = Some(match r.role {
            RouteRole::Primary => "primary".into(),
            RouteRole::Alternate => "alternate".into(),
        });
        if !r.notes.is_empty() {
            t.description = Some(r.notes.clone());
        }
        t.segments.push(seg);
        doc.tracks.push(t);
        for p in &r.points {
            let mut w = waypoint(p.position);
            w.name = Some(p.name.clone());
            w.type_ = Some(p.kind.as_str().into());
            if !p.notes.is_empty() {
                w.description = Some(p.notes.clone());
            }
            doc.waypoints.push(w);
        }
    }
    let mut out = Vec::new();
    gpx::write(&doc, &mut out).map_err(|_| AdvanceError::Gpx("could not write GPX".into()))?;
    String::from_utf8(out).map_err(|_| AdvanceError::Gpx("could not write GPX".into()))
}

fn waypoint(p: Position) -> Waypoint {
    // GPX longitudes run -180 <= lon < 180.
    let lon = if p.lon >= 180.0 { p.lon - 360.0 } else { p.lon };
    Waypoint::new(geo::Point::new(lon, p.lat))
}
