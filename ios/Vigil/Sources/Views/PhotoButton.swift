import SwiftUI

/// "Take photo": presents the system camera full screen and hands the capture on.
struct PhotoButton: View {
    let title: String
    var enabled: Bool = true
    let taken: (Capture) -> Void
    @State private var camera = false

    var body: some View {
        SecondaryButton(title: title, enabled: enabled && CameraCapture.available) { camera = true }
            .fullScreenCover(isPresented: $camera) {
                CameraCapture { capture in
                    camera = false
                    if let capture { taken(capture) }
                }
                .ignoresSafeArea()
            }
    }
}
