package app.vigil.tests

import app.vigil.core.IncidentCategory
import app.vigil.core.IncidentLocation
import app.vigil.core.IncidentReport
import app.vigil.core.LocationSource
import app.vigil.core.OccurredAt
import app.vigil.core.ReportPatch
import app.vigil.core.Severity
import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets
import java.security.KeyFactory
import java.security.MessageDigest
import java.security.Signature
import java.security.spec.X509EncodedKeySpec

/** A full report with the given fields and empty lists elsewhere. */
fun report(
    category: IncidentCategory,
    narrative: String = "",
    severity: Severity? = null,
    location: IncidentLocation? = null,
    epochMillis: Long = System.currentTimeMillis(),
    offsetMinutes: Int = 0,
    zone: String? = null,
    tags: List<String> = emptyList(),
): IncidentReport = IncidentReport(
    occurred = OccurredAt(epochMillis, offsetMinutes, zone),
    category = category,
    severity = severity,
    location = location,
    narrative = narrative,
    people = emptyList(),
    vehicles = emptyList(),
    actionsTaken = emptyList(),
    policeReference = null,
    witnesses = emptyList(),
    tags = tags,
    venueId = null,
    routeId = null,
    officer = null,
    attachments = emptyList(),
)

fun gps(lat: Double, lon: Double, accuracy: Double? = 5.0) =
    IncidentLocation(lat, lon, accuracy, LocationSource.GPS)

/** A patch that changes nothing; copy() it with the fields to change. */
val NO_CHANGE = ReportPatch(
    occurred = null, category = null, severity = null, location = null, narrative = null,
    people = null, vehicles = null, actionsTaken = null, policeReference = null,
    witnesses = null, tags = null, venueId = null, routeId = null, officer = null,
    attachments = null, clear = emptyList(),
)

fun hex(b: ByteArray): String = b.joinToString("") { "%02x".format(it) }

fun unhex(s: String): ByteArray = ByteArray(s.length / 2) { s.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

/**
 * The (version 2) entry hash recomputed from docs/INCIDENT_LOG.md, independently of the
 * Rust code: SHA-256("VIGIL-ENTRY-V2" || u64be(seq) || prev_hash || field(device_id) ||
 * field(entry_id) || field(incident_id) || SHA-256(body)), field(x) = u32be(len(x)) || x.
 */
fun entryHash(
    seq: Long, prevHash: ByteArray, deviceId: String, entryId: String, incidentId: String, body: ByteArray,
): ByteArray {
    val md = MessageDigest.getInstance("SHA-256")
    md.update("VIGIL-ENTRY-V2".toByteArray(StandardCharsets.US_ASCII))
    md.update(ByteBuffer.allocate(8).putLong(seq).array())
    md.update(prevHash)
    for (s in listOf(deviceId, entryId, incidentId)) {
        val b = s.toByteArray(StandardCharsets.UTF_8)
        md.update(ByteBuffer.allocate(4).putInt(b.size).array())
        md.update(b)
    }
    md.update(MessageDigest.getInstance("SHA-256").digest(body))
    return md.digest()
}

/** Ed25519 verification with the JDK's own provider (Java 15+), raw 32-byte key. */
fun ed25519Verify(rawPublicKey: ByteArray, message: ByteArray, signature: ByteArray): Boolean {
    val spki = unhex("302a300506032b6570032100") + rawPublicKey
    val pk = KeyFactory.getInstance("Ed25519").generatePublic(X509EncodedKeySpec(spki))
    val s = Signature.getInstance("Ed25519")
    s.initVerify(pk)
    s.update(message)
    return s.verify(signature)
}

fun sha256(b: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(b)
