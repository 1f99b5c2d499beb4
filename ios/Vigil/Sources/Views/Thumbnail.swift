import ImageIO
import SwiftUI
import UIKit

/// Decodes a photo's bytes into a small image, never the full-size bitmap: ImageIO makes
/// the thumbnail straight from the encoded data (turned upright by its EXIF orientation).
/// Nothing here touches the main actor; callers run it in a detached task.
enum PhotoThumbnail {
    /// A thumbnail at most `maxPixels` on its longer side, or nil when the bytes do not
    /// decode as an image (the screen then keeps the text row).
    static func decode(_ data: Data, maxPixels: Int) -> UIImage? {
        guard maxPixels > 0, !data.isEmpty,
              let source = CGImageSourceCreateWithData(data as CFData, [kCGImageSourceShouldCache: false] as CFDictionary),
              CGImageSourceGetCount(source) > 0 else { return nil }
        let options: [CFString: Any] = [
            kCGImageSourceCreateThumbnailFromImageAlways: true,
            kCGImageSourceCreateThumbnailWithTransform: true,
            kCGImageSourceShouldCacheImmediately: true,
            kCGImageSourceThumbnailMaxPixelSize: maxPixels,
        ]
        guard let image = CGImageSourceCreateThumbnailAtIndex(source, 0, options as CFDictionary) else { return nil }
        return UIImage(cgImage: image)
    }
}

/// One attachment: its text row, and for a photo the thumbnail above it once the view
/// model has its bytes and they decode. The row asks for the bytes when it appears
/// (`onAppear`), so photos scrolled past are never read. The twin of android/ui's
/// AttachmentCard.
struct AttachmentCard: View {
    let row: AttachmentRow
    /// The photo's encoded bytes, once the view model has read them.
    let bytes: Data?
    let show: () -> Void

    /// The thumbnail's height on screen.
    static let side: CGFloat = 200

    @Environment(\.displayScale) private var displayScale
    @State private var image: UIImage? = nil

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            if let image {
                Image(uiImage: image)
                    .resizable()
                    .scaledToFit()
                    .frame(maxWidth: .infinity, maxHeight: Self.side)
                    .accessibilityLabel(row.words)
                    .accessibilityIdentifier("thumbnail-\(row.id)")
            }
            RowCard(title: row.words)
        }
        .accessibilityIdentifier("attachment-\(row.id)")
        .onAppear { if row.photo { show() } }
        .task(id: bytes) {
            guard let bytes else {
                image = nil
                return
            }
            let maxPixels = Int((Self.side * displayScale).rounded(.up))
            image = await Task.detached(priority: .userInitiated) {
                PhotoThumbnail.decode(bytes, maxPixels: maxPixels)
            }.value
        }
    }
}
