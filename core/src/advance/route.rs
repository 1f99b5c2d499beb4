//! Routes: the primary and alternate ways for a journey, as WGS84 lines with their
//! checkpoints, rendezvous points and choke points; and what an officer asks of them
//! (length, off-route, progress, havens along the way, the worst coverage gap).

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::error::{write, AdvanceError, AdvanceResult};
use super::geometry::{length_m, nearest_on_line, validate_line, LineIndex, PointSet, Position};
use super::haven::{HavenFilter, SafeHaven};
use super::{
    check_id, new_id, opt_text, optional_text, required_text, stored_doc, stored_docs, NAME_MAX,
    NOTE_MAX,
};
use crate::clock::Hlc;
use crate::store::Database;

/// Positions in a route's line (an import simplifies a longer line first, see
/// [`crate::advance::interchange::limits`]).
pub const MAX_ROUTE_POSITIONS: usize = 10_000;
/// Checkpoints, rendezvous and choke points on one route.
pub const MAX_ROUTE_POINTS: usize = 1_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum RouteRole {
    #[default]
    Primary,
    Alternate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum RoutePointKind {
    Checkpoint,
    Rendezvous,
    ChokePoint,
}

impl RoutePointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoutePointKind::Checkpoint => "checkpoint",
            RoutePointKind::Rendezvous => "rendezvous",
            RoutePointKind::ChokePoint => "choke_point",
        }
    }

    /// Reads the kind from a free-text tag (GPX `type`/`sym`, GeoJSON property).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let t = tag.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        match t.as_str() {
            "checkpoint" | "cp" => Some(RoutePointKind::Checkpoint),
            "rendezvous" | "rv" | "rendezvous_point" => Some(RoutePointKind::Rendezvous),
            "choke_point" | "chokepoint" | "choke" => Some(RoutePointKind::ChokePoint),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RoutePoint {
    pub kind: RoutePointKind,
    pub name: String,
    pub position: Position,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteInput {
    pub id: Option<String>,
    pub name: String,
    /// Groups the primary and alternates of one journey (caller-chosen id).
    #[serde(default)]
    pub journey: Option<String>,
    #[serde(default)]
    pub role: RouteRole,
    pub line: Vec<Position>,
    #[serde(default)]
    pub points: Vec<RoutePoint>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Route {
    pub id: String,
    pub name: String,
    pub journey: Option<String>,
    pub role: RouteRole,
    pub line: Vec<Position>,
    pub points: Vec<RoutePoint>,
    pub notes: String,
    pub updated: Hlc,
}

impl RouteInput {
    pub(crate) fn validate(&self) -> AdvanceResult<RouteInput> {
        if let Some(id) = &self.id {
            check_id(id, "id")?;
        }
        if let Some(j) = &self.journey {
            check_id(j, "journey")?;
        }
        validate_line(&self.line, "line")?;
        if self.line.len() > MAX_ROUTE_POSITIONS {
            return Err(AdvanceError::TooLarge {
                what: "positions in a route".into(),
                limit: MAX_ROUTE_POSITIONS as u64,
            });
        }
        if self.points.len() > MAX_ROUTE_POINTS {
            return Err(AdvanceError::TooLarge {
                what: "points on a route".into(),
                limit: MAX_ROUTE_POINTS as u64,
            });
        }
        let mut points = Vec::with_capacity(self.points.len());
        for (i, p) in self.points.iter().enumerate() {
            let f = format!("points[{i}]");
            p.position.validate(&format!("{f}.position"))?;
            points.push(RoutePoint {
                kind: p.kind,
                name: required_text(&p.name, &format!("{f}.name"), NAME_MAX)?,
                position: p.position,
                notes: optional_text(&p.notes, &format!("{f}.notes"), NOTE_MAX)?,
            });
        }
        Ok(RouteInput {
            id: self.id.clone(),
            name: required_text(&self.name, "name", NAME_MAX)?,
            journey: opt_text(&self.journey, "journey", 128)?,
            role: self.role,
            line: self.line.clone(),
            points,
            notes: optional_text(&self.notes, "notes", NOTE_MAX)?,
        })
    }
}

/// Creates or replaces a route. Outbox kind `route.upsert`.
pub fn save_route(db: &mut Database, input: &RouteInput) -> AdvanceResult<Route> {
    let mut all = save_routes(db, std::slice::from_ref(input))?;
    all.pop().ok_or(AdvanceError::EmptyRoute)
}

/// Saves several routes in one transaction (an import): all or none.
pub fn save_routes(db: &mut Database, inputs: &[RouteInput]) -> AdvanceResult<Vec<Route>> {
    let valid = inputs
        .iter()
        .map(RouteInput::validate)
        .collect::<AdvanceResult<Vec<_>>>()?;
    write(db, |w| {
        let mut out = Vec::with_capacity(valid.len());
        for v in valid {
            let route = Route {
                id: v.id.unwrap_or_else(new_id),
                name: v.name,
                journey: v.journey,
                role: v.role,
                line: v.line,
                points: v.points,
                notes: v.notes,
                updated: w.stamp()?,
            };
            let doc = serde_json::to_value(&route)?;
            // Before the row is replaced: the stamps keep what this save leaves unchanged.
            let payload =
                super::fields::RecordKind::Route.save_local(w.tx(), &doc, &route.updated)?;
            w.tx().execute(
                "INSERT INTO adv_routes(id, journey, doc, hlc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET journey = excluded.journey,
                 doc = excluded.doc, hlc = excluded.hlc",
                params![
                    route.id,
                    route.journey,
                    doc.to_string(),
                    route.updated.to_string()
                ],
            )?;
            w.emit("route.upsert", &route.id, &payload)?;
            out.push(route);
        }
        Ok(out)
    })
}

/// For each input that belongs to a journey, the id of a route already stored in that
/// journey with the very same line (the same file imported again), as
/// `(input index, stored route id)`. Saving them would make two identical routes (two
/// primaries) in one journey; the caller warns or refuses.
pub fn already_in_journey(
    db: &Database,
    inputs: &[RouteInput],
) -> AdvanceResult<Vec<(usize, String)>> {
    let mut out = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let Some(journey) = &input.journey else {
            continue;
        };
        if let Some(same) = routes_for_journey(db, journey)?
            .into_iter()
            .find(|r| r.line == input.line)
        {
            out.push((i, same.id));
        }
    }
    Ok(out)
}

pub fn get_route(db: &Database, id: &str) -> AdvanceResult<Route> {
    stored_doc(db, "SELECT doc FROM adv_routes WHERE id = ?1", id, "route")
}

pub fn list_routes(db: &Database) -> AdvanceResult<Vec<Route>> {
    stored_docs(db, "SELECT doc FROM adv_routes ORDER BY id", [])
}

/// The primary route of a journey first, then its alternates.
pub fn routes_for_journey(db: &Database, journey: &str) -> AdvanceResult<Vec<Route>> {
    let mut routes: Vec<Route> = stored_docs(
        db,
        "SELECT doc FROM adv_routes WHERE journey = ?1 ORDER BY id",
        [journey],
    )?;
    routes.sort_by_key(|r| r.role != RouteRole::Primary);
    Ok(routes)
}

// ---- analytics (pure: routes and havens in, figures out) ----

/// The distances the apps and the CLI measure a route with: one place, so that a phone,
/// a laptop and the CLI call the same fix "off route" and list the same havens along it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RouteThresholds {
    /// Half-width, metres, of the corridor searched for havens along a route.
    pub corridor_half_width_m: f64,
    /// Farther than this, metres, from the planned route is off route.
    pub off_route_m: f64,
}

