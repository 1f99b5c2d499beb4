import VigilCore

/// "Not set" then every severity with its words, for a ChoiceRow.
func severityChoices(_ labeled: [Labeled<Severity>], selected: Severity?) -> [(value: Severity?, label: String, selected: Bool)] {
    var out: [(value: Severity?, label: String, selected: Bool)] = [(value: nil, label: "Not set", selected: selected == nil)]
    for l in labeled {
        out.append((value: l.value, label: l.label, selected: selected == l.value))
    }
    return out
}

/// A view model's filter choices, for a ChoiceRow.
func filterChoices<T: Sendable & Hashable>(_ choices: [FilterChoice<T>]) -> [(value: T?, label: String, selected: Bool)] {
    choices.map { (value: $0.value, label: $0.label, selected: $0.selected) }
}
