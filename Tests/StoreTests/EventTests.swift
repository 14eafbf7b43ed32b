import Foundation
@testable import Store
import Testing
import TestSupport

@Suite("Events: newest first, paged by id, kept after their device")
struct EventTests {
    @Test func appendAssignsIncreasingIDsAndRoundTrips() throws {
        let store = try Store.inMemory()
        var event = StoreFixtures.event(1, kind: "crash_recovery", outcome: "failed")
        event.id = 777  // ignored
        event.error = "ENODEV"
        event.detail = #"{"queues":2}"#
        let first = try store.appendEvent(event)
        let second = try store.appendEvent(StoreFixtures.event(1))
        #expect(first.id > 0 && second.id > first.id)
        #expect(first.id != 777)
        var expected = event
        expected.id = first.id
        #expect(first == expected)
        #expect(try store.events(deviceID: 1, limit: 10) == [second, first])
    }

    @Test func unfinishedEventKeepsItsNulls() throws {
        let store = try Store.inMemory()
        let event = EventRecord(
            deviceID: 4, deviceName: "d", kind: "manual", startedAt: StoreFixtures.epoch, outcome: "ok")
        let stored = try store.appendEvent(event)
        #expect(stored.finishedAt == nil && stored.durationMs == nil && stored.error == nil && stored.detail == nil)
        #expect(try store.lastEvent(deviceID: 4) == stored)
    }

    @Test func pagesWithBeforeWalkEveryEventNewestFirstOnce() throws {
        let store = try Store.inMemory()
        var ids: [Int64] = []
        for index in 0..<25 {
            // Interleave another device, whose events must never show up.
            try store.appendEvent(StoreFixtures.event(2))
            ids.append(try store.appendEvent(StoreFixtures.event(1, kind: "k\(index)")).id)
        }
        var seen: [Int64] = []
        var before: Int64?
        var pages = 0
        while true {
            let page = try store.events(deviceID: 1, limit: 10, before: before)
            if page.isEmpty { break }
            #expect(page.count <= 10)
            #expect(page.allSatisfy { $0.deviceID == 1 })
            seen += page.map(\.id)
            before = page.last?.id
            pages += 1
            try #require(pages < 10, "pagination does not end")
        }
        #expect(pages == 3)
        #expect(seen == ids.reversed())
        let middle = try store.events(deviceID: 1, limit: 2, before: ids[10])
        #expect(middle.map(\.id) == [ids[9], ids[8]])
        #expect(try store.events(deviceID: 1, limit: 0).isEmpty)
        #expect(try store.events(deviceID: 1, limit: -1).isEmpty)
        #expect(try store.events(deviceID: 3, limit: 10).isEmpty)
    }

    @Test func lastEventAndCountFilterByKind() throws {
        let store = try Store.inMemory()
        try store.appendEvent(StoreFixtures.event(1, kind: "created"))
        let recovery = try store.appendEvent(StoreFixtures.event(1, kind: "crash_recovery"))
        try store.appendEvent(StoreFixtures.event(1, kind: "recreate", outcome: "failed"))
        let stop = try store.appendEvent(StoreFixtures.event(1, kind: "stopped"))
        try store.appendEvent(StoreFixtures.event(2, kind: "crash_recovery"))

        #expect(try store.lastEvent(deviceID: 1) == stop)
        #expect(try store.lastEvent(deviceID: 1, kinds: ["crash_recovery", "manual"]) == recovery)
        #expect(try store.lastEvent(deviceID: 1, kinds: ["resize"]) == nil)
        #expect(try store.lastEvent(deviceID: 1, kinds: []) == nil)
        #expect(try store.eventCount(deviceID: 1) == 4)
        #expect(try store.eventCount(deviceID: 1, kinds: ["crash_recovery", "recreate", "manual"]) == 2)
        #expect(try store.eventCount(deviceID: 1, kinds: []) == 0)
        #expect(try store.eventCount(deviceID: 2) == 1)
    }

    @Test func eventsOutliveTheirDevice() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        try store.insertDevice(StoreFixtures.device(8))
        let created = try store.appendEvent(StoreFixtures.event(8, kind: "created"))
        let deleted = try store.write { transaction in
            try transaction.deleteDevice(id: 8)
            return try transaction.appendEvent(StoreFixtures.event(8, kind: "deleted"))
        }
        #expect(try store.device(id: 8) == nil)
        #expect(try store.events(deviceID: 8, limit: 10) == [deleted, created])
        // And the id can be reused without inheriting a foreign key problem.
        try store.insertDevice(StoreFixtures.device(8, name: "again"))
        #expect(try store.eventCount(deviceID: 8) == 2)
    }
}
