import DeviceModel
import Foundation
@testable import Store
import Testing
import TestSupport

@Suite("Device definitions: round trips and the errors callers branch on")
struct DeviceTests {
    @Test func insertedDeviceReadsBackEqualByIDAndName() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        var device = StoreFixtures.device(5)
        device.definition.target = .memory
        device.definition.readOnly = true
        device.definition.ioMode = .zeroCopy
        device.definition.pinQueues = false
        device.definition.queueThreads = 3
        device.definition.batchIO = true
        device.definition.recovery = .failIO
        device.madeBackingFile = true
        device.lastError = "queue 1: ENOMEM"
        device.desiredState = .creating
        device.definition.sizeBytes = UInt64(Int64.max)
        let stored = try store.insertDevice(device)
        #expect(stored == device)
        #expect(try store.device(id: 5) == device)
        #expect(try store.device(named: "disk5") == device)
        #expect(try store.device(id: 6) == nil)
        #expect(try store.device(named: "disk6") == nil)
    }

    @Test func columnsHoldReadableValues() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        try store.insertDevice(StoreFixtures.device(1))
        #expect(try store.scalar("SELECT created_at FROM devices") == "2026-11-26T01:02:03.456Z")
        #expect(try store.scalar("SELECT desired_state FROM devices") == "running")
        #expect(try store.scalar("SELECT typeof(read_only) || read_only FROM devices") == "integer0")
        #expect(try store.scalar("SELECT typeof(pin_queues) || pin_queues FROM devices") == "integer1")
        #expect(try store.scalar("SELECT typeof(size_bytes) || size_bytes FROM devices") == "integer1073741824")
    }

    @Test func insertedDatesAreReturnedAsStoredToTheMillisecond() throws {
        let store = try Store.inMemory()
        var device = StoreFixtures.device(1)
        device.createdAt = Date(timeIntervalSince1970: 1_700_000_000.123_456_7)
        device.updatedAt = device.createdAt
        let stored = try store.insertDevice(device)
        #expect(stored.createdAt == Date(timeIntervalSince1970: 1_700_000_000.123))
        #expect(try store.device(id: 1) == stored)
    }

    @Test func listIsOrderedByID() throws {
        let store = try Store.inMemory()
        for id: UInt32 in [9, 2, 1_048_575, 0, 4] {
            try store.insertDevice(StoreFixtures.device(id))
        }
        #expect(try store.devices().map(\.id) == [0, 2, 4, 9, 1_048_575])
    }

    @Test func updateReplacesTheRowAndStampsUpdatedAt() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        let original = try store.insertDevice(StoreFixtures.device(3))
        var changed = original
        changed.name = "renamed"
        changed.definition.sizeBytes = 2 << 30
        changed.desiredState = .stopped
        changed.lastError = "stopped by operator"
        let before = Date().addingTimeInterval(-0.002)
        let stored = try store.updateDevice(changed)
        #expect(stored.updatedAt >= before && stored.updatedAt <= Date().addingTimeInterval(0.002))
        #expect(stored.createdAt == original.createdAt)
        changed.updatedAt = stored.updatedAt
        #expect(stored == changed)
        #expect(try store.device(id: 3) == changed)
        #expect(try store.device(named: "disk3") == nil)
        #expect(try store.devices().count == 1)
    }

    @Test func deleteRemovesOnlyThatDevice() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1))
        try store.insertDevice(StoreFixtures.device(2))
        try store.deleteDevice(id: 1)
        #expect(try store.device(id: 1) == nil)
        #expect(try store.devices().map(\.id) == [2])
    }

    @Test func duplicateNameIsNameTaken() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1, name: "db"))
        #expect(throws: StoreError.nameTaken("db")) {
            try store.insertDevice(StoreFixtures.device(2, name: "db"))
        }
        #expect(try store.devices().map(\.id) == [1])
    }

    @Test func duplicateIDIsIDTaken() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1, name: "a"))
        #expect(throws: StoreError.idTaken(1)) {
            try store.insertDevice(StoreFixtures.device(1, name: "b"))
        }
        #expect(try store.device(id: 1)?.name == "a")
    }

    @Test func renamingOntoAnotherDevicesNameIsNameTaken() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1, name: "a"))
        var b = try store.insertDevice(StoreFixtures.device(2, name: "b"))
        b.name = "a"
        #expect(throws: StoreError.nameTaken("a")) {
            try store.updateDevice(b)
        }
        // Keeping its own name is not a conflict.
        b.name = "b"
        try store.updateDevice(b)
    }

    @Test func updateOrDeleteOfAMissingDeviceIsNotFound() throws {
        let store = try Store.inMemory()
        #expect(throws: StoreError.notFound(42)) {
            try store.updateDevice(StoreFixtures.device(42))
        }
        #expect(throws: StoreError.notFound(42)) {
            try store.deleteDevice(id: 42)
        }
        #expect(try store.devices().isEmpty)
    }

    @Test func freeDeviceIDSkipsUsedAndExcludedIDs() throws {
        let store = try Store.inMemory()
        #expect(try store.freeDeviceID() == 0)
        for id: UInt32 in [0, 1, 3] {
            try store.insertDevice(StoreFixtures.device(id))
        }
        #expect(try store.freeDeviceID() == 2)
        #expect(try store.freeDeviceID(excluding: [2]) == 4)
        #expect(try store.freeDeviceID(excluding: [2, 4, 5, 7]) == 6)
        try store.deleteDevice(id: 1)
        #expect(try store.freeDeviceID(excluding: [2]) == 1)
    }

    @Test func noFreeDeviceIDWhenEveryIDIsTaken() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(0))
        let everyOther = Set<UInt32>(1..<(1 << 20))
        #expect(throws: StoreError.noFreeDeviceID) {
            try store.freeDeviceID(excluding: everyOther)
        }
        #expect(try store.freeDeviceID(excluding: everyOther.subtracting([1_048_575])) == 1_048_575)
    }
}
