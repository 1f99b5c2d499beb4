import Foundation
import Observation
import VigilCore
import VigilCoreAsync

struct VenueRow: Sendable, Equatable, Identifiable {
    let id: String
    let name: String
    let exits: Int
    let safeRoom: String?
    let points: Int
}

/// The nearest emergency department from where the officer stands.
struct NearestAe: Sendable, Equatable {
    let name: String
    let distance: String
    let bearing: String
}

struct HavenRow: Sendable, Equatable {
    let name: String
    let kind: String
    let ae: Bool
}

struct RouteRow: Sendable, Equatable, Identifiable {
    let id: String
    let name: String
    let length: String
    /// The worst coverage gap: how far from any haven the route gets, and where.
    let worstGap: String?
    let havensInCorridor: Int
}

/// Live progress along the selected route, from the current fix.
struct RouteWatch: Sendable, Equatable {
    let routeId: String
    let name: String
    let progress: String
    let offRoute: String?
}

struct TemplateRow: Sendable, Equatable, Identifiable {
    let id: String
    let title: String
    let kind: String
    let items: Int
}

struct WalkRow: Sendable, Equatable, Identifiable {
    let id: String
    let title: String
    let subject: String
    let state: String
    let progress: String
    let issues: Int
}

/// What a new walk can be for: a saved venue, a saved route, or no place.
struct SubjectChoice: Sendable, Equatable {
    let label: String
    let subject: WalkSubject
}

/// A checklist picked, waiting for the officer to say what the walk is for: the venues first
/// for a venue checklist, the routes first for a route checklist.
struct WalkStart: Sendable, Equatable {
    let templateId: String
    let title: String
    let subjects: [SubjectChoice]
}

struct AdvanceState: Sendable, Equatable {
    var venues: [VenueRow] = []
    var nearestAe: NearestAe? = nil
    var fix: String = "No fix"
    var havens: [HavenRow] = []
    var routes: [RouteRow] = []
    var watch: RouteWatch? = nil
    var templates: [TemplateRow] = []
    var walks: [WalkRow] = []
    var loading: Bool = true
    var error: String? = nil
    /// Set when a walk was started: the host opens it.
    var startedWalkId: String? = nil
    /// Non-nil while the officer chooses what a new walk is for.
    var starting: WalkStart? = nil
}

enum AdvanceIntent: Sendable {
    case refresh
    case watchRoute(routeId: String?)
    /// A checklist tapped: offers its subjects (`AdvanceState.starting`).
    case chooseTemplate(templateId: String)
    case cancelStart
    case startWalk(templateId: String, subject: WalkSubject)
}

/// Advance work: venues (exits, safe room, points), safe havens with the nearest A&E from
/// the current fix (distance and bearing), routes (length, worst coverage gap, havens in
/// the corridor; live progress and off-route warning for the watched one), checklist
/// templates and walks. Every measure is the core's; this only puts them in words.
@Observable
@MainActor
final class AdvanceViewModel: CoreCalls {
    typealias State = AdvanceState
    private(set) var state = AdvanceState()
    let vigil: Vigil
    private let position: any PositionProvider

    init(vigil: Vigil, position: any PositionProvider) {
        self.vigil = vigil
        self.position = position
        load()
    }

    func onIntent(_ intent: AdvanceIntent) {
        switch intent {
        case .refresh:
            load()
        case .watchRoute(let routeId):
            state.watch = nil
            if let id = routeId { watch(id) }
        case .chooseTemplate(let templateId):
            let noPlace = Self.noPlace
            readCore({ v in try Self.walkStart(v.advance(), templateId: templateId, noPlace: noPlace) }) { s, start in
                s.starting = start
                s.error = nil
            }
        case .cancelStart:
            state.starting = nil
        case .startWalk(let templateId, let subject):
            let read = reader()
            runCore({ v -> (String, AdvanceState) in
                let w = try v.advance().startWalk(templateId: templateId, version: nil, subject: subject, officer: v.officerName)
                v.localChange()
                return (w.id, try read(v))
            }) { s, started in
                var next = started.1
                next.watch = s.watch
                next.startedWalkId = started.0
                next.starting = nil
                s = next
            }
        }
    }

    func update(_ change: (inout AdvanceState) -> Void) { change(&state) }

    static func failed(_ s: inout AdvanceState, _ words: String) {
        s.loading = false
        s.error = words
    }

    private func load() {
        readCore(reader()) { s, loaded in
            var next = loaded
            next.watch = s.watch
            next.startedWalkId = s.startedWalkId
            next.starting = s.starting
            s = next
        }
    }

    /// Everything the screen lists, read with the current fix (on the core's queue).
    private func reader() -> @Sendable (Vigil) throws -> AdvanceState {
        let position = self.position
        let corridor = Self.thresholds.corridorHalfWidthM
        return { v in try Self.snapshot(v.advance(), fix: position.current(), corridor: corridor) }
    }

