import CLinux
import Dispatch
import Foundation
import Synchronization
@testable import Engine
import Testing
import UblkABI

@Suite("Starting without the partition scan where START_DEV would hold the device's lock for it")
struct PartitionScanTests {
    @Test func onlyKernelsThatScanInsideTheStart() {
        // GET_FEATURES of Debian's 6.12 and 7.3 kernels (ublk-protocol.md section 10).
        #expect(PartitionScan.holdsDeviceLock(offered: Features(rawValue: 0x1FE)))
        #expect(!PartitionScan.holdsDeviceLock(offered: Features(rawValue: 0x1F_FFFF)))
    }

    /// The queue thread lowers CAP_SYS_ADMIN for its fetches only: a thread already running keeps it meanwhile
    /// (one started meanwhile would inherit the lowered set), and the thread itself has it back afterwards.
    @Test func loweredForOneThreadAndOneCallOnly() throws {
        let before = try #require(ThreadCapability.isEffective(CAP_SYS_ADMIN) as Bool?)
        let other = Mutex<Bool?>(nil)
        let look = DispatchSemaphore(value: 0), looked = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            look.wait()
            other.withLock { $0 = ThreadCapability.isEffective(CAP_SYS_ADMIN) }
            looked.signal()
        }
        let own = ThreadCapability.without(CAP_SYS_ADMIN) { () -> Bool? in
            look.signal()
            looked.wait()
            return ThreadCapability.isEffective(CAP_SYS_ADMIN)
        }
        #expect(own == false)
        #expect(other.withLock { $0 } == before)
        #expect(ThreadCapability.isEffective(CAP_SYS_ADMIN) == before)
    }
}
