import DeviceModel
@testable import Engine
import Foundation
import Testing
import TestSupport

@Suite("Kernel: stop and delete leave nothing behind", .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelCleanupTests {
    @Test func noNodeThreadDescriptorOrMappingRemains() throws {
        let directory = KernelHarness.scratchDirectory()
        let path = try KernelHarness.backingFile(size: 32 << 20, in: directory)
        let engine = try Engine()
        _ = try Shell.run(["true"])  // Foundation's process machinery starts its own threads once.
        let descriptorsBefore = ProcessResources.openDescriptors

        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: 32 << 20, queues: 2,
                                                  queueDepth: 16))
        let id = device.id
        #expect(KernelHarness.waitFor(path: device.blockDevicePath, toExist: true))
        #expect(queueThreads(of: id).count == 2)
        #expect(try Shell.sh("dd if=\(device.blockDevicePath) of=/dev/null bs=64k count=64 iflag=direct").succeeded)

        try device.stop()
        try device.delete()
        #expect(KernelHarness.waitFor(path: "/dev/ublkb\(id)", toExist: false), "/dev/ublkb\(id) remains")
        #expect(KernelHarness.waitFor(path: "/dev/ublkc\(id)", toExist: false), "/dev/ublkc\(id) remains")
        #expect(queueThreads(of: id).isEmpty, "queue threads remain")
        #expect(ProcessResources.ublkMappings.isEmpty, "char device mappings remain")
        let added = ProcessResources.openDescriptors.filter { descriptorsBefore[$0.key] != $0.value }
        #expect(added.isEmpty, "descriptors left open: \(added)")
        #expect(throws: EngineError.self) { _ = try engine.control.deviceInfo(id) }
    }

    /// Queue threads name themselves `ublk<id>q<queue>`.
    func queueThreads(of id: UInt32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("ublk\(id)q") ? name : nil
        }
    }
}