impl RouteThresholds {
    /// 500 m: a haven a principal can reach on foot from the route within minutes.
    /// 100 m: beyond a phone's worst urban GPS error (multipath in street canyons runs to
    /// tens of metres), so a warning means a wrong turn, not noise.
    pub const DEFAULT: RouteThresholds = RouteThresholds {
        corridor_half_width_m: 500.0,
        off_route_m: 100.0,
    };
}

/// How far a position is from the route.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OffRoute {
    pub distance_m: f64,
    /// True when `distance_m` is above the threshold asked for.
    pub off_route: bool,
    pub nearest: Position,
}

/// Distance done and left along the route, measured at the nearest point of the route.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Progress {
    pub done_m: f64,
    pub left_m: f64,
    pub total_m: f64,
    /// How far the position is from the route (progress is projected onto it).
    pub off_route_m: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CorridorHaven {
    pub haven: SafeHaven,
    /// Distance from the haven to the route, metres.
    pub distance_m: f64,
    /// Where along the route it is nearest, metres from the start.
    pub along_m: f64,
}

impl CorridorHaven {
    /// Route order, total: distance along the route, then distance from it, then id.
    /// Both distances compare at millimetre resolution, so two havens that project to
    /// the same place (within float noise) are ordered by id, whichever way the
    /// distances were computed.
    pub fn route_order(a: &CorridorHaven, b: &CorridorHaven) -> std::cmp::Ordering {
        let mm = |m: f64| (m * 1000.0).round();
        mm(a.along_m)
            .total_cmp(&mm(b.along_m))
            .then(mm(a.distance_m).total_cmp(&mm(b.distance_m)))
            .then_with(|| a.haven.id.cmp(&b.haven.id))
    }
}

