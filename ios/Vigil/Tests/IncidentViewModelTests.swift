import Foundation
import Testing
import UIKit
import VigilCore
@testable import VigilIOS

@MainActor
struct QuickLogViewModelTests {
    @Test func oneTapLogsWithTheFixAndDetailsFollowAsAnAmendment() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let changes = Counter()
        h.vigil.onLocalChange = { changes.increment() }
        let m = QuickLogViewModel(vigil: h.vigil, position: FixedPosition(fix: london), time: testTime)
        let s0 = try await awaitState({ m.state }) { $0.fix != "No fix" }
        #expect(s0.tiles.count == 10)
        #expect(s0.fix == "±8 m")
        #expect(s0.tiles[1].label == "Hostile surveillance")

        m.onIntent(.log(category: .hostileSurveillance))
        let afterLog = try await awaitState({ m.state }) { $0.logged != nil }
        let logged = try #require(afterLog.logged)
        #expect(logged.what == "Hostile surveillance")
        #expect(logged.place == "Place recorded (±8 m)")
        #expect(!m.state.canSaveDetails, "nothing typed yet")

        m.onIntent(.severityPicked(severity: .high))
        m.onIntent(.narrativeChanged(text: "Grey van, same driver as yesterday"))
        m.onIntent(.witnessesChanged(text: "Doorman\nPS Hale"))
        #expect(m.state.canSaveDetails)
        m.onIntent(.saveDetails)
        _ = try await awaitState({ m.state }) { $0.message != nil }

        let view = try h.vigil.incidents().get(incidentId: logged.incidentId)
        #expect(view.current.severity == .high)
        #expect(view.current.narrative == "Grey van, same driver as yesterday")
        #expect(view.current.witnesses == ["Doorman", "PS Hale"])
        #expect(view.history.count == 2, "the quick entry and one amendment")
        #expect(view.history[1].reason == QuickLogViewModel.reason)
        #expect(view.current.location?.latitude == 51.5080)
        #expect(changes.value == 2, "the log and the amendment each woke the sync loop")
    }

    @Test func noFixIsFineTheIncidentIsLoggedWithoutAPlace() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let m = QuickLogViewModel(vigil: h.vigil, position: NoPosition(), time: testTime)
        m.onIntent(.log(category: .medical))
        let afterLog = try await awaitState({ m.state }) { $0.logged != nil }
        let logged = try #require(afterLog.logged)
        #expect(logged.place == "No fix: logged without a place")
        #expect(m.state.fix == "No fix")
        let view = try h.vigil.incidents().get(incidentId: logged.incidentId)
        #expect(view.current.location == nil)
        #expect(view.current.category == .medical)
    }

    @Test func aLockedStoreSaysSoInWordsAndLogsNothing() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        try h.vigil.lock()
        let m = QuickLogViewModel(vigil: h.vigil, position: NoPosition(), time: testTime)
        m.onIntent(.log(category: .media))
        let s = try await awaitState({ m.state }) { $0.error != nil }
        #expect(s.error == "Vigil is locked. Unlock to continue.")
        #expect(s.logged == nil)
    }
}

@MainActor
struct IncidentDetailViewModelTests {
    @Test func historyIsWholeAndAmendingNeedsAReasonAndKeepsTheOriginal() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let log = try h.vigil.incidents()
        let receipt = try log.quickLog(category: .suspiciousActivity, location: nil)
        var patch = emptyPatch()
        patch.narrative = "Grey van parked opposite the hotel"
        _ = try log.amend(amends: receipt.incidentId, reason: "Details", patch: patch)

        let m = IncidentDetailViewModel(vigil: h.vigil, incidentId: receipt.incidentId, time: testTime)
        let s = try await awaitState({ m.state }) { $0.card != nil }
        #expect(s.card?.narrative == "Grey van parked opposite the hotel")
        #expect(s.history.map(\.title) == ["Reported", "Amended"])
        #expect(s.history[1].changes == "Changed: narrative")
        #expect(s.chainOk)
        #expect(s.chain?.hasPrefix("Log verified") == true)

