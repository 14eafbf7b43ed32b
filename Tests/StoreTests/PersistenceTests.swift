import Foundation
@testable import Store
import Testing
import TestSupport

@Suite("What the store acknowledged is there after reopening")
struct PersistenceTests {
    @Test func devicesAndEventsSurviveCloseAndReopen() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        let first = try StoreFixtures.open(path)
        let device = try first.insertDevice(StoreFixtures.device(11))
        let updated = try first.updateDevice({ var d = device; d.desiredState = .stopped; return d }())
        let events = try (0..<3).map { _ in try first.appendEvent(StoreFixtures.event(11)) }
        try first.close()
        #expect(throws: StoreError.self) { try first.devices() }

        let second = try StoreFixtures.open(path)
        #expect(try second.devices() == [updated])
        #expect(try second.events(deviceID: 11, limit: 10) == events.reversed())
        // Ids keep growing across sessions (AUTOINCREMENT), so `before` pages stay valid.
        let later = try second.appendEvent(StoreFixtures.event(11))
        #expect(later.id > events.map(\.id).max()!)
    }

    @Test func droppingTheStoreWithoutCloseAlsoKeepsEverything() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        do {
            let store = try StoreFixtures.open(path)
            try store.insertDevice(StoreFixtures.device(1))
        }
        #expect(try StoreFixtures.open(path).devices().map(\.id) == [1])
    }

    @Test func twoStoresOnOneFileSeeEachOthersCommits() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        let a = try StoreFixtures.open(path)
        let b = try StoreFixtures.open(path)
        try a.insertDevice(StoreFixtures.device(1))
        #expect(try b.device(id: 1) != nil)
        #expect(throws: StoreError.idTaken(1)) { try b.insertDevice(StoreFixtures.device(1, name: "other")) }
    }
}