    /// Reads everything the screen shows; runs on the core's queue.
    private nonisolated static func snapshot(_ a: AdvanceWork, fix: Fix?, corridor: Double) throws -> AdvanceState {
        let venues = try a.listVenues().map { v in
            VenueRow(
                id: v.id, name: v.name,
                exits: v.points.filter { $0.kind == .exit || $0.kind == .emergencyExit }.count,
                safeRoom: v.points.first { $0.kind == .safeRoom }?.label,
                points: v.points.count
            )
        }
        let havens = try a.listHavens(filter: .any).map { h in
            HavenRow(name: h.name, kind: Words.havenKind(h.kind), ae: h.hospital?.emergencyDepartment == true)
        }
        var ae: NearestAe? = nil
        if let f = fix, let n = try a.nearestHaven(position: f.geo(), filter: .emergencyHospital) {
            ae = NearestAe(name: n.haven.name, distance: Words.distance(n.distanceM), bearing: Words.bearing(n.bearingDeg))
        }
        let routes = try a.listRoutes().map { r in
            RouteRow(
                id: r.id, name: r.name, length: Words.distance(r.lengthM),
                worstGap: r.coverageGap.map { g in "\(Words.distance(g.distanceM)) from a haven, \(Words.distance(g.alongM)) along" },
                havensInCorridor: try a.havensInCorridor(routeId: r.id, halfWidthM: corridor, filter: .any).count
            )
        }
        let templates = try a.listTemplates().map { t in
            TemplateRow(id: t.id, title: t.title, kind: templateKindWords(t.kind), items: t.sections.reduce(0) { $0 + $1.items.count })
        }
        let venueNames = Dictionary(venues.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let routeNames = Dictionary(routes.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let walks = try a.listWalks().map { w in
            let subject: String
            switch w.subject {
            case .venue(let venueId): subject = venueNames[venueId] ?? "Venue"
            case .route(let routeId): subject = routeNames[routeId] ?? "Route"
            case .other(let label): subject = label
            }
            let p = w.progress()
            return WalkRow(
                id: w.id, title: w.template.title, subject: subject, state: walkStateWords(w.state),
                progress: "\(p.answered) of \(p.total)", issues: Int(p.issues)
            )
        }
        return AdvanceState(
            venues: venues, nearestAe: ae,
            fix: Words.fix(fix),
            havens: havens, routes: routes, templates: templates, walks: walks, loading: false
        )
    }

    /// The subjects a walk of `templateId` can be for, the likely ones first.
    private nonisolated static func walkStart(_ a: AdvanceWork, templateId: String, noPlace: String) throws -> WalkStart {
        guard let t = try a.listTemplates().first(where: { $0.id == templateId }) else {
            throw AdvanceError.NotFound(what: "template")
        }
        let venues = try a.listVenues().map { SubjectChoice(label: "Venue: \($0.name)", subject: .venue(venueId: $0.id)) }
        let routes = try a.listRoutes().map { SubjectChoice(label: "Route: \($0.name)", subject: .route(routeId: $0.id)) }
        let places = t.kind == .route ? routes + venues : venues + routes
        return WalkStart(templateId: t.id, title: t.title, subjects: places + [SubjectChoice(label: noPlace, subject: .other(label: t.title))])
    }

    private func watch(_ routeId: String) {
        let position = self.position
        let offRouteM = Self.thresholds.offRouteM
        readCore({ v -> RouteWatch in
            let fix = position.current()
            let a = try v.advance()
            let r = try a.routeSummary(id: routeId)
            guard let f = fix else {
                return RouteWatch(routeId: routeId, name: r.name, progress: "No fix: progress unknown", offRoute: nil)
            }
            let p = try a.routeProgress(routeId: routeId, position: f.geo())
            let off = try a.offRoute(routeId: routeId, position: f.geo(), thresholdM: offRouteM)
            return RouteWatch(
                routeId: routeId, name: r.name,
                progress: "\(Words.distance(p.doneM)) done, \(Words.distance(p.leftM)) to go",
                offRoute: off.offRoute ? "OFF ROUTE: \(Words.distance(off.distanceM)) from the planned route" : nil
            )
        }) { s, w in s.watch = w }
    }

    /// The subject of a walk tied to no saved venue or route.
    static let noPlace = "Not tied to a saved venue or route"

    /// The corridor half-width and off-route distance: the core's, the same in every app and the CLI.
    nonisolated static let thresholds: RouteThresholds = routeThresholds()

    nonisolated static func walkStateWords(_ s: WalkState) -> String {
        switch s {
        case .inProgress: return "In progress"
        case .completed: return "Completed, awaiting sign-off"
        case .signedOff: return "Signed off"
        }
    }

    /// Kotlin's `kind.name.lowercase().replaceFirstChar { it.uppercase() }`.
    nonisolated static func templateKindWords(_ k: TemplateKind) -> String {
        switch k {
        case .venue: return "Venue"
        case .route: return "Route"
        case .hotel: return "Hotel"
        case .vehicle: return "Vehicle"
        case .other: return "Other"
        }
    }
}
