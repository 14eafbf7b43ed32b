import Foundation
@testable import Store
import Testing
import TestSupport

@Suite("write(_:) is all or nothing")
struct TransactionTests {
    struct EngineSaidNo: Error, Equatable {}

    @Test func stepsCommitTogether() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        let inserted = try store.insertDevice(StoreFixtures.device(1, state: .creating))
        let (device, event) = try store.write { transaction in
            var running = inserted
            running.desiredState = .running
            let device = try transaction.updateDevice(running)
            let event = try transaction.appendEvent(StoreFixtures.event(1, kind: "created"))
            // The transaction reads its own writes.
            #expect(try transaction.device(id: 1)?.desiredState == .running)
            #expect(try transaction.eventCount(deviceID: 1) == 1)
            return (device, event)
        }
        #expect(try store.device(id: 1) == device)
        #expect(try store.events(deviceID: 1, limit: 5) == [event])
    }

    @Test func aCallerErrorRollsBackEveryStepAndComesOutUnchanged() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        let original = try store.insertDevice(StoreFixtures.device(1))
        #expect(throws: EngineSaidNo()) {
            try store.write { transaction in
                var changed = original
                changed.desiredState = .stopped
                try transaction.updateDevice(changed)
                try transaction.insertDevice(StoreFixtures.device(2))
                try transaction.appendEvent(StoreFixtures.event(1, kind: "stopped"))
                try transaction.deleteDevice(id: 1)
                throw EngineSaidNo()
            }
        }
        #expect(try store.devices() == [original])
        #expect(try store.eventCount(deviceID: 1) == 0)
        #expect(try store.scalar("SELECT count(*) FROM events") == "0")
    }

    @Test func aStoreErrorHalfwayRollsBackTheEarlierSteps() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(1, name: "taken"))
        #expect(throws: StoreError.nameTaken("taken")) {
            try store.write { transaction in
                try transaction.appendEvent(StoreFixtures.event(2, kind: "created"))
                try transaction.insertDevice(StoreFixtures.device(2))
                try transaction.insertDevice(StoreFixtures.device(3, name: "taken"))
            }
        }
        #expect(try store.devices().map(\.id) == [1])
        #expect(try store.eventCount(deviceID: 2) == 0)
    }

    @Test func freeIDTakenInsideATransactionIsInsertedAtomically() throws {
        let store = try Store.inMemory()
        try store.insertDevice(StoreFixtures.device(0))
        let id = try store.write { transaction in
            let id = try transaction.freeDeviceID(excluding: [1])
            try transaction.insertDevice(StoreFixtures.device(id))
            return id
        }
        #expect(id == 2)
        #expect(try store.devices().map(\.id) == [0, 2])
    }

    @Test func theStoreIsUsableAfterAFailedTransaction() throws {
        let store = try Store.inMemory()
        _ = try? store.write { _ in throw EngineSaidNo() }
        try store.insertDevice(StoreFixtures.device(1))
        #expect(try store.write { try $0.devices().count } == 1)
    }
}
