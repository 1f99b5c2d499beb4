//! Routes: the primary and alternate ways for a journey, as WGS84 lines with their
//! checkpoints, rendezvous points and choke points; and what an officer asks of them
//! (length, off-route, progress, havens along the way, the worst coverage gap).

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::error::{write, AdvanceError, AdvanceResult};
use super::geometry::{self, length_m, locate_on_line, sample_line, validate_line, Position};
use super::haven::{HavenFilter, SafeHaven};
use super::venue::opt;
use super::{check_id, new_id, optional_text, required_text, NAME_MAX, NOTE_MAX};
use crate::store::Database;
use crate::sync::Hlc;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteRole {
    #[default]
    Primary,
    Alternate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
            journey: opt(&self.journey, "journey", 128)?,
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

pub fn get_route(db: &Database, id: &str) -> AdvanceResult<Route> {
    let doc: Option<String> = db
        .conn()
        .query_row("SELECT doc FROM adv_routes WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let doc = doc.ok_or(AdvanceError::NotFound { what: "route" })?;
    Ok(serde_json::from_str(&doc)?)
}

pub fn list_routes(db: &Database) -> AdvanceResult<Vec<Route>> {
    query_routes(db, "SELECT doc FROM adv_routes ORDER BY id", [])
}

/// The primary route of a journey first, then its alternates.
pub fn routes_for_journey(db: &Database, journey: &str) -> AdvanceResult<Vec<Route>> {
    let mut routes = query_routes(
        db,
        "SELECT doc FROM adv_routes WHERE journey = ?1 ORDER BY id",
        [journey],
    )?;
    routes.sort_by_key(|r| r.role != RouteRole::Primary);
    Ok(routes)
}

fn query_routes<P: rusqlite::Params>(db: &Database, sql: &str, p: P) -> AdvanceResult<Vec<Route>> {
    let mut stmt = db.conn().prepare(sql)?;
    let docs = stmt.query_map(p, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for d in docs {
        out.push(serde_json::from_str(&d?)?);
    }
    Ok(out)
}

// ---- analytics (pure: routes and havens in, figures out) ----

/// How far a position is from the route.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OffRoute {
    pub distance_m: f64,
    /// True when `distance_m` is above the threshold asked for.
    pub off_route: bool,
    pub nearest: Position,
}

/// Distance done and left along the route, measured at the nearest point of the route.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub done_m: f64,
    pub left_m: f64,
    pub total_m: f64,
    /// How far the position is from the route (progress is projected onto it).
    pub off_route_m: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorridorHaven {
    pub haven: SafeHaven,
    /// Distance from the haven to the route, metres.
    pub distance_m: f64,
    /// Where along the route it is nearest, metres from the start.
    pub along_m: f64,
}

/// The point of the route farthest from any matching haven.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        let fix = locate_on_line(&self.line, p).ok_or(AdvanceError::EmptyRoute)?;
        Ok(OffRoute {
            distance_m: fix.distance_m,
            off_route: fix.distance_m > threshold_m,
            nearest: fix.nearest,
        })
    }

    pub fn progress(&self, p: Position) -> AdvanceResult<Progress> {
        p.validate("position")?;
        let fix = locate_on_line(&self.line, p).ok_or(AdvanceError::EmptyRoute)?;
        let total = self.length_m();
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
        let mut out = Vec::new();
        for h in havens.iter().filter(|h| filter.matches(h)) {
            let fix = locate_on_line(&self.line, h.position).ok_or(AdvanceError::EmptyRoute)?;
            if fix.distance_m <= half_width_m {
                out.push(CorridorHaven {
                    haven: h.clone(),
                    distance_m: fix.distance_m,
                    along_m: fix.along_m,
                });
            }
        }
        out.sort_by(|a, b| a.along_m.total_cmp(&b.along_m));
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
        let samples = sample_line(&self.line, step_m, 5_000);
        let resolution = samples
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .fold(0.0, f64::max);
        let mut worst: Option<CoverageGap> = None;
        for (p, along) in samples {
            let (h, d) = matching
                .iter()
                .map(|h| (h, geometry::distance_m(p, h.position)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .ok_or(AdvanceError::EmptyRoute)?;
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
        Ok(worst)
    }
}
