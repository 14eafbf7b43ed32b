import Foundation
@testable import Store
import Synchronization
import Testing
import TestSupport

@Suite("Readers run on their own threads while a writer writes")
struct ConcurrencyTests {
    @Test func readersSeeOnlyCommittedPrefixesWhileAWriterInserts() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        let writes = 150
        let readers = 4
        let readsPerReader = 150
        let failures = Mutex<[String]>([])
        let reads = Atomic<Int>(0)

        DispatchQueue.concurrentPerform(iterations: readers + 1) { thread in
            do {
                if thread == 0 {
                    for id in 0..<UInt32(writes) {
                        try store.write { transaction in
                            try transaction.insertDevice(StoreFixtures.device(id))
                            try transaction.appendEvent(StoreFixtures.event(id, kind: "created"))
                        }
                    }
                    return
                }
                var lastCount = 0
                for _ in 0..<readsPerReader {
                    let ids = try store.devices().map(\.id)
                    // The writer inserts 0, 1, 2, ... one per transaction: a consistent snapshot is a prefix.
                    if ids != Array(0..<UInt32(ids.count)) {
                        failures.withLock { $0.append("reader \(thread) saw \(ids)") }
                    }
                    if ids.count < lastCount {
                        failures.withLock { $0.append("reader \(thread) went back from \(lastCount) to \(ids.count)") }
                    }
                    lastCount = ids.count
                    // A device and its event were committed together.
                    if let newest = ids.last, try store.eventCount(deviceID: newest) != 1 {
                        failures.withLock { $0.append("reader \(thread): device \(newest) without its event") }
                    }
                    reads.add(1, ordering: .relaxed)
                }
            } catch {
                failures.withLock { $0.append("thread \(thread): \(error)") }
            }
        }

        #expect(failures.withLock { $0 } == [])
        #expect(reads.load(ordering: .relaxed) == readers * readsPerReader)
        #expect(try store.devices().count == writes)
        #expect(try store.scalar("SELECT count(*) FROM events") == "\(writes)")
    }

    @Test func concurrentWritersAreSerializedWithoutBusyErrors() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        // Two stores are two writer connections, as two processes would have: the busy timeout must absorb the
        // contention.
        let stores = [try StoreFixtures.open(path), try StoreFixtures.open(path)]
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            let store = stores[thread % 2]
            for index in 0..<50 {
                do {
                    try store.write { transaction in
                        let id = try transaction.freeDeviceID()
                        try transaction.insertDevice(StoreFixtures.device(id, name: "t\(thread)-\(index)"))
                    }
                } catch {
                    failures.withLock { $0.append("thread \(thread): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(try stores[0].devices().map(\.id) == Array(0..<200))
    }
}