        m.onIntent(.startAmend)
        m.onIntent(.narrativeChanged(text: "Grey van parked opposite the hotel, index LX19 ABC"))
        #expect(!m.state.canSaveAmendment, "no reason yet")
        m.onIntent(.reasonChanged(text: "   "))
        #expect(!m.state.canSaveAmendment, "a blank reason is no reason")
        m.onIntent(.reasonChanged(text: "Plate read from CCTV"))
        #expect(m.state.canSaveAmendment)
        m.onIntent(.saveAmendment)
        let after = try await awaitState({ m.state }) { $0.history.count == 3 }
        #expect(after.amend == nil)
        #expect(after.history[2].reason == "Plate read from CCTV")
        #expect(after.card?.narrative == "Grey van parked opposite the hotel, index LX19 ABC")
        let view = try log.get(incidentId: receipt.incidentId)
        #expect(view.history[1].patch?.narrative == "Grey van parked opposite the hotel", "the earlier text stays")
    }

    @Test func aPhotoIsSealedByAnAmendmentListedAndItsPlaintextFileDeleted() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let receipt = try h.vigil.incidents().quickLog(category: .media, location: nil)
        let photo = h.dir.appendingPathComponent("van.jpg")
        try Data((0..<4096).map { UInt8($0 % 251) }).write(to: photo)
        let m = IncidentDetailViewModel(vigil: h.vigil, incidentId: receipt.incidentId, time: testTime)
        _ = try await awaitState({ m.state }) { $0.card != nil }
        m.onIntent(.attach(capture: Capture(path: photo.path, mime: "image/jpeg", capturedAtMillis: nil)))
        let s = try await awaitState({ m.state }) { !$0.attachments.isEmpty }
        #expect(s.attachments[0].words == "Photo · 4 KB")
        #expect(s.history.count == 2)
        #expect(s.message == "Photo sealed and added. The history shows the amendment.")
        #expect(!FileManager.default.fileExists(atPath: photo.path), "the plaintext copy is gone once sealed")
    }

    @Test func aPhotoRowCarriesItsBytesOnceShownABrokenOrNonPhotoOneStaysText() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let receipt = try h.vigil.incidents().quickLog(category: .hostileSurveillance, location: nil)
        let photo = h.dir.appendingPathComponent("door.png")
        let png = try #require(testPNG())
        try png.write(to: photo)
        let m = IncidentDetailViewModel(vigil: h.vigil, incidentId: receipt.incidentId, time: testTime)
        _ = try await awaitState({ m.state }) { $0.card != nil }
        m.onIntent(.attach(capture: Capture(path: photo.path, mime: "image/png", capturedAtMillis: nil)))
        let s = try await awaitState({ m.state }) { $0.attachments.count == 1 && !$0.busy }
        let row = try #require(s.attachments.first)
        #expect(row.photo)
        #expect(s.thumbnails.isEmpty, "nothing is read before the row is on screen")
        m.onIntent(.showThumbnail(attachmentId: row.id))
        let shown = try await awaitState({ m.state }) { $0.thumbnails[row.id] != nil }
        #expect(shown.thumbnails[row.id] == png, "the thumbnail is the sealed PNG, byte for byte")
        #expect(PhotoThumbnail.decode(png, maxPixels: 16) != nil, "the sealed bytes decode as an image")
        #expect(PhotoThumbnail.decode(Data("not an image".utf8), maxPixels: 16) == nil, "broken bytes keep the text row")
        // The core refuses more than the cap asked for; nothing is decrypted.
        do {
            _ = try h.vigil.incidents().attachmentBytes(incidentId: receipt.incidentId, attachmentId: row.id, maxBytes: 10)
            Issue.record("the core read a photo larger than the cap asked for")
        } catch IncidentError.InvalidInput(let field, _) {
            #expect(field == "attachment")
        } catch {
            Issue.record("expected InvalidInput, got \(error)")
        }
        // A text file is listed, never read for a thumbnail.
        let notes = h.dir.appendingPathComponent("notes.txt")
        try Data("plain notes".utf8).write(to: notes)
        m.onIntent(.attach(capture: Capture(path: notes.path, mime: "text/plain", capturedAtMillis: nil)))
        let both = try await awaitState({ m.state }) { $0.attachments.count == 2 && !$0.busy }
        let text = try #require(both.attachments.first { $0.id != row.id })
        #expect(!text.photo)
        m.onIntent(.showThumbnail(attachmentId: text.id))
        m.onIntent(.refresh)
        let after = try await awaitState({ m.state }) { $0.chain != nil && !$0.busy }
        #expect(Set(after.thumbnails.keys) == [row.id])
    }

    @Test func anUnknownIncidentIsExplainedNotThrown() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let m = IncidentDetailViewModel(vigil: h.vigil, incidentId: "no-such-incident", time: testTime)
        let s = try await awaitState({ m.state }) { $0.error != nil }
        #expect(s.error == "That incident is not on this phone.")
        #expect(s.card == nil)
    }
}

@MainActor
struct IncidentsViewModelTests {
    @Test func filterByCategoryAndSearch() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let log = try h.vigil.incidents()
        let van = try log.quickLog(category: .hostileSurveillance, location: nil)
        var patch = emptyPatch()
        patch.narrative = "Grey van parked opposite the hotel"
        _ = try log.amend(amends: van.incidentId, reason: "Details", patch: patch)
        _ = try log.quickLog(category: .medical, location: nil)

        let m = IncidentsViewModel(vigil: h.vigil, time: testTime)
        _ = try await awaitState({ m.state }) { !$0.loading && $0.rows.count == 2 }
        m.onIntent(.categoryPicked(category: .medical))
        let medical = try await awaitState({ m.state }) { !$0.loading && $0.category == .medical }
        #expect(medical.rows.map(\.title) == ["Medical"])
        m.onIntent(.categoryPicked(category: nil))
        m.onIntent(.queryChanged(text: "grey van"))
        let found = try await awaitState({ m.state }) { !$0.loading && $0.query == "grey van" }
        #expect(found.rows.map(\.id) == [van.incidentId])
    }
}

/// A real 8 x 8 PNG, drawn by UIKit (a photo the core seals and the screen decodes).
func testPNG() -> Data? {
    let format = UIGraphicsImageRendererFormat()
    format.scale = 1
    return UIGraphicsImageRenderer(size: CGSize(width: 8, height: 8), format: format).pngData { ctx in
        UIColor.red.setFill()
        ctx.fill(CGRect(x: 0, y: 0, width: 8, height: 8))
    }
}

/// Counts local-change callbacks (they arrive on the core's queue).
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
