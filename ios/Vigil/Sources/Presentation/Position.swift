import VigilCore

/// A position fix from the platform (Core Location on a phone; a fixed one in tests).
struct Fix: Sendable, Equatable {
    let lat: Double
    let lon: Double
    let accuracyM: Double?

    func geo() -> Position { Position(lat: lat, lon: lon) }

    func incidentLocation() -> Location {
        Location(latitude: lat, longitude: lon, accuracyM: accuracyM, source: .gps)
    }
}

/// The latest fix, or nil ("no fix" is fine: incidents are logged without a place).
/// Called on the core's background queue, never on the main actor.
protocol PositionProvider: Sendable {
    func current() -> Fix?
}

/// No position at all (tests, or location refused).
struct NoPosition: PositionProvider {
    func current() -> Fix? { nil }
}
