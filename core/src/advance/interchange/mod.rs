//! Routes and places in and out: GPX 1.0 / 1.1 and GeoJSON (RFC 7946).
//!
//! Parsing is pure (bytes in, [`RouteInput`](super::RouteInput)s out, nothing stored), so
//! an import can be previewed; [`super::route::save_routes`] then stores them all in one
//! transaction, or none. Both readers keep to [`limits`].

pub mod geojson;
pub mod gpx;
pub mod limits;
mod simplify;
