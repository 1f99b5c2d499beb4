package app.vigil.presentation

import app.vigil.core.model.Position
import app.vigil.core.model.Location
import app.vigil.core.model.LocationSource

/** A position fix from the platform (Android's fused provider; a fixed one on the desktop). */
data class Fix(val lat: Double, val lon: Double, val accuracyM: Double?) {
    fun geo(): Position = Position(lat, lon)
    fun incidentLocation(): Location = Location(lat, lon, accuracyM, LocationSource.GPS)
}

/** The latest fix, or null ("no fix" is fine: incidents are logged without a place). */
fun interface PositionProvider {
    fun current(): Fix?

    companion object {
        val NONE = PositionProvider { null }
    }
}
