package app.vigil.android

import android.annotation.SuppressLint
import android.content.Context
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Looper
import app.vigil.presentation.Fix
import app.vigil.presentation.PositionProvider

/**
 * The latest fix from the platform's location manager (GPS and network), kept while the
 * app is in the foreground. No Google Play services needed. Fixes older than two minutes
 * are not offered: "no fix" is better than a stale one.
 */
class AndroidPosition(context: Context) : PositionProvider, LocationListener {
    private val manager = context.getSystemService(LocationManager::class.java)

    @Volatile
    private var last: Location? = null

    @SuppressLint("MissingPermission")
    fun start() {
        for (provider in listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)) {
            if (manager.isProviderEnabled(provider)) {
                try {
                    manager.requestLocationUpdates(provider, 5_000L, 5f, this, Looper.getMainLooper())
                } catch (_: SecurityException) {
                    // No permission yet: quick log still works, without a place.
                }
            }
        }
    }

    fun stop() = manager.removeUpdates(this)

    override fun onLocationChanged(location: Location) {
        val prev = last
        if (prev == null || location.accuracy <= prev.accuracy || location.time - prev.time > 10_000) last = location
    }

    override fun current(): Fix? {
        val l = last ?: return null
        if (System.currentTimeMillis() - l.time > MAX_AGE_MS) return null
        return Fix(l.latitude, l.longitude, if (l.hasAccuracy()) l.accuracy.toDouble() else null)
    }

    private companion object {
        const val MAX_AGE_MS = 120_000L
    }
}
