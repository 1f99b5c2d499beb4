import VigilCore

/// One incident in a list: what, how bad, when, and whether it was amended.
struct IncidentRow: Sendable, Equatable, Identifiable {
    let id: String
    let title: String
    let severity: String
    let severe: Bool
    let occurred: String
    let preview: String
    let amendments: Int

    static func of(_ s: IncidentSummary, _ time: TimeWords) -> IncidentRow {
        let r = s.current
        let firstLine = r.narrative.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return IncidentRow(
            id: s.incidentId,
            title: Words.category(r.category),
            severity: Words.severity(r.severity),
            severe: r.severity == .high || r.severity == .critical,
            occurred: time.at(r.occurred.utc),
            preview: String(firstLine.prefix(80)),
            amendments: Int(s.amendments)
        )
    }
}
