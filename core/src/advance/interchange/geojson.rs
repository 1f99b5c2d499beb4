//! GeoJSON (RFC 7946) in and out (the `geojson` crate). Positions are longitude first.
//!
//! Import accepts a FeatureCollection, a Feature or a bare Geometry: LineString (a route),
//! MultiLineString (a route, parts joined in order) and Point (a route point; properties
//! `kind` = checkpoint / rendezvous / choke_point, `name`, `notes`). Route properties
//! `name`, `role` (primary / alternate), `journey`, `notes` are read when present.
//! Any other geometry is refused as the wrong geometry.
//!
//! Bounds ([`super::limits`]): the file size, the JSON nesting depth and the number of
//! JSON values (checked by one pass over the text before it is parsed, so the parsed tree
//! stays small: about 220 bytes a position), the positions read and the routes; long lines
//! are simplified as GPX ones are.

use std::str::FromStr;

use geojson::{Feature, FeatureCollection, GeoJson, Geometry, JsonObject, Value};

use super::limits::{
    MAX_FILE_BYTES, MAX_FILE_POSITIONS, MAX_JSON_DEPTH, MAX_JSON_VALUES, MAX_ROUTES,
};
use crate::advance::error::{AdvanceError, AdvanceResult};
use crate::advance::geometry::Position;
use crate::advance::route::{Route, RouteInput, RoutePoint, RoutePointKind, RouteRole};

const EXPECTED: &str = "LineString";

/// Parses GeoJSON into routes ready to save. Stores nothing.
pub fn parse_geojson(text: &str) -> AdvanceResult<Vec<RouteInput>> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large("file bytes", MAX_FILE_BYTES));
    }
    prescan(text)?;
    let gj = GeoJson::from_str(text).map_err(|e| AdvanceError::GeoJson(describe(&e)))?;
    let features: Vec<(String, Feature)> = match gj {
        GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .enumerate()
            .map(|(i, f)| (format!("features[{i}]"), f))
            .collect(),
        GeoJson::Feature(f) => vec![("feature".into(), f)],
        GeoJson::Geometry(g) => vec![(
            "geometry".into(),
            Feature {
                geometry: Some(g),
                ..Default::default()
            },
        )],
    };
    let mut routes: Vec<(Option<String>, RouteInput)> = Vec::new();
    let mut points: Vec<(Option<String>, RoutePoint)> = Vec::new();
    let mut read = 0usize;
    for (path, f) in features {
        let props = f.properties.clone().unwrap_or_default();
        let Some(geometry) = f.geometry else {
            return Err(AdvanceError::WrongGeometry {
                expected: EXPECTED.into(),
                found: "no geometry".into(),
            });
        };
        read += match &geometry.value {
            Value::LineString(c) => c.len(),
            Value::MultiLineString(parts) => parts.iter().map(Vec::len).sum(),
            _ => 1,
        };
        if read > MAX_FILE_POSITIONS {
            return Err(too_large("positions in the file", MAX_FILE_POSITIONS));
        }
        match &geometry.value {
            Value::LineString(coords) => {
                let line = positions(coords, &format!("{path}.geometry.coordinates"))?;
                routes.push((prop(&props, "id"), route_input(&props, line, routes.len())?));
            }
            Value::MultiLineString(parts) => {
                let mut line = Vec::new();
                for (pi, part) in parts.iter().enumerate() {
                    line.extend(positions(
                        part,
                        &format!("{path}.geometry.coordinates[{pi}]"),
                    )?);
                }
                routes.push((prop(&props, "id"), route_input(&props, line, routes.len())?));
            }
            Value::Point(c) => {
                let position = coordinate(c, &format!("{path}.geometry.coordinates"))?;
                let kind = prop(&props, "kind")
                    .and_then(|k| RoutePointKind::from_tag(&k))
                    .unwrap_or(RoutePointKind::Checkpoint);
                points.push((
                    prop(&props, "route_id"),
                    RoutePoint {
                        kind,
                        name: prop(&props, "name")
                            .unwrap_or_else(|| format!("Point {}", points.len() + 1)),
                        position,
                        notes: prop(&props, "notes").unwrap_or_default(),
                    },
                ));
            }
            other => {
                return Err(AdvanceError::WrongGeometry {
                    expected: EXPECTED.into(),
                    found: type_name(other).into(),
                })
            }
        }
        if routes.len() > MAX_ROUTES {
            return Err(too_large("routes in the file", MAX_ROUTES));
        }
    }
    if routes.is_empty() {
        return Err(AdvanceError::EmptyRoute);
    }
    // Points go to the route they name (an export of ours), else to the first route.
    for (route_id, p) in points {
        let idx = route_id
            .and_then(|id| {
                routes
                    .iter()
                    .position(|(rid, _)| rid.as_deref() == Some(&id))
            })
            .unwrap_or(0);
        routes[idx].1.points.push(p);
    }
    routes
        .into_iter()
        .map(|(_, r)| r.validate())
        .collect::<AdvanceResult<Vec<_>>>()
}

