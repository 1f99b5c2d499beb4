//! Keeping a long imported line within [`MAX_ROUTE_POSITIONS`]: Douglas-Peucker with a
//! tolerance of [`SIMPLIFY_TOLERANCE_M`] metres.
//!
//! The tolerance is applied in degrees: 5 m is 5 / 111,320 degrees of latitude, and a
//! degree of longitude is never longer than a degree of latitude, so no position read lies
//! farther than 5 m (on the ground) from the simplified line.
//!
//! Not `geo`'s `Simplify`: it recurses once per kept vertex (a hostile zigzag of 10,000
//! points overflows the stack) and costs O(n^2) at worst. Here the work runs on an explicit
//! stack, in chunks of [`CHUNK`] positions (each chunk's ends kept), so the worst case is
//! O(n * CHUNK) and the tolerance holds within every chunk.

use super::limits::{MAX_ROUTE_POSITIONS, SIMPLIFY_TOLERANCE_M};
use crate::advance::error::{AdvanceError, AdvanceResult};
use crate::advance::geometry::Position;

const METRES_PER_DEGREE_OF_LATITUDE: f64 = 111_320.0;
const CHUNK: usize = 1_000;

/// The line as it is when short enough, else simplified; refused when even the
/// simplified line is too long.
pub(crate) fn fit(line: Vec<Position>) -> AdvanceResult<Vec<Position>> {
    if line.len() <= MAX_ROUTE_POSITIONS {
        return Ok(line);
    }
    let epsilon = SIMPLIFY_TOLERANCE_M / METRES_PER_DEGREE_OF_LATITUDE;
    let mut kept: Vec<Position> = Vec::new();
    let mut start = 0;
    while start + 1 < line.len() {
        let end = (start + CHUNK).min(line.len() - 1);
        let chunk = &line[start..=end];
        let keep = douglas_peucker(chunk, epsilon);
        // Each chunk's first position is the previous chunk's last.
        let skip = usize::from(!kept.is_empty());
        kept.extend(
            keep.iter()
                .enumerate()
                .filter(|(_, k)| **k)
                .skip(skip)
                .map(|(i, _)| chunk[i]),
        );
        if kept.len() > MAX_ROUTE_POSITIONS {
            return Err(AdvanceError::TooLarge {
                what: "positions in a route after simplifying to 5 m".into(),
                limit: MAX_ROUTE_POSITIONS as u64,
            });
        }
        start = end;
    }
    Ok(kept)
}

/// Which positions to keep (both ends always).
fn douglas_peucker(line: &[Position], epsilon: f64) -> Vec<bool> {
    let mut keep = vec![false; line.len()];
    if line.is_empty() {
        return keep;
    }
    let last = line.len() - 1;
    keep[0] = true;
    keep[last] = true;
    let mut stack = vec![(0, last)];
    while let Some((a, b)) = stack.pop() {
        let mut worst = (0, 0.0f64);
        for i in a + 1..b {
            let d = segment_distance(line[i], line[a], line[b]);
            if d > worst.1 {
                worst = (i, d);
            }
        }
        if worst.1 > epsilon {
            keep[worst.0] = true;
            stack.push((a, worst.0));
            stack.push((worst.0, b));
        }
    }
    keep
}

/// Distance from `p` to the segment `a`-`b`, in degrees (longitude as x, latitude as y).
fn segment_distance(p: Position, a: Position, b: Position) -> f64 {
    let (px, py, ax, ay, bx, by) = (p.lon, p.lat, a.lon, a.lat, b.lon, b.lat);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    ((px - cx).powi(2) + (py - cy).powi(2)).sqrt()
}
