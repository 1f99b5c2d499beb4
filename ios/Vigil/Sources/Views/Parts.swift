import SwiftUI

/// The building blocks every screen uses: large type and large targets (gloves, stress,
/// sunlight), one accent, red only for what is wrong. The twin of android/ui's Parts.kt.
enum Metrics {
    /// The smallest touch target: 56 pt, above Apple's 44 pt, for gloved hands.
    static let minTouch: CGFloat = 56
    static let padding: CGFloat = 16
}

struct ErrorLine: View {
    let text: String?
    var body: some View {
        if let text {
            Text(text)
                .font(.body.weight(.semibold))
                .foregroundStyle(.red)
                .accessibilityIdentifier("error")
        }
    }
}

struct MessageLine: View {
    let text: String?
    var body: some View {
        if let text {
            Text(text).font(.body).accessibilityIdentifier("message")
        }
    }
}

struct SectionTitle: View {
    let text: String
    init(_ text: String) { self.text = text }
    var body: some View {
        Text(text).font(.title3.weight(.semibold)).accessibilityAddTraits(.isHeader)
    }
}

/// A card for one row: a title, a few lines, an optional badge; red-edged when `alert`.
struct RowCard: View {
    let title: String
    var lines: [String] = []
    var badge: String? = nil
    var alert: Bool = false
    var action: (() -> Void)? = nil

    var body: some View {
        let content = VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(title).font(.headline)
                Spacer()
                if let badge { Text(badge).font(.subheadline.weight(.semibold)).foregroundStyle(alert ? .red : .secondary) }
            }
            ForEach(Array(lines.enumerated()), id: \.offset) { _, line in
                Text(line).font(.body).foregroundStyle(.secondary)
            }
        }
        .frame(maxWidth: .infinity, minHeight: Metrics.minTouch, alignment: .leading)
        .padding(12)
        .background(RoundedRectangle(cornerRadius: 12).fill(Color(.secondarySystemBackground)))
        .overlay(RoundedRectangle(cornerRadius: 12).stroke(alert ? Color.red : Color.clear, lineWidth: 2))
        if let action {
            Button(action: action) { content }.buttonStyle(.plain)
        } else {
            content
        }
    }
}

struct BigButton: View {
    let title: String
    var enabled: Bool = true
    var danger: Bool = false
    let action: () -> Void

    var body: some View {
        Button(action: action) {
            Text(title).font(.title3.weight(.semibold)).frame(maxWidth: .infinity, minHeight: Metrics.minTouch)
        }
        .buttonStyle(.borderedProminent)
        .tint(danger ? .red : .accentColor)
        .disabled(!enabled)
    }
}

struct SecondaryButton: View {
    let title: String
    var enabled: Bool = true
    let action: () -> Void

    var body: some View {
        Button(action: action) {
            Text(title).font(.body.weight(.semibold)).frame(maxWidth: .infinity, minHeight: Metrics.minTouch)
        }
        .buttonStyle(.bordered)
        .disabled(!enabled)
    }
}

/// A passphrase field: no autocorrection, no suggestions, no capitalisation, not copied
/// into the keyboard's learning.
struct PassphraseField: View {
    let label: String
    let text: String
    let onChange: (String) -> Void

    var body: some View {
        SecureField(label, text: Binding(get: { text }, set: onChange))
            .textContentType(.password)
            .textInputAutocapitalization(.never)
            .autocorrectionDisabled()
            .font(.title3)
            .frame(minHeight: Metrics.minTouch)
            .padding(.horizontal, 12)
            .background(RoundedRectangle(cornerRadius: 10).stroke(Color.secondary))
    }
}

/// A text field bound to a view model's state: the state is the truth, edits are intents.
struct StateField: View {
    let label: String
    let text: String
    var axis: Axis = .horizontal
    let onChange: (String) -> Void

    var body: some View {
        TextField(label, text: Binding(get: { text }, set: onChange), axis: axis)
            .font(.title3)
            .frame(minHeight: Metrics.minTouch)
            .padding(.horizontal, 12)
            .background(RoundedRectangle(cornerRadius: 10).stroke(Color.secondary))
    }
}

/// A row of choices, one selected (filters, severities, wipe policy).
struct ChoiceRow<T: Hashable>: View {
    let choices: [(value: T, label: String, selected: Bool)]
    let pick: (T) -> Void

    var body: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack {
                ForEach(Array(choices.enumerated()), id: \.offset) { _, c in
                    Button { pick(c.value) } label: {
                        Text(c.label).font(.body.weight(c.selected ? .bold : .regular)).frame(minHeight: 44).padding(.horizontal, 8)
                    }
                    .buttonStyle(.bordered)
                    .tint(c.selected ? .accentColor : .secondary)
                    .accessibilityAddTraits(c.selected ? .isSelected : [])
                }
            }
        }
    }
}

/// The scrolling column every screen sits in.
struct ScreenColumn<Content: View>: View {
    let title: String
    @ViewBuilder let content: () -> Content

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) { content() }
                .padding(Metrics.padding)
        }
        .navigationTitle(title)
    }
}
