//! Positions and geodesic measures on the WGS84 ellipsoid (Karney's algorithms through
//! the `geo` crate). Nothing here is planar: lengths, distances and bearings follow
//! geodesics, so a line crossing the antimeridian (179.5 E to 179.5 W) is short, and
//! positions near the poles measure correctly.

use geo::{Bearing, Destination, Distance, Geodesic, Point};
use serde::{Deserialize, Serialize};

use super::error::{AdvanceError, AdvanceResult};

/// A WGS84 position in decimal degrees. Serialised latitude first, by name, so no
/// reader can swap the axes (GeoJSON's longitude-first order is handled at the edge).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

impl Position {
    pub fn new(lat: f64, lon: f64) -> Self {
        Position { lat, lon }
    }

    /// Checks the ranges (latitude -90..=90, longitude -180..=180, both finite).
    pub fn validate(&self, field: &str) -> AdvanceResult<()> {
        if !self.lat.is_finite() || !self.lon.is_finite() {
            return Err(AdvanceError::invalid(field, "not a finite number"));
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(AdvanceError::invalid(
                field,
                "latitude outside -90..90 degrees",
            ));
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            return Err(AdvanceError::invalid(
                field,
                "longitude outside -180..180 degrees",
            ));
        }
        Ok(())
    }

    fn point(self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }

    fn from_point(p: Point<f64>) -> Self {
        Position {
            lat: p.y(),
            lon: wrap_lon(p.x()),
        }
    }
}

/// Brings a longitude into -180..180.
pub fn wrap_lon(lon: f64) -> f64 {
    if (-180.0..=180.0).contains(&lon) {
        return lon;
    }
    let w = (lon + 180.0).rem_euclid(360.0) - 180.0;
    if w == -180.0 && lon > 0.0 {
        180.0
    } else {
        w
    }
}

/// Geodesic distance in metres.
pub fn distance_m(a: Position, b: Position) -> f64 {
    Geodesic.distance(a.point(), b.point())
}

/// Initial geodesic bearing from `a` to `b`, degrees clockwise from true north, 0..360.
pub fn bearing_deg(a: Position, b: Position) -> f64 {
    let d = Geodesic.bearing(a.point(), b.point());
    d.rem_euclid(360.0)
}

/// The position reached from `a` after `distance_m` metres on `bearing` degrees.
pub fn destination(a: Position, bearing: f64, distance_m: f64) -> Position {
    Position::from_point(Geodesic.destination(a.point(), bearing, distance_m))
}

/// Geodesic length of a line in metres.
pub fn length_m(line: &[Position]) -> f64 {
    line.windows(2).map(|w| distance_m(w[0], w[1])).sum()
}

/// Where a position falls relative to a line.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineFix {
    /// Geodesic distance from the position to the nearest point of the line, metres.
    pub distance_m: f64,
    /// The nearest point of the line.
    pub nearest: Position,
    /// Index of the segment holding it (segment i runs from vertex i to vertex i + 1).
    pub segment: usize,
    /// Distance along the line from its start to the nearest point, metres.
    pub along_m: f64,
}

/// Nearest point of `line` to `p`, by geodesic distance. A line of one vertex is a point.
/// Returns `None` for an empty line.
pub fn locate_on_line(line: &[Position], p: Position) -> Option<LineFix> {
    let first = *line.first()?;
    if line.len() == 1 {
        return Some(LineFix {
            distance_m: distance_m(first, p),
            nearest: first,
            segment: 0,
            along_m: 0.0,
        });
    }
    let mut best: Option<LineFix> = None;
    let mut along = 0.0;
    for (i, w) in line.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        let seg_len = distance_m(a, b);
        let da = distance_m(p, a);
        let db = distance_m(p, b);
        // Triangle inequality: no point of the segment is nearer than this.
        let lower_bound = ((da + db - seg_len) / 2.0).max(0.0);
        let worth_it = best.map(|b| lower_bound < b.distance_m).unwrap_or(true);
        if worth_it {
            let (t_m, d, q) = nearest_on_segment(a, b, seg_len, p, da, db);
            if best.map(|b| d < b.distance_m).unwrap_or(true) {
                best = Some(LineFix {
                    distance_m: d,
                    nearest: q,
                    segment: i,
                    along_m: along + t_m,
                });
            }
        }
        along += seg_len;
    }
    best
}

