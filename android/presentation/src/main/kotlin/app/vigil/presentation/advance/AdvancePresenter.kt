package app.vigil.presentation.advance

import app.vigil.core.model.HavenFilter
import app.vigil.core.model.RouteThresholds
import app.vigil.core.model.TemplateKind
import app.vigil.core.routeThresholds
import app.vigil.core.model.VenuePointKind
import app.vigil.core.model.WalkState
import app.vigil.core.model.WalkSubject
import app.vigil.presentation.PositionProvider
import app.vigil.presentation.Presenter
import app.vigil.presentation.VigilCore
import app.vigil.presentation.Words
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers

data class VenueRow(val id: String, val name: String, val exits: Int, val safeRoom: String?, val points: Int)

/** The nearest emergency department from where the officer stands. */
data class NearestAe(val name: String, val distance: String, val bearing: String)

data class HavenRow(val name: String, val kind: String, val ae: Boolean)

data class RouteRow(
    val id: String,
    val name: String,
    val length: String,
    /** The worst coverage gap: how far from any haven the route gets, and where. */
    val worstGap: String?,
    val havensInCorridor: Int,
)

/** Live progress along the selected route, from the current fix. */
data class RouteWatch(val routeId: String, val name: String, val progress: String, val offRoute: String?)

data class TemplateRow(val id: String, val title: String, val kind: String, val items: Int)

/** What a new walk can be for: a saved venue, a saved route, or no place. */
data class SubjectChoice(val label: String, val subject: WalkSubject)

/**
 * A checklist picked, waiting for the officer to say what the walk is for: the venues first
 * for a venue checklist, the routes first for a route checklist.
 */
data class WalkStart(val templateId: String, val title: String, val subjects: List<SubjectChoice>)

data class WalkRow(val id: String, val title: String, val subject: String, val state: String, val progress: String, val issues: Int)

data class AdvanceState(
    val venues: List<VenueRow> = emptyList(),
    val nearestAe: NearestAe? = null,
    val fix: String = "No fix",
    val havens: List<HavenRow> = emptyList(),
    val routes: List<RouteRow> = emptyList(),
    val watch: RouteWatch? = null,
    val templates: List<TemplateRow> = emptyList(),
    val walks: List<WalkRow> = emptyList(),
    val loading: Boolean = true,
    val error: String? = null,
    /** Set when a walk was started: the host opens it. */
    val startedWalkId: String? = null,
    /** Non-null while the officer chooses what a new walk is for. */
    val starting: WalkStart? = null,
)

sealed interface AdvanceIntent {
    data object Refresh : AdvanceIntent
    data class WatchRoute(val routeId: String?) : AdvanceIntent
    /** A checklist tapped: offers its subjects ([AdvanceState.starting]). */
    data class ChooseTemplate(val templateId: String) : AdvanceIntent
    data object CancelStart : AdvanceIntent
    data class StartWalk(val templateId: String, val subject: WalkSubject) : AdvanceIntent
}

/**
 * Advance work: venues (exits, safe room, points), safe havens with the nearest A&E from
 * the current fix (distance and bearing), routes (length, worst coverage gap, havens in
 * the corridor; live progress and off-route warning for the watched one), checklist
 * templates and walks. Every measure is the core's; this only puts them in words.
 */
