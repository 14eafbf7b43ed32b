import Foundation
@testable import Store
import Testing
import TestSupport

@Suite("Bad data is an error, never a crash")
struct BadDataTests {
    @Test func unreadableTimestampIsADatabaseError() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1))
        try store.executeRaw("UPDATE devices SET updated_at = 'yesterday' WHERE id = 1")
        #expect {
            try store.device(id: 1)
        } throws: { error in
            guard case .database(let message) = error as? StoreError else { return false }
            return message.contains("devices.updated_at") && message.contains("yesterday")
        }
        #expect(throws: StoreError.self) { try store.devices() }
    }

    @Test(arguments: [
        ("size_bytes", "'big'"), ("size_bytes", "-5"), ("size_bytes", "1.5"), ("queue_depth", "'12abc'"),
        ("read_only", "x'01'"), ("max_io_bytes", "'lots'"),
    ])
    func nonIntegerInAnIntegerColumnIsADatabaseError(column: String, value: String) throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1))
        // SQLite keeps text in an INTEGER column, and GRDB alone would read 'big' as 0. The CHECKs are lifted
        // the way a hand edit or another program might.
        try store.executeRaw("""
            PRAGMA ignore_check_constraints = ON;
            UPDATE devices SET \(column) = \(value);
            PRAGMA ignore_check_constraints = OFF;
            """)
        #expect {
            try store.devices()
        } throws: { error in
            guard case .database(let message) = error as? StoreError else { return false }
            return message.contains("devices.\(column)")
        }
    }

    @Test func unknownDesiredStateIsADatabaseError() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1))
        // The schema's CHECK would refuse it; a hand edit (or a newer ublkd's value) might not.
        try store.executeRaw("""
            PRAGMA ignore_check_constraints = ON;
            UPDATE devices SET desired_state = 'paused' WHERE id = 1;
            PRAGMA ignore_check_constraints = OFF;
            """)
        #expect {
            try store.device(id: 1)
        } throws: { error in
            guard case .database(let message) = error as? StoreError else { return false }
            return message.contains("paused")
        }
    }

    @Test func impossibleEventTimestampIsADatabaseError() throws {
        let store = try Store.inMemory()
        try store.appendEvent(StoreFixtures.event(1))
        try store.executeRaw("UPDATE events SET finished_at = '2026-13-01T00:00:00Z'")
        #expect(throws: StoreError.self) { try store.events(deviceID: 1, limit: 10) }
        #expect(throws: StoreError.self) { try store.lastEvent(deviceID: 1) }
        #expect(try store.eventCount(deviceID: 1) == 1, "counting does not decode")
    }

    @Test func sizeBeyondInt64IsRefusedBeforeSQLite() throws {
        let store = try Store.inMemory()
        var device = StoreFixtures.device(1)
        device.definition.sizeBytes = UInt64(Int64.max) + 1
        #expect {
            try store.insertDevice(device)
        } throws: { error in
            guard case .invalidRecord = error as? StoreError else { return false }
            return true
        }
        #expect(try store.devices().isEmpty)
    }

    @Test func unrepresentableDatesAreRefused() throws {
        let store = try Store.inMemory()
        for date in [Date.distantPast, Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: 1e15)] {
            var device = StoreFixtures.device(1)
            device.createdAt = date
            #expect(throws: StoreError.self) { try store.insertDevice(device) }
        }
        var event = StoreFixtures.event(1)
        event.finishedAt = Date(timeIntervalSince1970: .nan)
        #expect(throws: StoreError.self) { try store.appendEvent(event) }
        #expect(try store.devices().isEmpty)
        #expect(try store.eventCount(deviceID: 1) == 0)
    }

    @Test func schemaChecksBecomeInvalidRecord() throws {
        let store = try Store.inMemory()
        var device = StoreFixtures.device(1)
        device.definition.blockSize = 1024
        #expect {
            try store.insertDevice(device)
        } throws: { error in
            guard case .invalidRecord(let message) = error as? StoreError else { return false }
            return message.contains("CHECK")
        }
        device = StoreFixtures.device(1 << 20)
        #expect(throws: StoreError.self) { try store.insertDevice(device) }
        var event = StoreFixtures.event(1)
        event.outcome = "maybe"
        #expect {
            try store.appendEvent(event)
        } throws: { error in
            guard case .invalidRecord = error as? StoreError else { return false }
            return true
        }
    }
}
