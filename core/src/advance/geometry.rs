//! Positions and geodesic measures on the WGS84 ellipsoid (Karney's algorithms through
//! the `geo` crate). Nothing here is planar: lengths, distances and bearings follow
//! geodesics, so a line crossing the antimeridian (179.5 E to 179.5 W) is short, and
//! positions near the poles measure correctly.
//!
//! Questions about long lines and many points ([`LineIndex`], [`PointSet`]) rule out most
//! candidates with proven bounds from straight-line distances through the Earth before
//! solving any geodesic; the answers are the exact ones all the same.

use geo::{Bearing, Destination, Distance, Geodesic, Point};
use serde::{Deserialize, Serialize};

use super::error::{AdvanceError, AdvanceResult};

/// A WGS84 position in decimal degrees. Serialised latitude first, by name, so no
/// reader can swap the axes (GeoJSON's longitude-first order is handled at the edge).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

// ---- cheap bounds on geodesic distances ----
//
// A question about a long line (which segment is nearest?) or many points (which haven
// is nearest?) needs the exact geodesic only for the few candidates that could answer
// it. The others are ruled out by bounds computed from the chord: the straight-line
// distance between the two points' Earth-centred coordinates, a few multiplications.
// The bounds are proven, not estimated, so the answers are those of an exhaustive
// search (tests compare the two).

const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// The smallest radius of curvature of the ellipsoid (of the meridian at the equator,
/// b^2 / a, about 6,335 km): no geodesic bends more sharply.
const MIN_RADIUS_M: f64 = WGS84_A * (1.0 - WGS84_E2);
/// No two points are further apart than half the equator (the longest geodesic, between
/// antipodes on the equator, runs over a pole: 20,004 km).
const MAX_GEODESIC_M: f64 = std::f64::consts::PI * WGS84_A;
/// Margin for rounding in the chord (~1e-8 m) and in the geodesic solver (~15 nm); it
/// only costs an exact solve when two candidates are within a millimetre.
const SLACK_M: f64 = 1e-3;

/// Earth-centred, Earth-fixed coordinates (metres) of a position on the ellipsoid.
fn ecef(p: Position) -> [f64; 3] {
    let (slat, clat) = p.lat.to_radians().sin_cos();
    let (slon, clon) = p.lon.to_radians().sin_cos();
    let n = WGS84_A / (1.0 - WGS84_E2 * slat * slat).sqrt();
    [
        n * clat * clon,
        n * clat * slon,
        n * (1.0 - WGS84_E2) * slat,
    ]
}

/// Straight-line distance through the Earth, metres.
fn chord_m(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (dx * dx + dy * dy + dz * dz).sqrt()
}

/// No geodesic is shorter than the straight line between its ends.
fn geodesic_at_least(chord: f64) -> f64 {
    chord - SLACK_M
}

/// The longest a geodesic with ends `chord` metres apart can be. A geodesic curves in
/// space exactly as much as the surface does along it, so at most 1/R with R the
/// smallest radius of curvature; by Schur's comparison theorem its chord is then at least
/// that of a circular arc of radius R and the same length s: chord >= 2R sin(s / 2R).
/// That inverts to s <= 2R asin(x), x = chord / 2R, when s <= pi R, which holds whenever
/// the chord is under R (a longer geodesic, s > pi R, is near-antipodal: its chord exceeds
/// 1.99 R). Since asin(x) <= tan(asin(x)), s <= chord / sqrt(1 - x^2), cheaper to compute
/// and above the chord by ~chord^3 / 8R^2 only (3 micrometres at 1 km, 3 mm at 10 km).
fn geodesic_at_most(chord: f64) -> f64 {
    if chord < MIN_RADIUS_M {
        let x = chord / (2.0 * MIN_RADIUS_M);
        chord / (1.0 - x * x).sqrt() + SLACK_M
    } else {
        MAX_GEODESIC_M
    }
}

// ---- nearest point of a line ----

/// Nearest point of `line` to `p`, by geodesic distance. A line of one vertex is a point.
/// Returns `None` for an empty line. For many positions against one line, build a
/// [`LineIndex`] once.
pub fn locate_on_line(line: &[Position], p: Position) -> Option<LineFix> {
    LineIndex::new(line).locate(p)
}