/// Golden-section search along the geodesic a -> b for the point nearest `p`.
/// Returns (distance from a along the segment, distance to p, the point).
fn nearest_on_segment(
    a: Position,
    b: Position,
    seg_len: f64,
    p: Position,
    da: f64,
    db: f64,
) -> (f64, f64, Position) {
    if seg_len < 0.01 {
        return if da <= db {
            (0.0, da, a)
        } else {
            (seg_len, db, b)
        };
    }
    let azimuth = Geodesic.bearing(a.point(), b.point());
    let at = |s: f64| destination(a, azimuth, s);
    let dist_at = |s: f64| distance_m(at(s), p);
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let (mut lo, mut hi) = (0.0, seg_len);
    let mut x1 = hi - INV_PHI * (hi - lo);
    let mut x2 = lo + INV_PHI * (hi - lo);
    let (mut f1, mut f2) = (dist_at(x1), dist_at(x2));
    // Down to centimetres, bounded for very long segments.
    let mut steps = 0;
    while hi - lo > 0.01 && steps < 80 {
        if f1 < f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - INV_PHI * (hi - lo);
            f1 = dist_at(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + INV_PHI * (hi - lo);
            f2 = dist_at(x2);
        }
        steps += 1;
    }
    let mid = (lo + hi) / 2.0;
    let mut candidates = [(0.0, da, a), (seg_len, db, b), (mid, dist_at(mid), at(mid))];
    candidates.sort_by(|x, y| x.1.total_cmp(&y.1));
    candidates[0]
}

/// Points along the line at most `step_m` apart, with every vertex kept; each with its
/// distance along the line. `max_points` caps the work on very long lines (the step
/// then grows).
pub fn sample_line(line: &[Position], step_m: f64, max_points: usize) -> Vec<(Position, f64)> {
    let total = length_m(line);
    let step = step_m.max(total / max_points.max(1) as f64).max(1.0);
    let mut out = Vec::new();
    let mut along = 0.0;
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let seg = distance_m(a, b);
        let azimuth = bearing_deg(a, b);
        out.push((a, along));
        let mut s = step;
        while s < seg {
            out.push((destination(a, azimuth, s), along + s));
            s += step;
        }
        along += seg;
    }
    if let Some(last) = line.last() {
        out.push((*last, along));
    }
    out
}

/// Checks every position of a line and that it has at least two.
pub fn validate_line(line: &[Position], field: &str) -> AdvanceResult<()> {
    if line.len() < 2 {
        return Err(AdvanceError::EmptyRoute);
    }
    for (i, p) in line.iter().enumerate() {
        p.validate(&format!("{field}[{i}]"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_longitude() {
        assert_eq!(wrap_lon(190.0), -170.0);
        assert_eq!(wrap_lon(-190.0), 170.0);
        assert_eq!(wrap_lon(180.0), 180.0);
        assert_eq!(wrap_lon(540.0), 180.0);
    }

    #[test]
    fn nearest_on_a_segment_is_interior() {
        // A meridian segment; a point 0.01 degrees east of its middle.
        let line = [Position::new(10.0, 20.0), Position::new(11.0, 20.0)];
        let fix = locate_on_line(&line, Position::new(10.5, 20.01)).unwrap();
        assert!((fix.nearest.lat - 10.5).abs() < 1e-3, "{fix:?}");
        // 0.01 degree of longitude at 10.5 N is about 1094 m.
        assert!((fix.distance_m - 1094.0).abs() < 5.0, "{}", fix.distance_m);
        assert!((fix.along_m - distance_m(line[0], fix.nearest)).abs() < 0.1);
    }
}
