//! The limits of a route import, chosen so a phone can import, store and draw the result:
//! refused beyond them with [`AdvanceError::TooLarge`](crate::advance::AdvanceError),
//! before anything is stored. Documented in `docs/SECURITY.md`.

/// The largest GPX or GeoJSON file read (16 MiB: a 12-hour 1 Hz recording with
/// heart-rate extensions is about 13 MiB).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// Positions read from one file, all tracks, routes and waypoints together.
pub const MAX_FILE_POSITIONS: usize = 200_000;
/// Routes in one file.
pub const MAX_ROUTES: usize = 50;
/// Positions kept in a route's line (a limit of every stored route). A longer line read
/// from a file is simplified (Douglas-Peucker) so no position read lies farther than
/// [`SIMPLIFY_TOLERANCE_M`] from the stored line; when that still leaves more, the route
/// is refused. With [`MAX_ROUTE_POINTS`], defined beside the route.
pub use crate::advance::route::{MAX_ROUTE_POINTS, MAX_ROUTE_POSITIONS};
/// The tolerance of that simplification, metres.
pub const SIMPLIFY_TOLERANCE_M: f64 = 5.0;
/// XML element nesting in a GPX file (GPX itself needs 6; vendor extensions a few more).
pub const MAX_XML_DEPTH: usize = 32;
/// XML elements in a GPX file.
pub const MAX_XML_ELEMENTS: usize = 2_000_000;
/// The text of one GPX element (a name, a description), bytes.
pub const MAX_XML_TEXT: usize = 64 * 1024;
/// JSON nesting in a GeoJSON file (a MultiLineString feature in a collection needs 6).
pub const MAX_JSON_DEPTH: usize = 32;
/// JSON values (numbers, strings, arrays, objects) in a GeoJSON file: enough for
/// [`MAX_FILE_POSITIONS`] positions with elevations, and what keeps the parsed document
/// within about 50 MB.
pub const MAX_JSON_VALUES: usize = 1_200_000;
