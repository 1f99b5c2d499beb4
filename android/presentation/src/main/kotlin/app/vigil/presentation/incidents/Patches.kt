package app.vigil.presentation.incidents

import app.vigil.core.ReportPatch

/** A patch that changes nothing; amendments copy it with the fields they change. */
fun emptyPatch(): ReportPatch = ReportPatch(
    occurred = null, category = null, severity = null, location = null, narrative = null, people = null,
    vehicles = null, actionsTaken = null, policeReference = null, witnesses = null, tags = null,
    venueId = null, routeId = null, officer = null, attachments = null, clear = listOf(),
)

/** The names of the fields a patch changes, in words, for the history. */
fun ReportPatch.changedFields(): List<String> = buildList {
    if (occurred != null) add("time")
    if (category != null) add("category")
    if (severity != null) add("severity")
    if (location != null) add("place")
    if (narrative != null) add("narrative")
    if (people != null) add("people")
    if (vehicles != null) add("vehicles")
    if (actionsTaken != null) add("actions taken")
    if (policeReference != null) add("police reference")
    if (witnesses != null) add("witnesses")
    if (tags != null) add("tags")
    if (attachments != null) add("attachments")
    if (clear.isNotEmpty()) add("cleared ${clear.size}")
}
