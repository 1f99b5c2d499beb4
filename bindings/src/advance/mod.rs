//! `AdvanceWork`: venues, safe havens, routes and their analytics, checklist templates
//! and walks, over one unlocked `Vault`.
//!
//! Every method blocks (SQLite; imports parse whole files): call off the main thread.
//! The vault must be unlocked; a locked one gives `AdvanceException.Store` (code `locked`).
//! The error is the core's own `AdvanceError` (Kotlin `AdvanceException`).

use std::str::FromStr;
use std::sync::Arc;

use vigil_core::advance::{
    self as core, haven, interchange, route, summary, template, venue, walk, Answer, AnswerInput,
    ChecklistTemplate, CorridorHaven, CoverageGap, HavenFilter, HavenFix, OffRoute, Position,
    Progress, Route, RouteSummary, RouteThresholds, SafeHaven, SafeHavenInput, SignedSnapshot,
    Venue, VenueInput, Walk, WalkIssue, WalkProgress, WalkSubject,
};
use vigil_core::incident::{Category, Severity};

use crate::vault::Vault;
use vigil_core::advance::AdvanceError;

type Result<T> = std::result::Result<T, AdvanceError>;

/// Advance work over a vault. Cheap: holds only the vault. Close it when done.
#[derive(uniffi::Object)]
pub struct AdvanceWork {
    vault: Arc<Vault>,
}

impl AdvanceWork {
    fn read<T>(
        &self,
        f: impl FnOnce(&vigil_core::store::Database) -> core::AdvanceResult<T>,
    ) -> Result<T> {
        let v = self.vault.guard();
        f(v.db()?)
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut vigil_core::store::Database) -> core::AdvanceResult<T>,
    ) -> Result<T> {
        let mut v = self.vault.guard();
        f(v.db_mut()?)
    }

    fn import(
        &self,
        mut inputs: Vec<core::RouteInput>,
        journey: Option<String>,
    ) -> Result<Vec<RouteSummary>> {
        if let Some(j) = journey {
            for i in &mut inputs {
                i.journey = Some(j.clone());
            }
        }
        self.write(|db| {
            let routes = route::save_routes(db, &inputs)?;
            summary::summarize_all(db, &routes)
        })
    }

    fn route(&self, id: &str) -> Result<core::Route> {
        self.read(|db| route::get_route(db, id))
    }

    fn routes(&self, ids: &[String]) -> Result<Vec<core::Route>> {
        self.read(|db| ids.iter().map(|id| route::get_route(db, id)).collect())
    }
}

/// The corridor half-width and off-route distance every app measures routes with (the
/// core's defaults: apps never pick their own).
#[uniffi::export]
pub fn route_thresholds() -> RouteThresholds {
    RouteThresholds::DEFAULT
}

#[uniffi::export]
impl AdvanceWork {
    #[uniffi::constructor]
    pub fn new(vault: Arc<Vault>) -> Arc<Self> {
        Arc::new(AdvanceWork { vault })
    }

    // ---- venues ----

    /// Creates (`id` null) or replaces a venue.
    pub fn save_venue(&self, input: VenueInput) -> Result<Venue> {
        self.write(|db| venue::save_venue(db, &input))
    }

    pub fn get_venue(&self, id: String) -> Result<Venue> {
        self.read(|db| venue::get_venue(db, &id))
    }

    pub fn list_venues(&self) -> Result<Vec<Venue>> {
        self.read(venue::list_venues)
    }

    // ---- safe havens ----

    /// Creates (`id` null) or replaces a safe haven.
    pub fn save_haven(&self, input: SafeHavenInput) -> Result<SafeHaven> {
        self.write(|db| haven::save_haven(db, &input))
    }

    pub fn list_havens(&self, filter: HavenFilter) -> Result<Vec<SafeHaven>> {
        self.read(|db| haven::list_havens(db, filter))
    }

    /// The stored haven matching `filter` nearest to `position` (straight line); null
    /// when none matches.
    pub fn nearest_haven(
        &self,
        position: Position,
        filter: HavenFilter,
    ) -> Result<Option<HavenFix>> {
        self.read(|db| haven::nearest_haven(db, position, filter))
    }

    // ---- routes ----

    /// Parses a GPX 1.0 / 1.1 file and stores every track and route in it (all or none);
    /// `journey` groups them. Returns their summaries.
    pub fn import_gpx(&self, gpx: Vec<u8>, journey: Option<String>) -> Result<Vec<RouteSummary>> {
        let inputs = interchange::gpx::parse_gpx(&gpx)?;
        self.import(inputs, journey)
    }

    /// Parses GeoJSON (LineString features) and stores the routes (all or none).
    pub fn import_geojson(
        &self,
        geojson: String,
        journey: Option<String>,
    ) -> Result<Vec<RouteSummary>> {
        let inputs = interchange::geojson::parse_geojson(&geojson)?;
        self.import(inputs, journey)
    }

    pub fn get_route(&self, id: String) -> Result<Route> {
        self.route(&id)
    }

    pub fn route_summary(&self, id: String) -> Result<RouteSummary> {
        self.read(|db| {
            let r = route::get_route(db, &id)?;
            let mut s = summary::summarize_all(db, std::slice::from_ref(&r))?;
            s.pop().ok_or(AdvanceError::NotFound {
                what: "route".into(),
            })
        })
    }

    pub fn list_routes(&self) -> Result<Vec<RouteSummary>> {
        self.read(|db| summary::summarize_all(db, &route::list_routes(db)?))
    }