/// Geodesic distance from `p` to the nearest point of `line`, and that point: what
/// [`locate_on_line`] says, without the distance along the line, which needs the exact
/// length of every segment before it. This needs the exact geodesic only near `p`.
/// Returns `None` for an empty line.
pub fn nearest_on_line(line: &[Position], p: Position) -> Option<(f64, Position)> {
    let first = *line.first()?;
    if line.len() == 1 {
        return Some((distance_m(first, p), first));
    }
    let xyz: Vec<[f64; 3]> = line.iter().map(|v| ecef(*v)).collect();
    let lower = segment_lower_bounds(&xyz, p, |i| geodesic_at_most(chord_m(&xyz[i], &xyz[i + 1])));
    let hit = nearest_segment(line, &lower, p, f64::INFINITY, |i| {
        distance_m(line[i], line[i + 1])
    })?;
    Some((hit.distance_m, hit.point))
}

/// A line prepared for many questions: the exact geodesic length of every segment and
/// the distance along the line to every vertex, computed once, and the vertices'
/// Earth-centred coordinates for the cheap bounds.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    line: &'a [Position],
    xyz: Vec<[f64; 3]>,
    /// seg_m[i]: geodesic length of segment i.
    seg_m: Vec<f64>,
    /// along_m[i]: distance along the line from its start to vertex i.
    along_m: Vec<f64>,
}

impl<'a> LineIndex<'a> {
    /// One geodesic solve per segment.
    pub fn new(line: &'a [Position]) -> Self {
        let seg_m: Vec<f64> = line.windows(2).map(|w| distance_m(w[0], w[1])).collect();
        let mut along_m = Vec::with_capacity(line.len());
        let mut along = 0.0;
        if !line.is_empty() {
            along_m.push(along);
        }
        for s in &seg_m {
            along += s;
            along_m.push(along);
        }
        LineIndex {
            line,
            xyz: line.iter().map(|v| ecef(*v)).collect(),
            seg_m,
            along_m,
        }
    }

    pub fn line(&self) -> &'a [Position] {
        self.line
    }

    /// Geodesic length of the line, metres (as [`length_m`]).
    pub fn length_m(&self) -> f64 {
        self.along_m.last().copied().unwrap_or(0.0)
    }

    /// As [`locate_on_line`].
    pub fn locate(&self, p: Position) -> Option<LineFix> {
        self.search(p, f64::INFINITY)
    }

    /// As [`locate_on_line`], but only when the line passes within `max_m` metres of `p`
    /// (`None` otherwise); quicker when most positions are further.
    pub fn locate_within(&self, p: Position, max_m: f64) -> Option<LineFix> {
        self.search(p, max_m).filter(|f| f.distance_m <= max_m)
    }

    fn search(&self, p: Position, max_m: f64) -> Option<LineFix> {
        let first = *self.line.first()?;
        if self.line.len() == 1 {
            return Some(LineFix {
                distance_m: distance_m(first, p),
                nearest: first,
                segment: 0,
                along_m: 0.0,
            });
        }
        let lower = segment_lower_bounds(&self.xyz, p, |i| self.seg_m[i]);
        let hit = nearest_segment(self.line, &lower, p, max_m, |i| self.seg_m[i])?;
        Some(LineFix {
            distance_m: hit.distance_m,
            nearest: hit.point,
            segment: hit.segment,
            along_m: self.along_m[hit.segment] + hit.t_m,
        })
    }

    /// As [`sample_line`].
    pub fn sample(&self, step_m: f64, max_points: usize) -> Vec<(Position, f64)> {
        let total = self.length_m();
        let step = step_m.max(total / max_points.max(1) as f64).max(1.0);
        let mut out = Vec::new();
        for (i, w) in self.line.windows(2).enumerate() {
            let (a, b) = (w[0], w[1]);
            let (seg, along) = (self.seg_m[i], self.along_m[i]);
            out.push((a, along));
            if step < seg {
                let azimuth = bearing_deg(a, b);
                let mut s = step;
                while s < seg {
                    out.push((destination(a, azimuth, s), along + s));
                    s += step;
                }
            }
        }
        if let Some(last) = self.line.last() {
            out.push((*last, total));
        }
        out
    }
}

