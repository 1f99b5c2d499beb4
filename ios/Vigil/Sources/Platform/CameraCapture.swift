import SwiftUI
import UIKit

/// The system camera (NSCameraUsageDescription in Info.plist). Photos never go to the
/// photo library: they go, JPEG, straight to the protected pending folder, and the view
/// model deletes each (`Capture.sealed()`) once the core holds it sealed.
struct CameraCapture: UIViewControllerRepresentable {
    let done: (Capture?) -> Void

    static var available: Bool { UIImagePickerController.isSourceTypeAvailable(.camera) }

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.cameraCaptureMode = .photo
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(done: done) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let done: (Capture?) -> Void

        init(done: @escaping (Capture?) -> Void) { self.done = done }

        func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            let at = Int64(Date().timeIntervalSince1970 * 1000)
            guard let image = info[.originalImage] as? UIImage, let jpeg = image.jpegData(compressionQuality: 0.85),
                  let dir = try? ProtectedStore.pending() else {
                done(nil)
                return
            }
            let file = dir.appendingPathComponent(UUID().uuidString + ".jpg")
            do {
                try jpeg.write(to: file, options: [.completeFileProtection, .withoutOverwriting])
                done(Capture(path: file.path, mime: "image/jpeg", capturedAtMillis: at))
            } catch {
                done(nil)
            }
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { done(nil) }
    }
}

/// At launch: a camera file left by a crash before it was sealed is not kept in the clear.
enum PendingPhotos {
    static func removeAll() {
        guard let dir = try? ProtectedStore.pending(),
              let files = try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil) else { return }
        for f in files { try? FileManager.default.removeItem(at: f) }
    }
}
