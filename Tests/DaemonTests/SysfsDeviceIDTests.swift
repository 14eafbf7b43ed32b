@testable import Daemon
import Testing

@Suite("KernelInventory: device ids from the names in /sys/class/ublk-char")
struct SysfsDeviceIDTests {
    static let names: [(String, UInt32?)] = [
        ("ublkc0", 0), ("ublkc1234", 1234), (".", nil), ("..", nil), ("ublkb3", nil), ("ublkc", nil), ("ublkcx", nil),
    ]

    @Test(arguments: names)
    func entryNameGivesTheIdOrNothing(name: String, id: UInt32?) {
        // As readdir leaves it: NUL-terminated, with whatever the buffer held after the NUL.
        let entry = Array(name.utf8) + [0, UInt8(ascii: "7")]
        #expect(entry.withUnsafeBytes { KernelInventory.deviceID(entryName: $0) } == id)
    }
}
