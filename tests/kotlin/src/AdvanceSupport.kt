package app.vigil.tests

import app.vigil.core.model.*

/** A valid answer for any item kind (what an officer on site would give). */
fun valueFor(item: TemplateItem): AnswerValue = when (val k = item.kind) {
    is ItemKind.Check -> AnswerValue.Check(CheckState.OK)
    is ItemKind.Text -> AnswerValue.Text("Checked with the duty manager")
    is ItemKind.Number -> AnswerValue.Number((k.min ?: 0.0) + 1.0)
    is ItemKind.Choice -> AnswerValue.Choice(k.options.first())
    is ItemKind.Location -> AnswerValue.Location(Position(51.5157, -0.0919))
    is ItemKind.Photo -> AnswerValue.Photo(listOf("att-0001"))
    is ItemKind.Contact -> AnswerValue.Contact(Contact("Duty manager", "", "+44 20 7946 0001", null, ""))
}

fun answer(itemId: String, value: AnswerValue, note: String = "", officer: String = "PS Hale") =
    AnswerInput(itemId, value, note, false, null, emptyList(), officer, null)

/** A small GPX 1.1 track: Westminster to the Guildhall, about 3.4 km. */
const val SMALL_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="kotlin test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Westminster to Guildhall</name><trkseg>
    <trkpt lat="51.5007" lon="-0.1246"/>
    <trkpt lat="51.5079" lon="-0.1100"/>
    <trkpt lat="51.5130" lon="-0.0990"/>
    <trkpt lat="51.5157" lon="-0.0919"/>
  </trkseg></trk>
</gpx>
"""
