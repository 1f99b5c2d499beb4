package app.vigil.presentation.advance

import app.vigil.core.model.Category
import app.vigil.core.model.CheckState
import app.vigil.core.model.ItemKind
import app.vigil.core.model.Severity
import app.vigil.core.model.WalkState
import app.vigil.core.model.WalkSubject
import app.vigil.presentation.Fix
import app.vigil.presentation.Harness
import app.vigil.presentation.LONDON
import app.vigil.presentation.awaitState
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class AdvancePresenterTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `venues, nearest A&E with distance and bearing, routes with gap and corridor havens`() {
        Harness(dir, create = true).use { h ->
            seedAdvance(h.vigil.advance())
            val p = AdvancePresenter(h.vigil, { LONDON }, h.scope)
            val s = p.state.awaitState { !it.loading }
            assertNull(s.error)
            val venue = s.venues.single()
            assertEquals(2, venue.exits)
            assertEquals("Committee room 2", venue.safeRoom)
            val ae = assertNotNull(s.nearestAe)
            assertEquals("St Thomas'", ae.name, "the clinic has no A&E")
            assertTrue(ae.distance.endsWith(" m") || ae.distance.endsWith(" km"), ae.distance)
            assertTrue(ae.bearing.startsWith("S"), "St Thomas' lies south of Charing Cross: ${ae.bearing}")
            val route = s.routes.single()
            assertTrue(route.length.endsWith("km"), route.length)
            assertTrue(route.havensInCorridor >= 1)
            assertTrue(s.templates.isNotEmpty(), "the built-in templates")
        }
    }

    @Test
    fun `watching a route - progress along it, and off route far from it`() {
        Harness(dir, create = true).use { h ->
            seedAdvance(h.vigil.advance())
            var fix = Fix(51.5079, -0.1100, 5.0)
            val p = AdvancePresenter(h.vigil, { fix }, h.scope)
            val routeId = p.state.awaitState { !it.loading }.routes.single().id
            p.onIntent(AdvanceIntent.WatchRoute(routeId))
            val on = p.state.awaitState { it.watch != null }.watch!!
            assertNull(on.offRoute)
            assertTrue(on.progress.contains("done"), on.progress)

            fix = Fix(51.5300, -0.1600, 5.0)
            p.onIntent(AdvanceIntent.WatchRoute(routeId))
            val off = p.state.awaitState { it.watch?.offRoute != null }.watch!!
            assertTrue(off.offRoute!!.startsWith("OFF ROUTE"), off.offRoute)
        }
    }

    @Test
    fun `walk a template to sign-off, raising an incident from an issue`() {
        Harness(dir, create = true).use { h ->
            seedAdvance(h.vigil.advance())
            val adv = AdvancePresenter(h.vigil, { LONDON }, h.scope)
            val s = adv.state.awaitState { !it.loading }
            val template = h.vigil.advance().listTemplates().first { t -> t.sections.flatMap { it.items }.any { it.kind is ItemKind.Check } }
            adv.onIntent(AdvanceIntent.StartWalk(template.id, WalkSubject.Venue(s.venues.single().id)))
            val walkId = adv.state.awaitState { it.startedWalkId != null }.startedWalkId!!

            val w = WalkPresenter(h.vigil, walkId, { LONDON }, h.scope)
            val start = w.state.awaitState { it.sections.isNotEmpty() }
            assertEquals(template.title, start.title)
            assertTrue(start.requiredLeft > 0)
            assertFalse(start.canComplete)

            w.onIntent(WalkIntent.Complete)
            assertEquals("Some required checks are not answered yet.", w.state.awaitState { it.error != null }.error)

            val items = start.sections.flatMap { it.items }
            val firstCheck = items.first { it.style == AnswerStyle.CHECK }
            w.onIntent(WalkIntent.NoteChanged(firstCheck.id, "Fire door propped open"))
            // A photo before the answer waits for it; the answer carries it.
            w.onIntent(WalkIntent.AttachPhoto(firstCheck.id, app.vigil.presentation.realPhoto(dir, "door.png")))
            w.state.awaitState { st -> !st.busy && st.sections.flatMap { it.items }.first { it.id == firstCheck.id }.photos == 1 }
            w.onIntent(WalkIntent.Check(firstCheck.id, CheckState.ISSUE))
            w.state.awaitState { st -> st.issues == 1 && !st.busy }
            // A second photo of the answered item is added to its answer.
            w.onIntent(WalkIntent.AttachPhoto(firstCheck.id, app.vigil.presentation.realPhoto(dir, "door-2.png")))
            w.state.awaitState { st -> !st.busy && st.sections.flatMap { it.items }.first { it.id == firstCheck.id }.photos == 2 }
            val answer = h.vigil.advance().getWalk(walkId).answers.first { it.itemId == firstCheck.id }
            assertEquals(2, answer.photos.size)
            assertEquals("Fire door propped open", answer.note)
            assertTrue(answer.issue, "re-answering with a photo keeps the issue")
            // Raising opens a sheet with security breach / medium preselected; the officer
            // picks the category and severity before it is filed.
            w.onIntent(WalkIntent.RaiseIncident(firstCheck.id))
            val sheet = w.state.awaitState { it.raising != null }
            assertEquals(RaiseDraft(firstCheck.id, Category.SECURITY_BREACH, Severity.MEDIUM), sheet.raising)
            assertEquals(10, sheet.raiseTiles.size)
            assertNull(sheet.raisedIncidentId, "nothing is filed before the officer confirms")
            w.onIntent(WalkIntent.CancelRaise)
            w.state.awaitState { it.raising == null }
            w.onIntent(WalkIntent.RaiseIncident(firstCheck.id))
            w.state.awaitState { it.raising != null }
            w.onIntent(WalkIntent.RaiseCategoryPicked(Category.HOSTILE_SURVEILLANCE))
            w.onIntent(WalkIntent.RaiseSeverityPicked(Severity.HIGH))
            w.state.awaitState { it.raising?.severity == Severity.HIGH && it.raising?.category == Category.HOSTILE_SURVEILLANCE }
            w.onIntent(WalkIntent.ConfirmRaise)
            val filed = w.state.awaitState { it.raisedIncidentId != null }
            assertNull(filed.raising)
            assertEquals("Hostile surveillance incident raised in the log from this item.", filed.message)
            val raised = filed.raisedIncidentId!!
            val incident = h.vigil.incidents().get(raised)
            assertEquals(raised, incident.incidentId)
            assertEquals(Category.HOSTILE_SURVEILLANCE, incident.current.category)
            assertEquals(Severity.HIGH, incident.current.severity)
            assertEquals(answer.photos.toSet(), incident.current.attachments.map { it.id }.toSet(), "the raised incident carries the item's photos")

            for (item in items.drop(0).filter { it.id != firstCheck.id }) {
                when (item.style) {
                    AnswerStyle.CHECK -> w.onIntent(WalkIntent.Check(item.id, CheckState.OK))
                    AnswerStyle.TEXT -> {
                        w.onIntent(WalkIntent.NoteChanged(item.id, "Checked with the duty manager"))
                        w.onIntent(WalkIntent.SaveText(item.id))
                    }
                    AnswerStyle.NUMBER -> {
                        w.onIntent(WalkIntent.NoteChanged(item.id, "2"))
                        w.onIntent(WalkIntent.SaveText(item.id))
                    }
                    AnswerStyle.CHOICE -> w.onIntent(WalkIntent.Choose(item.id, item.options.first()))
                    AnswerStyle.LOCATION -> w.onIntent(WalkIntent.HereNow(item.id))
                    AnswerStyle.PHOTO -> w.onIntent(WalkIntent.AttachPhoto(item.id, app.vigil.presentation.realPhoto(dir, "${item.id}.png")))
                    AnswerStyle.OTHER -> w.onIntent(WalkIntent.NotApplicable(item.id))
                }
                w.state.awaitState { st -> !st.busy && st.sections.flatMap { it.items }.first { it.id == item.id }.answer != null }
            }
            val done = w.state.awaitState { it.requiredLeft == 0 && !it.busy }
            assertTrue(done.canComplete, done.progress)
            w.onIntent(WalkIntent.Complete)
            w.state.awaitState { it.state == WalkState.COMPLETED && !it.busy }
            assertTrue(w.state.value.canSignOff)
            w.onIntent(WalkIntent.SignOff)
            val signed = w.state.awaitState { it.state == WalkState.SIGNED_OFF && !it.busy }
            assertEquals("Signed off", signed.stateWords)
            assertFalse(signed.editable)

            adv.onIntent(AdvanceIntent.Refresh)
            adv.state.awaitState { st -> st.walks.any { it.id == walkId && it.state == "Signed off" } }
        }
    }

    @Test
    fun `a checklist is started for a venue or a route the officer picks`() {
        Harness(dir, create = true).use { h ->
            seedAdvance(h.vigil.advance())
            val adv = AdvancePresenter(h.vigil, { LONDON }, h.scope)
            adv.state.awaitState { !it.loading }
            val venueT = h.vigil.advance().listTemplates().first { it.kind == app.vigil.core.model.TemplateKind.VENUE }
            adv.onIntent(AdvanceIntent.ChooseTemplate(venueT.id))
            val start = adv.state.awaitState { it.starting != null }.starting!!
            assertEquals(venueT.title, start.title)
            assertEquals(listOf("Venue: Guildhall", "Route: Westminster to Guildhall", AdvancePresenter.NO_PLACE), start.subjects.map { it.label })
            adv.onIntent(AdvanceIntent.CancelStart)
            assertNull(adv.state.value.starting)

            val routeT = h.vigil.advance().listTemplates().first { it.kind == app.vigil.core.model.TemplateKind.ROUTE }
            adv.onIntent(AdvanceIntent.ChooseTemplate(routeT.id))
            val routeStart = adv.state.awaitState { it.starting?.templateId == routeT.id }.starting!!
            assertEquals("Route: Westminster to Guildhall", routeStart.subjects.first().label, "a route checklist offers the routes first")
            adv.onIntent(AdvanceIntent.StartWalk(routeT.id, routeStart.subjects.first().subject))
            val walkId = adv.state.awaitState { it.startedWalkId != null && it.starting == null }.startedWalkId!!
            val walk = h.vigil.advance().getWalk(walkId)
            assertTrue(walk.subject is WalkSubject.Route)
            val row = adv.state.awaitState { st -> st.walks.any { it.id == walkId } }.walks.first { it.id == walkId }
            assertEquals("Westminster to Guildhall", row.subject)
        }
    }
}
