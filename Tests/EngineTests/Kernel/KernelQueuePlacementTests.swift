import DeviceModel
import Engine
import Foundation
import Testing
import TestSupport

/// Queue threads follow the driver's queue affinity unless the device opts out (`pinQueues: false`).
@Suite("Kernel: queue placement", .serialized, .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelQueuePlacementTests {
    /// The CPUs each queue thread of device `id` may run on, by queue number, from /proc.
    static func allowedCPUs(device id: UInt32) throws -> [Int: String] {
        var found: [Int: String] = [:]
        for (name, task) in try KernelHarness.queueTasks(device: id) {
            guard let queue = Int(name.dropFirst("ublk\(id)q".count)) else { continue }
            found[queue] = try KernelHarness.statusField("Cpus_allowed_list", of: task) ?? ""
        }
        return found
    }

    @Test("pinned by default to one CPU per queue; unpinned threads keep the process's CPUs")
    func pinnedAndUnpinned() throws {
        // With fewer CPUs than two, both queues map to the one CPU and nothing tells the two cases apart.
        try #require(HostLimits.current.cpuCount >= 2, "needs two CPUs")
        let processCPUs = try Shell.sh("awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status").output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let engine = try Engine()
        let pinned = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .null, sizeBytes: 1 << 30, queues: 2, queueDepth: 16))
        let pinnedCPUs = try Self.allowedCPUs(device: pinned.id)
        try? pinned.stop()
        try? pinned.delete()
        let free = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .null, sizeBytes: 1 << 30, queues: 2, queueDepth: 16,
                                                pinQueues: false))
        let freeCPUs = try Self.allowedCPUs(device: free.id)
        try? free.stop()
        try? free.delete()
        print("queue placement: pinned \(pinnedCPUs), unpinned \(freeCPUs), process \(processCPUs)")
        #expect(pinnedCPUs.count == 2 && freeCPUs.count == 2)
        // blk-mq spreads two queues over two CPUs: each pinned thread gets a strict subset.
        #expect(pinnedCPUs.values.allSatisfy { $0 != processCPUs })
        #expect(freeCPUs.values.allSatisfy { $0 == processCPUs })
    }
}
