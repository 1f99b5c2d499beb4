package app.vigil.presentation.advance

import app.vigil.core.AdvanceWork
import app.vigil.core.model.Position
import app.vigil.core.model.HavenKind
import app.vigil.core.model.HospitalInfo
import app.vigil.core.model.SafeHavenInput
import app.vigil.core.model.VenueInput
import app.vigil.core.model.VenuePoint
import app.vigil.core.model.VenuePointKind
import app.vigil.testsupport.SMALL_GPX

/** A venue with two exits and a safe room, two hospitals (one with A&E) and a route. */
fun seedAdvance(a: AdvanceWork) {
    a.saveVenue(
        VenueInput(
            null, "Guildhall", "Gresham Street", Position(51.5157, -0.0919), null,
            listOf(
                VenuePoint(VenuePointKind.EXIT, "North door", Position(51.5160, -0.0919), null, ""),
                VenuePoint(VenuePointKind.EMERGENCY_EXIT, "Kitchen yard", null, null, ""),
                VenuePoint(VenuePointKind.SAFE_ROOM, "Committee room 2", null, "1", ""),
            ),
            listOf(), "",
        ),
    )
    a.saveHaven(SafeHavenInput(null, HavenKind.HOSPITAL, "Clinic", Position(51.5150, -0.0900), HospitalInfo(false, null, false), null, null, null, ""))
    a.saveHaven(SafeHavenInput(null, HavenKind.HOSPITAL, "St Thomas'", Position(51.4985, -0.1188), HospitalInfo(true, 1u.toUByte(), false), null, null, null, ""))
    a.importGpx(SMALL_GPX.toByteArray(), "arrival")
}
