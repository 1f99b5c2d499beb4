import SwiftUI

/// Sync and team: status, enroll (server, one-time code, optional key pin), sync now, and
/// the changes the server refused with their reasons.
struct SyncView: View {
    let model: SyncViewModel

    var body: some View {
        let state = model.state
        ScreenColumn(title: "Team sync") {
            RowCard(title: state.indicator.line, lines: state.indicator.problem.map { [$0] } ?? [], alert: state.indicator.problem != nil)
            ErrorLine(text: state.error)
            MessageLine(text: state.message)
            if state.indicator.enrolled {
                if let team = state.team { Text("Team: \(team)") }
                if let server = state.server { Text("Server: \(server)").font(.callout) }
                BigButton(title: state.busy ? "Syncing…" : "Sync now", enabled: state.canSyncNow) { model.onIntent(.syncNow) }
            } else if !state.loading {
                SectionTitle("Join a team")
                StateField(label: "Server address", text: state.enroll.server) { model.onIntent(.serverChanged(text: $0)) }
                    .keyboardType(.URL).textInputAutocapitalization(.never).autocorrectionDisabled()
                StateField(label: "One-time code", text: state.enroll.code) { model.onIntent(.codeChanged(text: $0)) }
                    .textInputAutocapitalization(.never).autocorrectionDisabled()
                StateField(label: "Server key pin (optional)", text: state.enroll.pin) { model.onIntent(.pinChanged(text: $0)) }
                    .textInputAutocapitalization(.never).autocorrectionDisabled()
                BigButton(title: state.busy ? "Enrolling…" : "Enroll", enabled: state.canEnroll) { model.onIntent(.enroll) }
            }
            if !state.quarantined.isEmpty {
                SectionTitle("Refused by the server")
                ForEach(Array(state.quarantined.enumerated()), id: \.offset) { _, q in
                    RowCard(title: q.what, lines: [q.reason, "\(q.attempts) attempt(s)"], alert: true)
                }
            }
        }
        .refreshable { await model.onIntent(.refresh) }
    }
}
