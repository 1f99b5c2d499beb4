import Foundation
import Testing
import VigilCore
@testable import VigilIOS

@MainActor
struct HomeAndSyncViewModelTests {
    @Test func homeShowsRecentIncidentsAndSyncNotSetUp() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        _ = try h.vigil.incidents().quickLog(category: .media, location: nil)
        let m = HomeViewModel(vigil: h.vigil, time: testTime)
        let s = try await awaitState({ m.state }) { !$0.loading }
        #expect(s.officer == "Officer A")
        #expect(s.recent.map(\.title) == ["Media"])
        #expect(s.walk == nil)
        #expect(s.sync == SyncIndicator())
        #expect(s.sync.line == "Not in a team yet")
    }

    @Test func syncBeforeEnrolmentCannotSyncAndEnrolNeedsServerAndCode() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let m = SyncViewModel(vigil: h.vigil, time: testTime)
        let s = try await awaitState({ m.state }) { !$0.loading }
        #expect(!s.indicator.enrolled)
        #expect(!s.canSyncNow)
        #expect(!s.canEnroll)
        m.onIntent(.serverChanged(text: "http://127.0.0.1:9"))
        m.onIntent(.codeChanged(text: "  "))
        #expect(!m.state.canEnroll, "a blank code is no code")
        m.onIntent(.codeChanged(text: "ABCD-EFGH"))
        #expect(m.state.canEnroll)
        // Nothing listens on port 9: the core's transient error, in words, and nothing enrolled.
        m.onIntent(.enroll)
        let failed = try await awaitState({ m.state }) { $0.error != nil && !$0.busy }
        #expect(failed.error != nil)
        #expect(try !h.vigil.sync().status().enrolled)
    }
}

@MainActor
struct SettingsViewModelTests {
    @Test func wipePolicyChangePassphraseAndAbout() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let m = SettingsViewModel(vigil: h.vigil, appVersion: "Vigil test")
        let loaded = try await awaitState({ m.state }) { $0.about != nil }
        #expect(loaded.wipeAfter == nil)
        #expect(loaded.about?.app == "Vigil test")

        m.onIntent(.wipeAfterPicked(attempts: 5))
        let wiped = try await awaitState({ m.state }) { $0.message != nil && !$0.busy }
        #expect(wiped.wipeAfter == 5)
        #expect(try h.vigil.vault().status().wipeAfter == 5)

        _ = try h.vigil.incidents().quickLog(category: .medical, location: nil)
        let zip = h.dir.appendingPathComponent("evidence.zip")
        m.onIntent(.exportPackage(path: zip.path))
        let exported = try await awaitState({ m.state }) { $0.exported != nil && !$0.busy }
        #expect(exported.message?.hasPrefix("Evidence package written: 1 incident(s), 0 photo(s) or file(s).") == true)
        #expect(FileManager.default.fileExists(atPath: zip.path))

        let next = "harbour violet engine quarry"
        m.onIntent(.startChange)
        m.onIntent(.oldChanged(text: goodPassphrase))
        m.onIntent(.newChanged(text: next))
        m.onIntent(.confirmChanged(text: next))
        #expect(m.state.change?.ready == true)
        m.onIntent(.saveChange)
        let changed = try await awaitState({ m.state }) { $0.change == nil && !$0.busy }
        #expect(changed.message == "Passphrase changed.")
        try h.vigil.lock()
        #expect(throws: StoreError.self) { try h.vigil.unlock(passphrase: Data(goodPassphrase.utf8)) }
        try h.vigil.unlock(passphrase: Data(next.utf8))
        #expect(h.vigil.isUnlocked())
    }
}

@MainActor
struct AdvanceViewModelTests {
    @Test func startAWalkFromATemplateAndCompletingIsRefusedWhileRequiredChecksAreOpen() async throws {
        let h = try Harness(create: true)
        defer { h.close() }
        let adv = AdvanceViewModel(vigil: h.vigil, position: FixedPosition(fix: london))
        let s = try await awaitState({ adv.state }) { !$0.loading }
        #expect(s.fix == "±8 m")
        let template = try #require(s.templates.first)
        adv.onIntent(.startWalk(templateId: template.id, subject: .other(label: "Hotel lobby")))
        let started = try await awaitState({ adv.state }) { $0.startedWalkId != nil }
        let walkId = try #require(started.startedWalkId)

        let w = WalkViewModel(vigil: h.vigil, walkId: walkId, position: FixedPosition(fix: london))
        let start = try await awaitState({ w.state }) { !$0.sections.isEmpty }
        #expect(start.title == template.title)
        if start.requiredLeft > 0 {
            #expect(!start.canComplete)
        }
        let check = try #require(start.sections.flatMap(\.items).first { $0.style == .check })
        w.onIntent(.noteChanged(itemId: check.id, text: "Fire door propped open"))
        w.onIntent(.check(itemId: check.id, state: .issue))
        let answered = try await awaitState({ w.state }) { $0.issues == 1 && !$0.busy }
        #expect(answered.sections.flatMap(\.items).first { $0.id == check.id }?.answer == "Issue")
        // Raising opens a sheet with security breach / medium preselected; the officer
        // picks the category and severity before it is filed.
        w.onIntent(.raiseIncident(itemId: check.id))
        let sheet = try await awaitState({ w.state }) { $0.raising != nil }
        #expect(sheet.raising == RaiseDraft(itemId: check.id, category: .securityBreach, severity: .medium))
        #expect(sheet.raiseTiles.count == 10)
        #expect(sheet.raisedIncidentId == nil, "nothing is filed before the officer confirms")
        w.onIntent(.cancelRaise)
        _ = try await awaitState({ w.state }) { $0.raising == nil }
        w.onIntent(.raiseIncident(itemId: check.id))
        _ = try await awaitState({ w.state }) { $0.raising != nil }
        w.onIntent(.raiseCategoryPicked(category: .hostileSurveillance))
        w.onIntent(.raiseSeverityPicked(severity: .high))
        _ = try await awaitState({ w.state }) { $0.raising?.severity == .high && $0.raising?.category == .hostileSurveillance }
        w.onIntent(.confirmRaise)
        let filed = try await awaitState({ w.state }) { $0.raisedIncidentId != nil }
        #expect(filed.raising == nil)
        #expect(filed.message == "Hostile surveillance incident raised in the log from this item.")
        let raised = try #require(filed.raisedIncidentId)
        let incident = try h.vigil.incidents().get(incidentId: raised)
        #expect(incident.incidentId == raised)
        #expect(incident.current.category == .hostileSurveillance)
        #expect(incident.current.severity == .high)
    }
}
