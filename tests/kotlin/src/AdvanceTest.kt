package app.vigil.tests

import app.vigil.core.model.AdvanceException
import app.vigil.core.model.StoreException
import app.vigil.core.AdvanceWork
import app.vigil.core.Vault
import app.vigil.core.model.*
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import app.vigil.testsupport.*

class AdvanceTest {
    @TempDir
    lateinit var dir: Path

    private fun withAdvance(block: (AdvanceWork, Vault) -> Unit) {
        Vault.create(dir.resolve("store").toString(), pass("advance"), FAST_KDF, null).use { v ->
            AdvanceWork(v).use { a -> block(a, v) }
        }
    }

    private fun hospital(name: String, lat: Double, lon: Double, aAndE: Boolean) = SafeHavenInput(
        null, HavenKind.HOSPITAL, name, Position(lat, lon),
        HospitalInfo(aAndE, if (aAndE) 1u.toUByte() else null, false),
        null, "+44 20 7946 0000", "24/7", "",
    )

    @Test
    fun `venue, GPX route from the fixtures, nearest hospital and off-route`() = withAdvance { a, _ ->
        val venue = a.saveVenue(
            VenueInput(null, "Guildhall", "Gresham Street", Position(51.5157, -0.0919), null,
                emptyList(), emptyList(), ""),
        )
        assertEquals("Guildhall", a.getVenue(venue.id).name)
        assertEquals(1, a.listVenues().size)

        // The JVM runs from the repository root (tests/run).
        val gpx = Files.readAllBytes(Paths.get("core/tests/fixtures/gpx11_route_rtept.gpx"))
        val routes = a.importGpx(gpx, "airport")
        assertEquals(1, routes.size)
        val r = routes[0]
        assertEquals("Airport run", r.name)
        assertEquals("airport", r.journey)
        assertTrue(r.lengthM in 20_000.0..26_000.0, "length ${r.lengthM}")
        assertEquals(51.47, r.bounds.minLat)
        assertEquals(-0.1278, r.bounds.maxLon)
        assertNull(r.coverageGap, "no A&E stored yet")

        a.saveHaven(hospital("Clinic", 51.5150, -0.0900, false))
        a.saveHaven(hospital("St Thomas'", 51.4985, -0.1188, true))
        val any = a.nearestHaven(Position(51.5157, -0.0919), HavenFilter.Any)
        assertNotNull(any)
        any!!
        assertEquals("Clinic", any.haven.name)
        val ae = a.nearestHaven(Position(51.5157, -0.0919), HavenFilter.EmergencyHospital)!!
        assertEquals("St Thomas'", ae.haven.name)
        assertTrue(ae.distanceM in 2_000.0..3_500.0, "distance ${ae.distanceM}")
        assertTrue(ae.bearingDeg in 180.0..270.0, "south-west: ${ae.bearingDeg}")
        assertNull(a.nearestHaven(Position(51.5, -0.1), HavenFilter.Kind(HavenKind.EMBASSY)))

        // The gap is now known, worst at the airport end.
        val gap = a.routeSummary(r.id).coverageGap!!
        assertTrue(gap.distanceM > 20_000.0)
        assertEquals(gap, a.worstCoverageGap(r.id, HavenFilter.EmergencyHospital, 50.0))
        assertEquals(listOf("St Thomas'"), a.havensInCorridor(r.id, 2_000.0, HavenFilter.Any).map { it.haven.name })

        val hotel = Position(51.5074, -0.1278)
        val on = a.offRoute(r.id, hotel, 100.0)
        assertFalse(on.offRoute)
        assertTrue(on.distanceM < 1.0)
        val north = a.offRoute(r.id, Position(51.5254, -0.1278), 500.0)
        assertTrue(north.offRoute)
        assertTrue(north.distanceM > 1_500.0)
        val p = a.routeProgress(r.id, hotel)
        assertTrue(p.leftM < 1.0)
        assertEquals(r.lengthM, p.totalM, 0.001)

        // Round trip through GeoJSON.
        val gj = a.exportGeojson(listOf(r.id))
        val again = a.importGeojson(gj, null)
        assertEquals(r.lengthM, again[0].lengthM, 1.0)
        assertTrue(a.exportGpx(listOf(r.id)).contains("Airport run"))
    }

    @Test
    fun `malformed GPX is a typed exception and stores nothing`() = withAdvance { a, v ->
        val before = v.outbox(0u, 1000u).size
        val bad = Files.readAllBytes(Paths.get("core/tests/fixtures/malformed_truncated.gpx"))
        assertThrows<AdvanceException.Gpx> { a.importGpx(bad, null) }
        assertThrows<AdvanceException.Gpx> { a.importGpx(pass("not xml at all"), null) }
        val polygon = String(Files.readAllBytes(Paths.get("core/tests/fixtures/polygon_not_route.geojson")))
        assertThrows<AdvanceException.WrongGeometry> { a.importGeojson(polygon, null) }
        assertEquals(0, a.listRoutes().size)
        assertEquals(before, v.outbox(0u, 1000u).size)
        // An embedded GPX string works.
        assertEquals(1, a.importGpx(pass(SMALL_GPX), null).size)
    }