/// For each segment, a distance from `p` that no point of it is nearer than. From the
/// triangle inequality: a point q at s metres along a segment a-b of length L has
/// d(p, q) >= d(p, a) - s and d(p, q) >= d(p, b) - (L - s), so d(p, q) >= (d(p, a) +
/// d(p, b) - L) / 2; with the chord bounds for d(p, a), d(p, b) and `seg_max_m(i)` no
/// shorter than segment i.
fn segment_lower_bounds(
    xyz: &[[f64; 3]],
    p: Position,
    seg_max_m: impl Fn(usize) -> f64,
) -> Vec<f64> {
    let pe = ecef(p);
    let to_vertex: Vec<f64> = xyz
        .iter()
        .map(|v| geodesic_at_least(chord_m(v, &pe)))
        .collect();
    to_vertex
        .windows(2)
        .enumerate()
        .map(|(i, w)| (w[0] + w[1] - seg_max_m(i)) / 2.0)
        .collect()
}

/// The point of a segment nearest a position.
struct SegmentHit {
    segment: usize,
    /// Distance from the segment's start, metres.
    t_m: f64,
    distance_m: f64,
    point: Position,
}

/// The nearest point of a line (of two vertices or more) to `p`: the smallest distance,
/// and of equals the first segment, as an exhaustive search over the segments would
/// find. `lower[i]` bounds segment i from below (see [`segment_lower_bounds`]),
/// `seg_len_m(i)` is its exact length. The segment with the smallest bound is solved
/// first; the others only while their bound does not exceed the best distance found (nor
/// `max_m`: what lies further is not wanted). `None` when no segment can be within
/// `max_m`.
fn nearest_segment(
    line: &[Position],
    lower: &[f64],
    p: Position,
    max_m: f64,
    seg_len_m: impl Fn(usize) -> f64,
) -> Option<SegmentHit> {
    // Exact nearest point of segment i, unless the triangle inequality on the exact
    // distances to its ends already puts it beyond `bound`.
    let solve = |i: usize, bound: f64| -> Option<SegmentHit> {
        let (a, b) = (line[i], line[i + 1]);
        let seg_len = seg_len_m(i);
        let (da, db) = (distance_m(p, a), distance_m(p, b));
        if ((da + db - seg_len) / 2.0).max(0.0) > bound {
            return None;
        }
        let (t_m, distance_m, point) = nearest_on_segment(a, b, seg_len, p, da, db);
        Some(SegmentHit {
            segment: i,
            t_m,
            distance_m,
            point,
        })
    };
    let (seed, seed_lower) = lower.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1))?;
    if *seed_lower > max_m {
        return None;
    }
    let mut best = solve(seed, f64::INFINITY)?;
    let bound = |best: &SegmentHit| best.distance_m.min(max_m);
    let mut rest: Vec<(f64, usize)> = lower
        .iter()
        .enumerate()
        .filter(|&(i, l)| i != seed && *l <= bound(&best))
        .map(|(i, l)| (*l, i))
        .collect();
    rest.sort_by(|x, y| x.0.total_cmp(&y.0));
    for (l, i) in rest {
        if l > bound(&best) {
            break;
        }
        if let Some(hit) = solve(i, bound(&best)) {
            let nearer = hit.distance_m < best.distance_m
                || (hit.distance_m == best.distance_m && i < best.segment);
            if nearer {
                best = hit;
            }
        }
    }
    Some(best)
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
    LineIndex::new(line).sample(step_m, max_points)
}

// ---- nearest of many points ----

/// Positions prepared for "which is nearest?" questions (havens along a route).
#[derive(Clone, Debug)]
pub struct PointSet {
    points: Vec<Position>,
    xyz: Vec<[f64; 3]>,
}

