import Foundation

/// A photo the platform's camera just wrote to a private file (a protected folder, see
/// ProtectedStore.pending). The view models seal it into the store and then delete this
/// plaintext file: `sealed()` is called only once the core holds the encrypted copy, so a
/// failed seal loses nothing and can be retried. The twin of android/presentation's Capture.
struct Capture: Sendable, Equatable {
    let path: String
    let mime: String
    let capturedAtMillis: Int64?

    /// Deletes the plaintext file once the store holds the sealed photo.
    func sealed() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The platform's camera: takes one photo into a private file, or nil when the officer
/// cancelled (or there is no camera). Called from the UI; the host implements it.
@MainActor
protocol Camera {
    func takePhoto() async -> Capture?
}

/// "Photo · 2.1 MB · taken 14:02": what an attachment is, for lists.
func attachmentWords(mime: String, size: Int64, capturedAt: Int64?, time: TimeWords) -> String {
    let kind: String
    if mime.hasPrefix("image/") {
        kind = "Photo"
    } else if mime.hasPrefix("video/") {
        kind = "Video"
    } else if mime.hasPrefix("audio/") {
        kind = "Recording"
    } else {
        kind = "File"
    }
    let bytes: String
    if size < 1024 {
        bytes = "\(size) B"
    } else if size < 1024 * 1024 {
        bytes = "\(size / 1024) KB"
    } else {
        bytes = String(format: "%.1f MB", Double(size) / 1_048_576.0)
    }
    return [kind, bytes, capturedAt.map { "taken \(time.at($0))" }].compactMap { $0 }.joined(separator: " · ")
}
