import VigilCore

/// A patch that changes nothing; amendments copy it with the fields they change.
func emptyPatch() -> ReportPatch {
    ReportPatch(
        occurred: nil, category: nil, severity: nil, location: nil, narrative: nil, people: nil,
        vehicles: nil, actionsTaken: nil, policeReference: nil, witnesses: nil, tags: nil,
        venueId: nil, routeId: nil, officer: nil, attachments: nil, clear: []
    )
}

extension ReportPatch {
    /// The names of the fields a patch changes, in words, for the history.
    func changedFields() -> [String] {
        var out: [String] = []
        if occurred != nil { out.append("time") }
        if category != nil { out.append("category") }
        if severity != nil { out.append("severity") }
        if location != nil { out.append("place") }
        if narrative != nil { out.append("narrative") }
        if people != nil { out.append("people") }
        if vehicles != nil { out.append("vehicles") }
        if actionsTaken != nil { out.append("actions taken") }
        if policeReference != nil { out.append("police reference") }
        if witnesses != nil { out.append("witnesses") }
        if tags != nil { out.append("tags") }
        if attachments != nil { out.append("attachments") }
        if !clear.isEmpty { out.append("cleared \(clear.count)") }
        return out
    }
}