impl PointSet {
    pub fn new(points: Vec<Position>) -> Self {
        let xyz = points.iter().map(|p| ecef(*p)).collect();
        PointSet { points, xyz }
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Bounds (at least, at most) on the geodesic distance from `p` to the nearest point
    /// of the set, without solving any geodesic. `None` when the set is empty.
    pub fn nearest_bounds(&self, p: Position) -> Option<(f64, f64)> {
        let pe = ecef(p);
        let chord = self
            .xyz
            .iter()
            .map(|x| chord_m(x, &pe))
            .min_by(f64::total_cmp)?;
        Some((geodesic_at_least(chord), geodesic_at_most(chord)))
    }

    /// The point of the set nearest `p` by geodesic distance (of equals, the first), as
    /// (index, distance in metres). `None` when the set is empty.
    pub fn nearest(&self, p: Position) -> Option<(usize, f64)> {
        let pe = ecef(p);
        let lower: Vec<f64> = self
            .xyz
            .iter()
            .map(|x| geodesic_at_least(chord_m(x, &pe)))
            .collect();
        let (seed, _) = lower.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1))?;
        let mut best = (seed, distance_m(p, self.points[seed]));
        for (i, l) in lower.iter().enumerate() {
            if i == seed || *l > best.1 {
                continue;
            }
            let d = distance_m(p, self.points[i]);
            if d < best.1 || (d == best.1 && i < best.0) {
                best = (i, d);
            }
        }
        Some(best)
    }
}

