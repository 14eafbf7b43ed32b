import DeviceModel
import Engine
import Foundation
import Testing
import TestSupport

@Suite("Kernel: null and memory targets", .serialized, .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelOtherTargetsTests {
    @Test("null: fio random 4k read/write runs without error, and the counters match fio")
    func nullTarget() throws {
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .null, sizeBytes: 1 << 30, queueDepth: 64))
        defer { try? device.stop(); try? device.delete() }
        // The block layer may merge two adjacent random writes into one request; counting is exact without it.
        try #require(try Shell.sh("echo 2 > /sys/block/ublkb\(device.id)/queue/nomerges").succeeded)
        let before = device.statistics()
        let job = try KernelHarness.fio([
            "--name=null", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randrw", "--bs=4k", "--iodepth=32", "--runtime=5", "--time_based",
        ])
        print("null: \(job.summary)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        let statistics = device.statistics()
        #expect(statistics.errors == 0)
        // 4k requests reach the driver unsplit and unmerged: every fio I/O is one request (udev may read too).
        #expect(statistics.writes - before.writes == UInt64(job.write.ios))
        #expect(statistics.writeBytes - before.writeBytes == UInt64(job.write.bytes))
        #expect(statistics.reads - before.reads >= UInt64(job.read.ios))
        // Each enter waits for at least one completion, and a null request brings exactly one (its fetch): the
        // loop can never enter the kernel more often than it serves requests.
        let served = (statistics.reads + statistics.writes) - (before.reads + before.writes)
        let enters = statistics.ringEnters - before.ringEnters
        print("null: \(enters) ring enters for \(served) requests")
        #expect(enters > 0)
        #expect(enters <= served)
    }

    @Test("memory: what was written is read back (fio verify=crc32c)")
    func memoryTarget() throws {
        let engine = try Engine()
        let size: UInt64 = 128 << 20
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .memory, sizeBytes: size, queues: 2, queueDepth: 32))
        defer { try? device.stop(); try? device.delete() }
        let job = try KernelHarness.fio([
            "--name=memory", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randwrite", "--bsrange=4k-64k", "--iodepth=16", "--size=\(size)", "--verify=crc32c",
            "--verify_fatal=1",
        ])
        print("memory: \(job.summary)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        #expect(job.read.bytes > 0, "fio read the data back to verify it")
        #expect(device.statistics().errors == 0)
    }
}