    @Test
    fun `walk a built-in template to completion and sign-off`() = withAdvance { a, v ->
        val venue = a.saveVenue(VenueInput(null, "Guildhall", null, null, null, emptyList(), emptyList(), ""))
        assertEquals(4, a.builtinTemplates().size)
        val w = a.startWalk("vigil.venue-advance", null, WalkSubject.Venue(venue.id), "PS Hale")
        assertEquals(WalkState.IN_PROGRESS, w.state)
        assertEquals(0u, a.walkProgress(w.id).answered)
        val required = w.template.sections.flatMap { it.items }.filter { it.required }
        assertTrue(required.size > 5)

        // A wrong-kind answer: typed, and nothing stored.
        val check = required.first { it.kind is app.vigil.core.model.ItemKind.Check }
        val outbox = v.outbox(0u, 1000u).size
        val e = assertThrows<AdvanceException.WrongAnswerKind> {
            a.answerItem(w.id, answer(check.id, AnswerValue.Number(3.0)))
        }
        assertEquals(check.id, e.item)
        assertEquals("check", e.expected)
        assertEquals(outbox, v.outbox(0u, 1000u).size)
        assertEquals(0u, a.walkProgress(w.id).answered)
        // An issue without a note is refused too.
        assertThrows<AdvanceException.InvalidInput> {
            a.answerItem(w.id, answer(check.id, AnswerValue.Check(CheckState.ISSUE)))
        }

        // The first required check as an issue (with a note), the rest valid.
        a.answerItem(w.id, answer(check.id, AnswerValue.Check(CheckState.ISSUE), "Exit chained"))
        val rest = required.filter { it.id != check.id }
        for (item in rest.dropLast(1)) a.answerItem(w.id, answer(item.id, valueFor(item)))
        val p = a.walkProgress(w.id)
        assertEquals((required.size - 1).toUInt(), p.requiredAnswered)
        assertEquals(1u, p.issues)
        assertEquals(check.id, a.walkIssues(w.id).single().itemId)

        val missing = assertThrows<AdvanceException.RequiredUnanswered> { a.completeWalk(w.id, "PS Hale") }
        assertEquals(listOf(rest.last().id), missing.missing)
        a.answerItem(w.id, answer(rest.last().id, AnswerValue.NotApplicable))
        assertEquals(WalkState.COMPLETED, a.completeWalk(w.id, "PS Hale").state)
        val signed = a.signOffWalk(w.id, "PS Hale")
        a.verifySnapshot(signed)
        assertThrows<AdvanceException.SnapshotInvalid> { a.verifySnapshot(signed.copy(sha256 = "00" + signed.sha256.drop(2))) }
        assertEquals(WalkState.SIGNED_OFF, a.getWalk(w.id).state)
        assertThrows<AdvanceException.WrongWalkState> {
            a.answerItem(w.id, answer(check.id, AnswerValue.Check(CheckState.OK)))
        }

        // The issue becomes an incident; a bad category is typed.
        val incident = a.raiseIncidentFromItem(w.id, check.id, "security_breach", "high")
        assertEquals(36, incident.length)
        assertThrows<AdvanceException.InvalidInput> { a.raiseIncidentFromItem(w.id, check.id, "nonsense", null) }
    }

    @Test
    fun `custom template import is validated by path and a locked vault is typed`() = withAdvance { a, v ->
        val bad = """{"format":"vigil.checklist-template/1","id":"team.x","version":1,"title":"X",
            "kind":"other","sections":[{"id":"s","title":"S","items":[
            {"id":"a","label":"A","kind":"dropdown"}]}]}"""
        val e = assertThrows<AdvanceException.Template> { a.importTemplate(bad) }
        assertEquals("sections[0].items[0].kind", e.path)
        val good = bad.replace("dropdown", "check")
        assertEquals("team.x", a.importTemplate(good).id)
        assertEquals(5, a.listTemplates().size)
        val w = a.startWalk("team.x", null, WalkSubject.Other("Car 2"), "PS Hale")
        a.answerItem(w.id, answer("a", AnswerValue.Check(CheckState.OK)))
        assertEquals(1u, a.walkProgress(w.id).answered)
        v.lock()
        val locked = assertThrows<AdvanceException.Store> { a.listVenues() }
        assertTrue(locked.v1 is StoreException.Locked, "$locked")
        assertEquals("locked", locked.code())
    }
}