/// The point of the route farthest from any matching haven.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CoverageGap {
    pub position: Position,
    pub along_m: f64,
    /// Distance from that point to the nearest matching haven, metres.
    pub distance_m: f64,
    pub nearest_haven_id: String,
    /// Spacing of the points examined, metres: the gap is exact to about half of it.
    pub resolution_m: f64,
}

pub use super::haven::HavenFix;

impl Route {
    /// Geodesic length, metres.
    pub fn length_m(&self) -> f64 {
        length_m(&self.line)
    }

    pub fn off_route(&self, p: Position, threshold_m: f64) -> AdvanceResult<OffRoute> {
        p.validate("position")?;
        if !threshold_m.is_finite() || threshold_m < 0.0 {
            return Err(AdvanceError::invalid(
                "threshold_m",
                "must be a positive number of metres",
            ));
        }
        let (distance_m, nearest) =
            nearest_on_line(&self.line, p).ok_or(AdvanceError::EmptyRoute)?;
        Ok(OffRoute {
            distance_m,
            off_route: distance_m > threshold_m,
            nearest,
        })
    }

    pub fn progress(&self, p: Position) -> AdvanceResult<Progress> {
        p.validate("position")?;
        let line = LineIndex::new(&self.line);
        let fix = line.locate(p).ok_or(AdvanceError::EmptyRoute)?;
        let total = line.length_m();
        Ok(Progress {
            done_m: fix.along_m,
            left_m: (total - fix.along_m).max(0.0),
            total_m: total,
            off_route_m: fix.distance_m,
        })
    }

    /// Havens matching `filter` within `half_width_m` of the route, in route order.
    pub fn havens_in_corridor(
        &self,
        havens: &[SafeHaven],
        half_width_m: f64,
        filter: HavenFilter,
    ) -> AdvanceResult<Vec<CorridorHaven>> {
        if !half_width_m.is_finite() || half_width_m < 0.0 {
            return Err(AdvanceError::invalid(
                "half_width_m",
                "must be a positive number of metres",
            ));
        }
        let line = LineIndex::new(&self.line);
        let mut out = Vec::new();
        for h in havens.iter().filter(|h| filter.matches(h)) {
            // As ever: an empty line is an error once there is a haven to place on it.
            if self.line.is_empty() {
                return Err(AdvanceError::EmptyRoute);
            }
            if let Some(fix) = line.locate_within(h.position, half_width_m) {
                out.push(CorridorHaven {
                    haven: h.clone(),
                    distance_m: fix.distance_m,
                    along_m: fix.along_m,
                });
            }
        }
        out.sort_by(CorridorHaven::route_order);
        Ok(out)
    }

    /// The worst coverage gap: the point of the route farthest from any haven matching
    /// `filter` (by default, ask for [`HavenFilter::EmergencyHospital`]). The route is
    /// examined every `step_m` metres (at most 5,000 points) and at every vertex.
    /// `None` when no haven matches.
    pub fn worst_coverage_gap(
        &self,
        havens: &[SafeHaven],
        filter: HavenFilter,
        step_m: f64,
    ) -> AdvanceResult<Option<CoverageGap>> {
        worst_coverage_gap_along(&LineIndex::new(&self.line), havens, filter, step_m)
    }
}

