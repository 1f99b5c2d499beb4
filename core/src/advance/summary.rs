//! A route at a glance, as an import returns it and a list shows it: length, bounds and
//! the worst gap in A&E cover along it. Shared by the FFI and the CLI.

use serde::Serialize;

use super::error::AdvanceResult;
use super::geometry::{LineIndex, Position};
use super::haven::{list_havens, HavenFilter, SafeHaven};
use super::route::{worst_coverage_gap_along, CoverageGap, Route, RouteRole};
use crate::store::Database;

/// Spacing, metres, at which a summary looks for the worst coverage gap.
pub const SUMMARY_STEP_M: f64 = 50.0;

/// The box holding a line (no antimeridian handling: routes are city-scale).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Bounds {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl Bounds {
    pub fn of(line: &[Position]) -> Option<Bounds> {
        let first = line.first()?;
        Some(line.iter().fold(
            Bounds {
                min_lat: first.lat,
                min_lon: first.lon,
                max_lat: first.lat,
                max_lon: first.lon,
            },
            |b, p| Bounds {
                min_lat: b.min_lat.min(p.lat),
                min_lon: b.min_lon.min(p.lon),
                max_lat: b.max_lat.max(p.lat),
                max_lon: b.max_lon.max(p.lon),
            },
        ))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RouteSummary {
    pub id: String,
    pub name: String,
    pub journey: Option<String>,
    pub role: RouteRole,
    /// Geodesic length, metres.
    pub length_m: f64,
    pub bounds: Bounds,
    /// Positions in the line.
    pub vertices: u32,
    /// Named points (checkpoints, rendezvous, choke points).
    pub points: u32,
    /// The point farthest from any emergency hospital (A&E) among `havens`; `None` when
    /// there is none.
    pub coverage_gap: Option<CoverageGap>,
}

/// Summarises a route against a list of havens (pure).
pub fn summarize(route: &Route, havens: &[SafeHaven]) -> AdvanceResult<RouteSummary> {
    let bounds = Bounds::of(&route.line).ok_or(super::AdvanceError::EmptyRoute)?;
    let line = LineIndex::new(&route.line);
    Ok(RouteSummary {
        id: route.id.clone(),
        name: route.name.clone(),
        journey: route.journey.clone(),
        role: route.role,
        length_m: line.length_m(),
        bounds,
        vertices: u32::try_from(route.line.len()).unwrap_or(u32::MAX),
        points: u32::try_from(route.points.len()).unwrap_or(u32::MAX),
        coverage_gap: worst_coverage_gap_along(
            &line,
            havens,
            HavenFilter::EmergencyHospital,
            SUMMARY_STEP_M,
        )?,
    })
}

/// Summarises routes against the havens stored now.
pub fn summarize_all(db: &Database, routes: &[Route]) -> AdvanceResult<Vec<RouteSummary>> {
    let havens = list_havens(db, HavenFilter::EmergencyHospital)?;
    routes.iter().map(|r| summarize(r, &havens)).collect()
}
