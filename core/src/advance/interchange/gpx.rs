//! GPX in and out (the `gpx` crate). Import reads GPX 1.0 and 1.1 from devices and tools:
//! tracks (segments joined in order, empty segments skipped), routes and waypoints; vendor
//! extensions such as Garmin's TrackPointExtension are skipped. Export writes GPX 1.1.
//!
//! Mapping on import:
//! - each track with at least two points, then each `<rte>`, becomes a route; the first
//!   is the primary, the others alternates;
//! - waypoints become route points of the first route (their `type`, `sym` or name tags
//!   `checkpoint`, `rendezvous`/`RV`, `choke point` choose the kind; checkpoint otherwise);
//! - a file of waypoints only becomes one route through them, in file order.

use std::io::{BufReader, Cursor};

use gpx::{Gpx, GpxVersion, Track, TrackSegment, Waypoint};

use crate::advance::error::{AdvanceError, AdvanceResult};
use crate::advance::geometry::{wrap_lon, Position};
use crate::advance::route::{Route, RouteInput, RoutePoint, RoutePointKind, RouteRole};

/// Parses a GPX document into routes ready to save. Stores nothing.
pub fn parse_gpx(bytes: &[u8]) -> AdvanceResult<Vec<RouteInput>> {
    let doc = read(bytes)?;
    let file_name = doc
        .metadata
        .as_ref()
        .and_then(|m| m.name.clone())
        .filter(|n| !n.trim().is_empty());

    let mut lines: Vec<(Option<String>, Vec<Position>)> = Vec::new();
    for t in &doc.tracks {
        let line: Vec<Position> = t
            .segments
            .iter()
            .flat_map(|s| s.points.iter())
            .map(position)
            .collect();
        if line.len() >= 2 {
            lines.push((t.name.clone(), line));
        }
    }
    for r in &doc.routes {
        let line: Vec<Position> = r.points.iter().map(position).collect();
        if line.len() >= 2 {
            lines.push((r.name.clone(), line));
        }
    }
    let points: Vec<RoutePoint> = doc
        .waypoints
        .iter()
        .enumerate()
        .map(|(i, w)| RoutePoint {
            kind: point_kind(w),
            name: w
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("Waypoint {}", i + 1)),
            position: position(w),
            notes: w
                .description
                .clone()
                .or_else(|| w.comment.clone())
                .unwrap_or_default(),
        })
        .collect();

    if lines.is_empty() {
        if points.len() < 2 {
            return Err(AdvanceError::EmptyRoute);
        }
        lines.push((None, points.iter().map(|p| p.position).collect()));
    }
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
            line,
            points: if i == 0 { points.clone() } else { vec![] },
            notes: String::new(),
        };
        // Refuse here, before anything is saved, with the field that is wrong.
        out.push(input.validate()?);
    }
    Ok(out)
}

/// Reads strictly; when the strict reader meets an element it does not know, reads again
/// after the tolerant pass has dropped what it cannot read (see `gpx_tolerant`).
fn read(bytes: &[u8]) -> AdvanceResult<Gpx> {
    use gpx::errors::GpxError as E;
    match gpx::read(BufReader::new(Cursor::new(bytes))) {
        Ok(doc) => Ok(doc),
        Err(E::InvalidChildElement(..)) => {
            let cleaned = super::gpx_tolerant::strip_unreadable(bytes)
                .ok_or_else(|| AdvanceError::Gpx("not well-formed XML".into()))?;
            gpx::read(BufReader::new(Cursor::new(cleaned))).map_err(describe)
        }
        Err(e) => Err(describe(e)),
    }
}

fn position(w: &Waypoint) -> Position {
    let p = w.point();
    Position::new(p.y(), wrap_lon(p.x()))
}

fn point_kind(w: &Waypoint) -> RoutePointKind {
    [&w.type_, &w.symbol, &w.name]
        .into_iter()
        .flatten()
        .find_map(|t| RoutePointKind::from_tag(t))
        .unwrap_or(RoutePointKind::Checkpoint)
}

/// A GPX reader error, without the file's content (values, element text).
fn describe(e: gpx::errors::GpxError) -> AdvanceError {
    use gpx::errors::GpxError as E;
    let reason = match e {
        E::XmlParseError(_) => "not well-formed XML".to_string(),
        E::UnknownVersionError(_) => "unknown GPX version (1.0 and 1.1 are read)".to_string(),
        E::LonLatOutOfBoundsError(what, _, _) => format!("a {what} is out of range"),
        E::ParseFloatError(_) | E::ParseIntegerError(_) => "a number is malformed".to_string(),
        E::Iso8601Error(_) => "a time is malformed".to_string(),
        E::InvalidChildElement(child, parent) => {
            format!("unexpected element <{child}> in {parent}")
        }
        E::InvalidClosingTag(_, parent) => format!("mismatched closing tag in {parent}"),
        E::MissingClosingTag(t) => format!("missing closing tag of {t}"),
        E::MissingOpeningTag(t) => format!("missing opening tag of {t}"),
        E::InvalidElementLacksAttribute(attr, el) => format!("{el} lacks its {attr}"),
        E::TagOpenedTwice(t) => format!("{t} opened twice"),
        _ => "not a readable GPX document".to_string(),
    };
    AdvanceError::Gpx(reason)
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
