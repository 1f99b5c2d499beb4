package app.vigil.presentation

import app.vigil.core.GeoPosition
import app.vigil.core.IncidentLocation
import app.vigil.core.LocationSource

/** A position fix from the platform (Android's fused provider; a fixed one on the desktop). */
data class Fix(val lat: Double, val lon: Double, val accuracyM: Double?) {
    fun geo(): GeoPosition = GeoPosition(lat, lon)
    fun incidentLocation(): IncidentLocation = IncidentLocation(lat, lon, accuracyM, LocationSource.GPS)
}

/** The latest fix, or null ("no fix" is fine: incidents are logged without a place). */
fun interface PositionProvider {
    fun current(): Fix?

    companion object {
        val NONE = PositionProvider { null }
    }
}