/// [`Route::worst_coverage_gap`] on a prepared line (a summary also wants its length).
/// The answer is the sample farthest from its nearest haven (of equals, the first), found
/// without solving a geodesic for every sample and haven: the chord bounds leave only the
/// samples that could be the farthest to solve exactly.
pub(crate) fn worst_coverage_gap_along(
    line: &LineIndex<'_>,
    havens: &[SafeHaven],
    filter: HavenFilter,
    step_m: f64,
) -> AdvanceResult<Option<CoverageGap>> {
    if !step_m.is_finite() || step_m <= 0.0 {
        return Err(AdvanceError::invalid(
            "step_m",
            "must be a positive number of metres",
        ));
    }
    let matching: Vec<&SafeHaven> = havens.iter().filter(|h| filter.matches(h)).collect();
    if matching.is_empty() {
        return Ok(None);
    }
    let set = PointSet::new(matching.iter().map(|h| h.position).collect());
    let samples = line.sample(step_m, 5_000);
    if samples.is_empty() {
        return Ok(None);
    }
    let resolution = samples
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .fold(0.0, f64::max);
    let bounds = samples
        .iter()
        .map(|(p, _)| set.nearest_bounds(*p))
        .collect::<Option<Vec<(f64, f64)>>>()
        .ok_or(AdvanceError::EmptyRoute)?;
    // Seed with the sample surely farthest by the bounds, then solve only the samples
    // that could still be farther (or as far and earlier).
    let seed = bounds
        .iter()
        .enumerate()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
        .map(|(k, _)| k)
        .ok_or(AdvanceError::EmptyRoute)?;
    let solve = |k: usize| set.nearest(samples[k].0).ok_or(AdvanceError::EmptyRoute);
    let (h, d) = solve(seed)?;
    let mut worst = (seed, h, d);
    for (k, (_, at_most)) in bounds.iter().enumerate() {
        if k == seed || *at_most < worst.2 {
            continue;
        }
        let (h, d) = solve(k)?;
        if d > worst.2 || (d == worst.2 && k < worst.0) {
            worst = (k, h, d);
        }
    }
    let (k, h, d) = worst;
    let (position, along_m) = samples[k];
    Ok(Some(CoverageGap {
        position,
        along_m,
        distance_m: d,
        nearest_haven_id: matching[h].id.clone(),
        resolution_m: resolution,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advance::geometry::tests::line;
    use crate::advance::geometry::{destination, distance_m, locate_exhaustive, sample_line};
    use crate::advance::haven::{HavenKind, HospitalInfo};
    use crate::advance::summary::summarize;
    use proptest::prelude::*;

    fn route(line: Vec<Position>) -> Route {
        Route {
            id: "r".into(),
            name: "R".into(),
            journey: None,
            role: RouteRole::Primary,
            line,
            points: vec![],
            notes: String::new(),
            updated: Hlc {
                physical_ms: 0,
                counter: 0,
                device: "d".into(),
            },
        }
    }

    fn haven_at(position: Position) -> SafeHaven {
        SafeHaven {
            id: "h".into(),
            kind: HavenKind::Police,
            name: "Station".into(),
            position,
            hospital: None,
            address: None,
            phone: None,
            opening_hours: None,
            notes: String::new(),
            updated: Hlc {
                physical_ms: 0,
                counter: 0,
                device: "d".into(),
            },
        }
    }

    /// Havens near the route's vertices (some on them, some shared places), half of them
    /// with an A&E.
    fn route_and_havens() -> impl Strategy<Value = (Route, Vec<SafeHaven>)> {
        let offset = prop_oneof![1 => Just(0.0), 6 => 0.0f64..3_000.0, 2 => 0.0f64..50_000.0];
        let place = (
            any::<prop::sample::Index>(),
            0.0f64..360.0,
            offset,
            any::<bool>(),
        );
        (line(), prop::collection::vec(place, 0..12)).prop_map(|(line, places)| {
            let havens = places
                .into_iter()
                .enumerate()
                .map(|(i, (at, bearing, offset, ae))| SafeHaven {
                    id: format!("h{i}"),
                    kind: HavenKind::Hospital,
                    name: format!("Hospital {i}"),
                    hospital: Some(HospitalInfo {
                        emergency_department: ae,
                        trauma_level: None,
                        helipad: false,
                    }),
                    ..haven_at(destination(line[at.index(line.len())], bearing, offset))
                })
                .collect();
            (route(line), havens)
        })
    }

    /// `havens_in_corridor` before `LineIndex`: the exhaustive search for every haven.
    fn corridor_reference(
        r: &Route,
        havens: &[SafeHaven],
        half_width_m: f64,
        filter: HavenFilter,
    ) -> Vec<CorridorHaven> {
        let mut out = Vec::new();
        for h in havens.iter().filter(|h| filter.matches(h)) {
            let fix = locate_exhaustive(&r.line, h.position).unwrap();
            if fix.distance_m <= half_width_m {
                out.push(CorridorHaven {
                    haven: h.clone(),
                    distance_m: fix.distance_m,
                    along_m: fix.along_m,
                });
            }
        }
        out.sort_by(CorridorHaven::route_order);
        out
    }

    /// `worst_coverage_gap` before the bounds: every sample against every haven.
    fn gap_reference(
        r: &Route,
        havens: &[SafeHaven],
        filter: HavenFilter,
        step_m: f64,
    ) -> Option<CoverageGap> {
        let matching: Vec<&SafeHaven> = havens.iter().filter(|h| filter.matches(h)).collect();
        if matching.is_empty() {
            return None;
        }
        let samples = sample_line(&r.line, step_m, 5_000);
        let resolution = samples
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .fold(0.0, f64::max);
        let mut worst: Option<CoverageGap> = None;
        for (p, along) in samples {
            let (h, d) = matching
                .iter()
                .map(|h| (h, distance_m(p, h.position)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            if worst.as_ref().map(|w| d > w.distance_m).unwrap_or(true) {
                worst = Some(CoverageGap {
                    position: p,
                    along_m: along,
                    distance_m: d,
                    nearest_haven_id: h.id.clone(),
                    resolution_m: resolution,
                });
            }
        }
        worst
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn corridor_agrees_with_the_exhaustive_search(
            (r, havens) in route_and_havens(),
            half_width_m in prop_oneof![0.0f64..500.0, 0.0f64..20_000.0],
            any_kind in any::<bool>(),
        ) {
            let filter = if any_kind { HavenFilter::Any } else { HavenFilter::EmergencyHospital };
            let fast = r.havens_in_corridor(&havens, half_width_m, filter).unwrap();
            let slow = corridor_reference(&r, &havens, half_width_m, filter);
            let ids = |c: &[CorridorHaven]| c.iter().map(|c| c.haven.id.clone()).collect::<Vec<_>>();
            prop_assert_eq!(ids(&fast), ids(&slow));
            for (f, s) in fast.iter().zip(&slow) {
                prop_assert!((f.distance_m - s.distance_m).abs() < 0.01, "{f:?} {s:?}");
                prop_assert!((f.along_m - s.along_m).abs() < 0.01, "{f:?} {s:?}");
            }
        }

        #[test]
        fn coverage_gap_agrees_with_the_exhaustive_search(
            (r, havens) in route_and_havens(),
            samples in 2.0f64..300.0,
        ) {
            // Between 2 and 300 samples a segment, so the reference stays quick.
            let step_m = (r.length_m() / samples).max(1.0);
            let filter = HavenFilter::EmergencyHospital;
            let fast = r.worst_coverage_gap(&havens, filter, step_m).unwrap();
            let slow = gap_reference(&r, &havens, filter, step_m);
            match (&fast, &slow) {
                (Some(f), Some(s)) => {
                    prop_assert_eq!(&f.nearest_haven_id, &s.nearest_haven_id);
                    prop_assert!((f.distance_m - s.distance_m).abs() < 0.01, "{f:?} {s:?}");
                    prop_assert!((f.along_m - s.along_m).abs() < 0.01, "{f:?} {s:?}");
                    prop_assert!(distance_m(f.position, s.position) < 0.03, "{f:?} {s:?}");
                    prop_assert_eq!(f.resolution_m, s.resolution_m);
                }
                _ => prop_assert_eq!(fast.is_none(), slow.is_none()),
            }
        }

        #[test]
        fn summary_uses_the_same_figures((r, havens) in route_and_havens()) {
            let s = summarize(&r, &havens).unwrap();
            prop_assert_eq!(s.length_m, r.length_m());
            prop_assert_eq!(
                s.coverage_gap,
                r.worst_coverage_gap(&havens, HavenFilter::EmergencyHospital, 50.0).unwrap()
            );
        }
    }

    /// Regression (a fresh clone's `tests/run`): points centimetres apart with havens on
    /// them; the fast corridor and the exhaustive search put the two havens in
    /// different orders (`["h1","h0"]` against `["h0","h1"]`) because the sort had no
    /// tie-break. Now both order by along, distance, then id.
    #[test]
    fn havens_at_one_place_on_the_route_are_ordered_by_id_in_both_searches() {
        let a = Position::new(51.5, -0.1);
        let b = destination(a, 90.0, 0.03);
        let c = destination(b, 90.0, 0.02);
        let r = route(vec![a, b, c, destination(c, 90.0, 500.0)]);
        let h = |id: &str, p: Position| SafeHaven {
            id: id.into(),
            ..haven_at(p)
        };
        // Listed h1 first, on the vertex b and a hair beside it.
        let havens = vec![h("h1", b), h("h0", destination(b, 0.0, 0.000_1))];
        let fast = r
            .havens_in_corridor(&havens, 100.0, HavenFilter::Any)
            .unwrap();
        let slow = corridor_reference(&r, &havens, 100.0, HavenFilter::Any);
        let ids = |c: &[CorridorHaven]| c.iter().map(|c| c.haven.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&fast), vec!["h0", "h1"]);
        assert_eq!(ids(&slow), vec!["h0", "h1"]);
    }

    #[test]
    fn of_equally_far_points_the_gap_is_the_first() {
        // Out and back: both ends are the same place, equally far from the haven.
        let (a, b) = (Position::new(51.5, -0.1), Position::new(51.52, -0.05));
        let r = route(vec![b, a, b]);
        let havens = vec![haven_at(a)];
        let gap = r
            .worst_coverage_gap(&havens, HavenFilter::Any, 100.0)
            .unwrap()
            .unwrap();
        assert_eq!(gap.along_m, 0.0, "{gap:?}");
        assert_eq!(
            Some(gap),
            gap_reference(&r, &havens, HavenFilter::Any, 100.0)
        );
    }

    #[test]
    fn an_empty_line_answers_as_before() {
        let r = route(vec![]);
        let h = Position::new(0.0, 0.0);
        assert!(matches!(r.progress(h), Err(AdvanceError::EmptyRoute)));
        assert!(matches!(
            r.off_route(h, 10.0),
            Err(AdvanceError::EmptyRoute)
        ));
        assert_eq!(
            r.havens_in_corridor(&[], 10.0, HavenFilter::Any).unwrap(),
            vec![]
        );
        assert_eq!(
            r.worst_coverage_gap(&[], HavenFilter::Any, 10.0).unwrap(),
            None
        );
        // With a haven to place: the corridor needs a route, the gap finds no point.
        let on = route(vec![h, h]);
        let havens = on.havens_in_corridor(&[], 0.0, HavenFilter::Any).unwrap();
        assert!(havens.is_empty());
        let one = vec![haven_at(h)];
        assert!(matches!(
            r.havens_in_corridor(&one, 10.0, HavenFilter::Any),
            Err(AdvanceError::EmptyRoute)
        ));
        assert_eq!(
            r.worst_coverage_gap(&one, HavenFilter::Any, 10.0).unwrap(),
            None
        );
        assert_eq!(
            on.havens_in_corridor(&one, 0.0, HavenFilter::Any)
                .unwrap()
                .len(),
            1
        );
    }
}
