import SwiftUI

/// Settings: lock now, change passphrase, wipe policy, duress passphrase, evidence export,
/// about, and the panic wipe (the unlock view model's intents, as on the lock screen).
struct SettingsView: View {
    let model: SettingsViewModel
    let unlock: UnlockViewModel
    /// Asks the platform where to write an evidence bundle; nil: cancelled.
    let exportPath: () -> String?

    var body: some View {
        let state = model.state
        if let panic = unlock.state.panic {
            ScrollView { PanicConfirmation(panic: panic, busy: unlock.state.busy, onIntent: unlock.onIntent).padding(Metrics.padding) }
        } else {
            ScreenColumn(title: "Settings") {
                ErrorLine(text: state.error)
                MessageLine(text: state.message)
                BigButton(title: "Lock now", enabled: !state.busy) { model.onIntent(.lockNow) }

                SectionTitle("Passphrase")
                if let change = state.change {
                    PassphraseField(label: "Current passphrase", text: change.old) { model.onIntent(.oldChanged(text: $0)) }
                    PassphraseField(label: "New passphrase", text: change.new) { model.onIntent(.newChanged(text: $0)) }
                    if let s = change.strength { StrengthMeter(strength: s) }
                    PassphraseField(label: "New passphrase again", text: change.confirm) { model.onIntent(.confirmChanged(text: $0)) }
                    BigButton(title: "Save new passphrase", enabled: change.ready && !state.busy) { model.onIntent(.saveChange) }
                    SecondaryButton(title: "Cancel") { model.onIntent(.cancelChange) }
                } else {
                    SecondaryButton(title: "Change passphrase") { model.onIntent(.startChange) }
                }

                if let on = state.biometric {
                    SectionTitle("Face ID / Touch ID")
                    Toggle("Unlock without the passphrase", isOn: Binding(get: { on }, set: { model.onIntent(.biometricChanged(enabled: $0)) }))
                        .font(.title3)
                        .frame(minHeight: Metrics.minTouch)
                        .disabled(state.busy)
                }

                SectionTitle("Wipe after wrong passphrases")
                ChoiceRow(choices: state.wipeChoices.map { (value: $0, label: state.wipeWords($0), selected: state.wipeAfter == $0) }) {
                    model.onIntent(.wipeAfterPicked(attempts: $0))
                }

                SectionTitle("Duress passphrase")
                Text("A second passphrase to give under coercion. Entered at unlock, it destroys everything and opens an empty Vigil.")
                if state.duressSet { Text("A duress passphrase is set.").font(.headline) }
                PassphraseField(label: "Duress passphrase", text: state.duress) { model.onIntent(.duressChanged(text: $0)) }
                SecondaryButton(title: "Set duress passphrase", enabled: state.canSetDuress) { model.onIntent(.setDuress) }

                SectionTitle("Evidence")
                SecondaryButton(title: "Export evidence package", enabled: !state.busy) {
                    if let path = exportPath() { model.onIntent(.exportPackage(path: path)) }
                }
                if let exported = state.exported {
                    // Its photos are in the clear (the message says so): handed on with care.
                    ShareLink(item: URL(fileURLWithPath: exported)) {
                        Text("Share the package").frame(maxWidth: .infinity, minHeight: Metrics.minTouch)
                    }
                    .buttonStyle(.bordered)
                }

                SectionTitle("About")
                if let a = state.about { RowCard(title: a.app, lines: [a.keyFile, a.schema, a.device]) }

                SectionTitle("Panic wipe")
                Text("Destroys every incident, walk, photo and key on this phone at once.")
                BigButton(title: "Panic wipe", danger: true) { unlock.onIntent(.panicRequested) }
            }
        }
    }
}
