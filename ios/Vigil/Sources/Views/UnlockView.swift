import SwiftUI

/// First run (with the strength meter), unlock, the panic wipe's typed confirmation, and
/// "wiped". The twin of android/ui's UnlockScreen.
struct UnlockView: View {
    let model: UnlockViewModel

    var body: some View {
        let state = model.state
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                Text("Vigil").font(.title.weight(.bold)).foregroundStyle(Color.accentColor)
                if let panic = state.panic {
                    PanicConfirmation(panic: panic, busy: state.busy, onIntent: model.onIntent)
                } else {
                    switch state.stage {
                    case .checking: Text("Opening…").font(.body)
                    case .firstRun: firstRun(state)
                    case .locked: locked(state)
                    case .unlocked: heading("Unlocked")
                    case .wiped:
                        heading("Wiped")
                        if let e = state.error { Text(e).font(.body) }
                    }
                }
            }
            .padding(Metrics.padding)
        }
    }

    private func heading(_ text: String) -> some View {
        Text(text).font(.largeTitle.weight(.semibold)).accessibilityAddTraits(.isHeader)
    }

    @ViewBuilder private func firstRun(_ state: UnlockState) -> some View {
        heading("Set up Vigil")
        Text("Choose a passphrase. It encrypts everything Vigil keeps on this phone; nobody can recover it for you.")
        PassphraseField(label: "Passphrase", text: state.passphrase) { model.onIntent(.passphraseChanged(text: $0)) }
        if let strength = state.strength { StrengthMeter(strength: strength) }
        PassphraseField(label: "Type it again", text: state.confirm) { model.onIntent(.confirmChanged(text: $0)) }
        if state.confirmMismatch { Text("The two do not match.").foregroundStyle(.red) }
        ErrorLine(text: state.error)
        BigButton(title: state.busy ? "Working…" : "Create and open", enabled: state.canSubmit) { model.onIntent(.submit) }
    }

    @ViewBuilder private func locked(_ state: UnlockState) -> some View {
        heading("Vigil is locked")
        if state.biometric {
            BigButton(title: "Unlock with Face ID or Touch ID", enabled: state.canUseBiometric) { model.onIntent(.unlockWithBiometric) }
        }
        PassphraseField(label: "Passphrase", text: state.passphrase) { model.onIntent(.passphraseChanged(text: $0)) }
        ErrorLine(text: state.error)
        if state.policyTampered {
            // The wipe setting was changed outside Vigil: the passphrase and a chosen setting unlock.
            ForEach(Array(state.wipeChoices.enumerated()), id: \.offset) { _, n in
                SecondaryButton(title: state.wipeWords(n), enabled: state.canSubmit) { model.onIntent(.confirmPolicy(wipeAfter: n)) }
            }
        } else {
            BigButton(title: state.busy ? "Working…" : "Unlock", enabled: state.canSubmit) { model.onIntent(.submit) }
        }
        Spacer(minLength: 48)
        SecondaryButton(title: "Panic wipe") { model.onIntent(.panicRequested) }
    }
}

struct StrengthMeter: View {
    let strength: Strength

    var body: some View {
        let color: Color = strength.score <= 1 ? .red : (strength.acceptable ? .green : .orange)
        VStack(alignment: .leading, spacing: 4) {
            ProgressView(value: Double(strength.fraction)).tint(color)
            Text("Strength: \(strength.words)").font(.body)
            if let hint = strength.hint { Text(hint).font(.callout) }
        }
    }
}

/// Full screen, not an alert: readable at the largest text size, not tapped by accident.
/// Shown from the lock screen and from Settings.
struct PanicConfirmation: View {
    let panic: PanicWipe
    let busy: Bool
    let onIntent: @MainActor (UnlockIntent) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 16) {
            Text("Wipe everything?").font(.largeTitle.weight(.semibold)).accessibilityAddTraits(.isHeader)
            Text("Every incident, walk, photo and key on this phone is destroyed. This cannot be undone. Type \(PanicWipe.word) to confirm.")
            StateField(label: "Type \(PanicWipe.word)", text: panic.typed) { onIntent(.panicTyped(text: $0)) }
                .textInputAutocapitalization(.characters)
                .autocorrectionDisabled()
            BigButton(title: "Wipe now", enabled: panic.armed && !busy, danger: true) { onIntent(.panicConfirmed) }
            Spacer(minLength: 24)
            SecondaryButton(title: "Cancel") { onIntent(.panicCancelled) }
        }
    }
}
