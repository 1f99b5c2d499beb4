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
