package app.vigil.presentation

import app.vigil.core.model.HavenKind
import app.vigil.core.model.Category
import app.vigil.core.model.Severity
import java.time.Clock
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import java.util.Locale
import kotlin.math.roundToInt

/** How the presenters put the core's values into words (English; the host may translate). */
object Words {
    /**
     * The home screen's warning while the phone's storage runs low (the core decides what
     * "low" is), or null when there is room. Says what is left and what to do, before a
     * log can fail.
     */
    fun storageWarning(s: app.vigil.core.model.StorageStatus): String? {
        if (!s.low) return null
        val mb = s.availableBytes.toLong() / (1024 * 1024)
        return "Phone storage almost full: $mb MB left. Free space now so you can keep logging; " +
            "quick logs have a small reserve."
    }

    fun category(c: Category): String = when (c) {
        Category.SUSPICIOUS_ACTIVITY -> "Suspicious activity"
        Category.HOSTILE_SURVEILLANCE -> "Hostile surveillance"
        Category.APPROACH_OR_THREAT -> "Approach or threat"
        Category.MEDICAL -> "Medical"
        Category.SECURITY_BREACH -> "Security breach"
        Category.ROAD_OR_VEHICLE -> "Road or vehicle"
        Category.CROWD_OR_PROTEST -> "Crowd or protest"
        Category.MEDIA -> "Media"
        Category.THEFT_OR_LOSS -> "Theft or loss"
        Category.OTHER -> "Other"
    }

    fun severity(s: Severity?): String = when (s) {
        null -> "Not set"
        Severity.INFO -> "Info"
        Severity.LOW -> "Low"
        Severity.MEDIUM -> "Medium"
        Severity.HIGH -> "High"
        Severity.CRITICAL -> "Critical"
    }

    fun havenKind(k: HavenKind): String = when (k) {
        HavenKind.HOSPITAL -> "Hospital"
        HavenKind.POLICE -> "Police"
        HavenKind.FIRE -> "Fire station"
        HavenKind.EMBASSY -> "Embassy"
        HavenKind.CONSULATE -> "Consulate"
        HavenKind.OTHER -> "Safe place"
    }

    /** "±8 m", or null when there is no fix. */
    fun accuracy(m: Double?): String? = m?.let { "±${it.roundToInt()} m" }

    /** The current fix in words: "±8 m", "Fix" (no accuracy given) or "No fix". */
    fun fix(f: Fix?): String = f?.let { accuracy(it.accuracyM) ?: "Fix" } ?: "No fix"

    fun distance(m: Double): String =
        if (m < 1000) "${m.roundToInt()} m" else String.format(Locale.ROOT, "%.1f km", m / 1000)

    /** "NE (45°)": the compass point first, it is what an officer turns to. */
    fun bearing(deg: Double): String {
        val points = listOf("N", "NE", "E", "SE", "S", "SW", "W", "NW")
        val d = ((deg % 360) + 360) % 360
        return "${points[((d + 22.5) / 45).toInt() % 8]} (${d.roundToInt()}°)"
    }
}

/** Times in the officer's zone, from an injectable clock. */
class TimeWords(private val zone: ZoneId = ZoneId.systemDefault(), private val clock: Clock = Clock.systemUTC()) {
    private val hm = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT)
    private val dayHm = DateTimeFormatter.ofPattern("d MMM HH:mm", Locale.ROOT)

    /** "14:32" today, "4 Dec 14:32" on another day. */
    fun at(ms: Long): String {
        val t = Instant.ofEpochMilli(ms).atZone(zone)
        val today = clock.instant().atZone(zone).toLocalDate()
        return if (t.toLocalDate() == today) hm.format(t) else dayHm.format(t)
    }

    fun nowMs(): Long = clock.millis()
}