class AdvancePresenter(
    private val vigil: VigilCore,
    private val position: PositionProvider,
    scope: CoroutineScope,
    io: CoroutineDispatcher = Dispatchers.IO,
) : Presenter<AdvanceState, AdvanceIntent>(AdvanceState(), scope, io) {

    init {
        load()
    }

    override fun onIntent(intent: AdvanceIntent) {
        when (intent) {
            AdvanceIntent.Refresh -> load()
            is AdvanceIntent.WatchRoute -> {
                set { it.copy(watch = null) }
                intent.routeId?.let { watch(it) }
            }
            is AdvanceIntent.ChooseTemplate -> readCore({ walkStart(intent.templateId) }) { s, start ->
                s.copy(starting = start, error = null)
            }
            AdvanceIntent.CancelStart -> set { it.copy(starting = null) }
            is AdvanceIntent.StartWalk -> runCore({
                val walk = vigil.advance().startWalk(intent.templateId, null, intent.subject, vigil.officerName)
                vigil.localChange()
                walk.id to read()
            }) { s, (walkId, loaded) -> loaded.copy(watch = s.watch, startedWalkId = walkId, starting = null) }
        }
    }

    override fun AdvanceState.failed(words: String) = copy(loading = false, error = words)

    private fun load() {
        readCore(::read) { s, loaded -> loaded.copy(watch = s.watch, startedWalkId = s.startedWalkId, starting = s.starting) }
    }

    /** Everything the screen lists, read from the core with the current fix (blocking: on IO). */
    private fun read(): AdvanceState {
        val fix = position.current()
        val a = vigil.advance()
        val venues = a.listVenues().map { v ->
            VenueRow(
                v.id, v.name,
                v.points.count { it.kind == VenuePointKind.EXIT || it.kind == VenuePointKind.EMERGENCY_EXIT },
                v.points.firstOrNull { it.kind == VenuePointKind.SAFE_ROOM }?.label,
                v.points.size,
            )
        }
        val havens = a.listHavens(HavenFilter.Any).map { h ->
            HavenRow(h.name, Words.havenKind(h.kind), h.hospital?.emergencyDepartment == true)
        }
        val ae = fix?.let { f -> a.nearestHaven(f.geo(), HavenFilter.EmergencyHospital) }?.let { n ->
            NearestAe(n.haven.name, Words.distance(n.distanceM), Words.bearing(n.bearingDeg))
        }
        val routes = a.listRoutes().map { r ->
            RouteRow(
                r.id, r.name, Words.distance(r.lengthM),
                r.coverageGap?.let { g -> "${Words.distance(g.distanceM)} from a haven, ${Words.distance(g.alongM)} along" },
                a.havensInCorridor(r.id, THRESHOLDS.corridorHalfWidthM, HavenFilter.Any).size,
            )
        }
        val templates = a.listTemplates().map { t ->
            TemplateRow(t.id, t.title, t.kind.name.lowercase().replaceFirstChar { it.uppercase() }, t.sections.sumOf { it.items.size })
        }
        val venueNames = venues.associate { it.id to it.name }
        val routeNames = routes.associate { it.id to it.name }
        val walks = a.listWalks().map { w ->
            WalkRow(
                w.id, w.template.title,
                when (val s = w.subject) {
                    is WalkSubject.Venue -> venueNames[s.venueId] ?: "Venue"
                    is WalkSubject.Route -> routeNames[s.routeId] ?: "Route"
                    is WalkSubject.Other -> s.label
                },
                walkStateWords(w.state),
                "${w.progress().answered} of ${w.progress().total}",
                w.progress().issues.toInt(),
            )
        }
        return AdvanceState(
            venues = venues, nearestAe = ae, havens = havens, routes = routes, templates = templates,
            walks = walks, loading = false,
            fix = Words.fix(fix),
        )
    }

    /** The subjects a walk of [templateId] can be for, the likely ones first. */
    private fun walkStart(templateId: String): WalkStart {
        val a = vigil.advance()
        val t = a.listTemplates().first { it.id == templateId }
        val venues = a.listVenues().map { SubjectChoice("Venue: ${it.name}", WalkSubject.Venue(it.id)) }
        val routes = a.listRoutes().map { SubjectChoice("Route: ${it.name}", WalkSubject.Route(it.id)) }
        val places = if (t.kind == TemplateKind.ROUTE) routes + venues else venues + routes
        return WalkStart(t.id, t.title, places + SubjectChoice(NO_PLACE, WalkSubject.Other(t.title)))
    }

    private fun watch(routeId: String) {
        readCore({
            val fix = position.current()
            val a = vigil.advance()
            val r = a.routeSummary(routeId)
            if (fix == null) {
                RouteWatch(routeId, r.name, "No fix: progress unknown", null)
            } else {
                val p = a.routeProgress(routeId, fix.geo())
                val off = a.offRoute(routeId, fix.geo(), THRESHOLDS.offRouteM)
                RouteWatch(
                    routeId, r.name,
                    "${Words.distance(p.doneM)} done, ${Words.distance(p.leftM)} to go",
                    if (off.offRoute) "OFF ROUTE: ${Words.distance(off.distanceM)} from the planned route" else null,
                )
            }
        }) { s, w -> s.copy(watch = w) }
    }

    companion object {
        /** The corridor half-width and off-route distance: the core's, the same in every app and the CLI. */
        val THRESHOLDS: RouteThresholds = routeThresholds()

        /** The subject of a walk tied to no saved venue or route. */
        const val NO_PLACE = "Not tied to a saved venue or route"

        fun walkStateWords(s: WalkState): String = when (s) {
            WalkState.IN_PROGRESS -> "In progress"
            WalkState.COMPLETED -> "Completed, awaiting sign-off"
            WalkState.SIGNED_OFF -> "Signed off"
        }
    }
}
