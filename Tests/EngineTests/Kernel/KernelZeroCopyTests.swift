import DeviceModel
import Engine
import Foundation
import Testing
import TestSupport
import UblkABI

/// Zero copy (`UBLK_F_AUTO_BUF_REG`): the file target reads and writes the requests' own pages with fixed-buffer
/// io_uring operations. Only where the driver grants it; elsewhere a zero-copy create is refused by name.
@Suite("Kernel: zero copy", .serialized, .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelZeroCopyTests {
    let mib: UInt64 = 1 << 20

    @Test("fio verify=crc32c through a zero-copy file device, or a clear refusal where the kernel lacks it")
    func zeroCopyFileVerify() throws {
        let directory = KernelHarness.scratchDirectory()
        let size = 512 * mib
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let engine = try Engine()
        let spec = DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, queues: 2, queueDepth: 64,
                              ioMode: .zeroCopy)
        guard engine.features.contains(.autoBufferRegistration) else {
            #expect(throws: EngineError.featureUnavailable(.autoBufferRegistration,
                                                           reason: "io_mode \"zero_copy\" needs it")) {
                _ = try engine.create(id: nil, spec)
            }
            return
        }
        let device = try engine.create(id: nil, spec)
        defer { try? device.stop(); try? device.delete() }
        #expect(device.ioMode == .zeroCopy)
        let job = try KernelHarness.fio([
            "--name=zerocopy", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randrw", "--bsrange=4k-128k", "--iodepth=32", "--size=\(size)", "--io_size=\(size)",
            "--verify=crc32c", "--verify_fatal=1", "--verify_state_save=0",
        ])
        print("zero copy verify: \(job.summary)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        #expect(device.statistics().errors == 0)
    }

    @Test func memoryTargetRefusesZeroCopy() throws {
        let engine = try Engine()
        #expect(throws: EngineError.self) {
            _ = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .memory, sizeBytes: 16 * mib, ioMode: .zeroCopy))
        }
    }
}