    /// GPX 1.1 of the routes, in the order given.
    pub fn export_gpx(&self, route_ids: Vec<String>) -> Result<String> {
        interchange::gpx::to_gpx(&self.routes(&route_ids)?)
    }

    /// A GeoJSON FeatureCollection of the routes, in the order given.
    pub fn export_geojson(&self, route_ids: Vec<String>) -> Result<String> {
        interchange::geojson::to_geojson(&self.routes(&route_ids)?)
    }

    /// How far `position` is from the route, and whether that is beyond `threshold_m`.
    pub fn off_route(
        &self,
        route_id: String,
        position: Position,
        threshold_m: f64,
    ) -> Result<OffRoute> {
        self.route(&route_id)?.off_route(position, threshold_m)
    }

    /// Distance done and left along the route, at the nearest point to `position`.
    pub fn route_progress(&self, route_id: String, position: Position) -> Result<Progress> {
        self.route(&route_id)?.progress(position)
    }

    /// Stored havens matching `filter` within `half_width_m` of the route, in route order.
    pub fn havens_in_corridor(
        &self,
        route_id: String,
        half_width_m: f64,
        filter: HavenFilter,
    ) -> Result<Vec<CorridorHaven>> {
        let r = self.route(&route_id)?;
        let havens = self.read(|db| haven::list_havens(db, core::HavenFilter::Any))?;
        r.havens_in_corridor(&havens, half_width_m, filter)
    }

    /// The point of the route farthest from any stored haven matching `filter`, examined
    /// every `step_m` metres; null when no haven matches.
    pub fn worst_coverage_gap(
        &self,
        route_id: String,
        filter: HavenFilter,
        step_m: f64,
    ) -> Result<Option<CoverageGap>> {
        let r = self.route(&route_id)?;
        let havens = self.read(|db| haven::list_havens(db, core::HavenFilter::Any))?;
        r.worst_coverage_gap(&havens, filter, step_m)
    }

    // ---- templates ----

    /// The templates shipped with Vigil.
    pub fn builtin_templates(&self) -> Vec<ChecklistTemplate> {
        template::builtin_templates()
    }

    /// Built-ins, then the latest version of each imported template.
    pub fn list_templates(&self) -> Result<Vec<ChecklistTemplate>> {
        self.read(template::list_templates)
    }

    /// Validates and stores a custom template (`vigil.checklist-template/1` JSON).
    /// Refused with `Template { path, reason }`, storing nothing.
    pub fn import_template(&self, json: String) -> Result<ChecklistTemplate> {
        self.write(|db| template::import_template(db, &json))
    }

    // ---- walks ----

    /// Starts a walk of `template_id` (`version` null: latest) for a subject.
    pub fn start_walk(
        &self,
        template_id: String,
        version: Option<u32>,
        subject: WalkSubject,
        officer: String,
    ) -> Result<Walk> {
        self.write(|db| walk::start_walk(db, &template_id, version, &subject, &officer))
    }

    pub fn get_walk(&self, walk_id: String) -> Result<Walk> {
        self.read(|db| walk::get_walk(db, &walk_id))
    }

    /// Walks, newest first.
    pub fn list_walks(&self) -> Result<Vec<Walk>> {
        self.read(|db| walk::list_walks(db, None))
    }

    /// Records (or replaces) an answer. A value of the wrong kind gives
    /// `WrongAnswerKind` and stores nothing.
    pub fn answer_item(&self, walk_id: String, input: AnswerInput) -> Result<Answer> {
        self.write(|db| walk::answer_item(db, &walk_id, &input))
    }

    pub fn walk_progress(&self, walk_id: String) -> Result<WalkProgress> {
        self.read(|db| Ok(walk::get_walk(db, &walk_id)?.progress()))
    }

    /// Items answered as issues, in template order.
    pub fn walk_issues(&self, walk_id: String) -> Result<Vec<WalkIssue>> {
        self.read(|db| Ok(walk::get_walk(db, &walk_id)?.issues()))
    }

    /// Marks the walk complete; `RequiredUnanswered { missing }` until every required
    /// item is answered.
    pub fn complete_walk(&self, walk_id: String, officer: String) -> Result<Walk> {
        self.write(|db| walk::complete_walk(db, &walk_id, &officer))
    }

    /// Seals a completed walk with the device key.
    pub fn sign_off_walk(&self, walk_id: String, officer: String) -> Result<SignedSnapshot> {
        self.write(|db| walk::sign_off_walk(db, &walk_id, &officer))
    }

    /// Checks a signed snapshot's hash, canonical form and signature.
    pub fn verify_snapshot(&self, snapshot: SignedSnapshot) -> Result<()> {
        walk::verify_snapshot(&snapshot)
    }

    /// Raises an incident in the tamper-evident log from an answered item; returns the
    /// incident id. `category` and `severity` are the incident log's text forms
    /// (`security_breach`, `high`, ...).
    pub fn raise_incident_from_item(
        &self,
        walk_id: String,
        item_id: String,
        category: String,
        severity: Option<String>,
    ) -> Result<String> {
        let category = Category::from_str(&category)
            .map_err(|_| AdvanceError::invalid("category", "unknown incident category"))?;
        let severity = severity
            .map(|s| Severity::from_str(&s))
            .transpose()
            .map_err(|_| AdvanceError::invalid("severity", "unknown severity"))?;
        let mut v = self.vault.guard();
        core::raise_incident_from_item(
            &mut v,
            &core::RaiseIncident {
                walk_id,
                item_id,
                category,
                severity,
            },
        )
    }
}