/// Counts JSON values and nesting without building anything: every `[`, `{` and `,`
/// outside strings starts a value (a close upper bound of the values the parser would
/// build).
fn prescan(text: &str) -> AdvanceResult<()> {
    let (mut values, mut depth) = (1usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                values += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(too_large("JSON nesting depth", MAX_JSON_DEPTH));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => continue,
        }
        if values > MAX_JSON_VALUES {
            return Err(too_large("JSON values", MAX_JSON_VALUES));
        }
    }
    Ok(())
}

fn too_large(what: &'static str, limit: usize) -> AdvanceError {
    AdvanceError::TooLarge {
        what: what.into(),
        limit: limit as u64,
    }
}

fn route_input(props: &JsonObject, line: Vec<Position>, index: usize) -> AdvanceResult<RouteInput> {
    Ok(RouteInput {
        id: None,
        name: prop(props, "name").unwrap_or_else(|| format!("Imported route {}", index + 1)),
        journey: prop(props, "journey"),
        role: match prop(props, "role").as_deref() {
            Some("alternate") => RouteRole::Alternate,
            Some("primary") => RouteRole::Primary,
            _ if index == 0 => RouteRole::Primary,
            _ => RouteRole::Alternate,
        },
        line: super::simplify::fit(line)?,
        points: vec![],
        notes: prop(props, "notes").unwrap_or_default(),
    })
}

fn prop(props: &JsonObject, key: &str) -> Option<String> {
    props
        .get(key)
        .and_then(|v| v.as_str())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn coordinate(c: &[f64], path: &str) -> AdvanceResult<Position> {
    if c.len() < 2 {
        return Err(AdvanceError::invalid(
            path,
            "a position needs longitude and latitude",
        ));
    }
    let p = Position::new(c[1], c[0]);
    p.validate(path)?;
    Ok(p)
}

fn positions(coords: &[Vec<f64>], path: &str) -> AdvanceResult<Vec<Position>> {
    coords
        .iter()
        .enumerate()
        .map(|(i, c)| coordinate(c, &format!("{path}[{i}]")))
        .collect()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Point(_) => "Point",
        Value::MultiPoint(_) => "MultiPoint",
        Value::LineString(_) => "LineString",
        Value::MultiLineString(_) => "MultiLineString",
        Value::Polygon(_) => "Polygon",
        Value::MultiPolygon(_) => "MultiPolygon",
        Value::GeometryCollection(_) => "GeometryCollection",
    }
}

/// A reader error without the document's content.
fn describe(e: &geojson::Error) -> String {
    use geojson::Error as E;
    match e {
        E::MalformedJson(_) => "not valid JSON".into(),
        E::NotAFeature(_) | E::ExpectedObjectValue(_) | E::GeoJsonExpectedObject(_) => {
            "a member is not an object".into()
        }
        E::EmptyType => "no GeoJSON type".into(),
        E::ExpectedType { expected, .. } => format!("a member should be a {expected}"),
        _ => "not a readable GeoJSON document".into(),
    }
}

/// Writes routes as a FeatureCollection: each route a LineString feature (properties
/// `vigil` = "route", `id`, `name`, `role`, `journey`, `notes`), each route point a Point
/// feature (`vigil` = "route_point", `route_id`, `kind`, `name`, `notes`).
pub fn to_geojson(routes: &[Route]) -> AdvanceResult<String> {
    let mut features = Vec::new();
    for r in routes {
        let mut props = JsonObject::new();
        props.insert("vigil".into(), "route".into());
        props.insert("id".into(), r.id.clone().into());
        props.insert("name".into(), r.name.clone().into());
        let role = match r.role {
            RouteRole::Primary => "primary",
            RouteRole::Alternate => "alternate",
        };
        props.insert("role".into(), role.into());
        if let Some(j) = &r.journey {
            props.insert("journey".into(), j.clone().into());
        }
        if !r.notes.is_empty() {
            props.insert("notes".into(), r.notes.clone().into());
        }
        let line = r.line.iter().map(|p| vec![p.lon, p.lat]).collect();
        features.push(feature(Value::LineString(line), props));
        for p in &r.points {
            let mut props = JsonObject::new();
            props.insert("vigil".into(), "route_point".into());
            props.insert("route_id".into(), r.id.clone().into());
            props.insert("kind".into(), p.kind.as_str().into());
            props.insert("name".into(), p.name.clone().into());
            if !p.notes.is_empty() {
                props.insert("notes".into(), p.notes.clone().into());
            }
            features.push(feature(
                Value::Point(vec![p.position.lon, p.position.lat]),
                props,
            ));
        }
    }
    let fc = FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    };
    Ok(GeoJson::from(fc).to_string())
}

fn feature(v: Value, props: JsonObject) -> Feature {
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(v)),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}