/// The exhaustive search `locate_on_line` made before the bounds: every segment, in
/// order, three geodesic solves each. The reference the fast search must agree with.
#[cfg(test)]
pub(crate) fn locate_exhaustive(line: &[Position], p: Position) -> Option<LineFix> {
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
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// `sample_line` as it was before `LineIndex`.
    fn sample_line_reference(
        line: &[Position],
        step_m: f64,
        max_points: usize,
    ) -> Vec<(Position, f64)> {
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

    /// Anywhere, at the antimeridian, or near a pole.
    pub(crate) fn start() -> impl Strategy<Value = Position> {
        prop_oneof![
            (-80.0f64..80.0, -180.0f64..180.0),
            (
                -70.0f64..70.0,
                prop_oneof![179.0f64..=180.0, -180.0f64..-179.0]
            ),
            (
                prop_oneof![85.0f64..89.999, -89.999f64..-85.0],
                -180.0f64..180.0
            ),
        ]
        .prop_map(|(lat, lon)| Position::new(lat, lon))
    }

    /// Mostly city-scale legs; some repeated vertices, some long legs.
    pub(crate) fn leg_m() -> impl Strategy<Value = f64> {
        prop_oneof![
            1 => Just(0.0),
            6 => 0.5f64..200.0,
            3 => 200.0f64..5_000.0,
            1 => 5_000.0f64..300_000.0,
        ]
    }

    /// A line of 1 to 30 vertices, each leg a bearing and a length from the last.
    pub(crate) fn line() -> impl Strategy<Value = Vec<Position>> {
        (
            start(),
            prop::collection::vec((0.0f64..360.0, leg_m()), 0..30),
        )
            .prop_map(|(first, legs)| {
                let mut line = vec![first];
                for (bearing, len) in legs {
                    let last = line[line.len() - 1];
                    line.push(destination(last, bearing, len));
                }
                line
            })
    }

    /// A line and a position: on a vertex, near one, or far away.
    pub(crate) fn line_and_position() -> impl Strategy<Value = (Vec<Position>, Position)> {
        let offset = prop_oneof![
            1 => Just(0.0),
            4 => 0.0f64..100.0,
            4 => 100.0f64..5_000.0,
            1 => 5_000.0f64..19_000_000.0,
        ];
        (line(), any::<prop::sample::Index>(), 0.0f64..360.0, offset).prop_map(
            |(line, at, bearing, offset)| {
                let p = destination(line[at.index(line.len())], bearing, offset);
                (line, p)
            },
        )
    }

    fn agree(fast: &LineFix, slow: &LineFix) -> Result<(), TestCaseError> {
        prop_assert!(
            (fast.distance_m - slow.distance_m).abs() < 0.01,
            "{fast:?} {slow:?}"
        );
        prop_assert!(
            (fast.along_m - slow.along_m).abs() < 0.01,
            "{fast:?} {slow:?}"
        );
        prop_assert!(
            distance_m(fast.nearest, slow.nearest) < 0.03,
            "{fast:?} {slow:?}"
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn chord_bounds_hold_anywhere(
            a in start(),
            bearing in 0.0f64..360.0,
            len in prop_oneof![0.0f64..1_000.0, 0.0f64..20_010_000.0],
            b_anywhere in (-90.0f64..=90.0, -180.0f64..=180.0),
        ) {
            let b_anywhere = Position::new(b_anywhere.0, b_anywhere.1);
            for b in [destination(a, bearing, len), b_anywhere] {
                let d = distance_m(a, b);
                let chord = chord_m(&ecef(a), &ecef(b));
                prop_assert!(geodesic_at_least(chord) <= d, "{a:?} {b:?} {d} {chord}");
                prop_assert!(d <= geodesic_at_most(chord), "{a:?} {b:?} {d} {chord}");
            }
        }

        #[test]
        fn locate_agrees_with_the_exhaustive_search((line, p) in line_and_position()) {
            let slow = locate_exhaustive(&line, p).unwrap();
            let fast = locate_on_line(&line, p).unwrap();
            agree(&fast, &slow)?;
            let (d, nearest) = nearest_on_line(&line, p).unwrap();
            prop_assert!((d - slow.distance_m).abs() < 0.01, "{d} {slow:?}");
            prop_assert!(distance_m(nearest, slow.nearest) < 0.03, "{nearest:?} {slow:?}");
        }

        #[test]
        fn locate_within_agrees_with_the_exhaustive_search(
            (line, p) in line_and_position(),
            max_m in prop_oneof![0.0f64..200.0, 0.0f64..20_000.0],
        ) {
            let slow = locate_exhaustive(&line, p).unwrap();
            match LineIndex::new(&line).locate_within(p, max_m) {
                Some(fast) => agree(&fast, &slow)?,
                None => prop_assert!(slow.distance_m > max_m, "{slow:?} within {max_m}"),
            }
        }

        #[test]
        fn samples_are_unchanged(
            line in line(),
            step_m in 0.5f64..3_000.0,
            max_points in 1usize..200,
        ) {
            prop_assert_eq!(
                sample_line(&line, step_m, max_points),
                sample_line_reference(&line, step_m, max_points)
            );
        }

        #[test]
        fn nearest_point_agrees_with_the_exhaustive_search(
            (points, p) in line_and_position(),
        ) {
            let slow = points
                .iter()
                .enumerate()
                .map(|(i, q)| (i, distance_m(p, *q)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let set = PointSet::new(points.clone());
            prop_assert_eq!(set.nearest(p), slow);
            let (lo, hi) = set.nearest_bounds(p).unwrap();
            let d = slow.unwrap().1;
            prop_assert!(lo <= d && d <= hi, "{lo} {d} {hi}");
        }
    }

    #[test]
    fn of_equally_near_segments_the_first() {
        // Back and forth over one segment: segments 0 and 2 are the same geodesic.
        let (a, b) = (Position::new(-33.9, 151.2), Position::new(-33.8, 151.3));
        let line = [a, b, a, b];
        for p in [Position::new(-33.85, 151.26), a, b] {
            let fix = locate_on_line(&line, p).unwrap();
            assert_eq!(Some(fix), locate_exhaustive(&line, p), "{p:?}");
            assert!(fix.segment < 2, "{fix:?}");
        }
        // On a vertex, between a short segment and a long one with the smaller bound:
        // both are at 0 m, the first is the answer.
        let c = destination(b, 40.0, 50_000.0);
        let line = [a, b, c];
        let fix = locate_on_line(&line, b).unwrap();
        assert_eq!(Some(fix), locate_exhaustive(&line, b));
        assert_eq!((fix.segment, fix.distance_m), (0, 0.0), "{fix:?}");
    }

    #[test]
    fn empty_and_single_vertex_lines() {
        let p = Position::new(1.0, 2.0);
        assert!(locate_on_line(&[], p).is_none());
        assert!(nearest_on_line(&[], p).is_none());
        assert!(PointSet::new(vec![]).nearest(p).is_none());
        let one = [Position::new(1.0, 2.1)];
        let fix = locate_on_line(&one, p).unwrap();
        assert_eq!(fix, locate_exhaustive(&one, p).unwrap());
        assert_eq!(
            nearest_on_line(&one, p),
            Some((fix.distance_m, fix.nearest))
        );
        assert_eq!(LineIndex::new(&one).length_m(), 0.0);
    }
}
