@testable import Daemon
import DeviceModel
import Foundation
@testable import Store
import Testing

@Suite("DeviceTable: the devices by id and in id order, in step")
struct DeviceTableTests {
    private func device(_ id: UInt32) -> ManagedDevice {
        ManagedDevice(record: DeviceRecord(
            id: id, definition: DeviceDefinition(name: "d\(id)", target: .null, sizeBytes: 1 << 20),
            desiredState: .running, lastError: nil, createdAt: Date(), updatedAt: Date()), state: .stopped)
    }

    @Test func orderFollowsEveryInsertReplaceAndRemove() {
        var table = DeviceTable()
        var expected: [UInt32: ManagedDevice] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<500 {
            let id = UInt32.random(in: 0..<40, using: &generator)
            if step % 3 == 2 {
                table[id] = nil
                expected[id] = nil
            } else {
                let made = device(id)
                table[id] = made
                expected[id] = made
            }
            #expect(table.ordered.map(\.id) == expected.keys.sorted(), "step \(step)")
            #expect(table.ordered.allSatisfy { table[$0.id] === $0 && expected[$0.id] === $0 })
            #expect(Set(table.ids) == Set(expected.keys))
        }
        table[99] = nil
        #expect(table.ordered.count == expected.count, "removing an absent id changes nothing")
    }
}
