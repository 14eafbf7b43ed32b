import DeviceModel
import Engine
import Foundation
import Testing
import TestSupport
import UblkABI

/// The commit linked behind the backing I/O (`Disposition.linked`): one `io_uring_enter` per request at QD1, data
/// intact in every io_mode, and a backing read that falls short (a file cut shorter under the device) breaks the
/// link and is finished from user space: the part before the end reads right, the rest fails with EIO, nothing
/// hangs.
@Suite("Kernel: linked commit", .serialized, .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelLinkedCommitTests {
    static var modes: [IOModePreference] {
        guard let engine = try? Engine() else { return [.copy] }
        return engine.features.contains(.autoBufferRegistration) ? [.copy, .zeroCopy] : [.copy]
    }

    @Test("fio verify through a file whose size is no multiple of the requests, then one enter per request at QD1",
          arguments: modes)
    func verifyAndOneEnterPerRequest(mode: IOModePreference) throws {
        let directory = KernelHarness.scratchDirectory()
        // 64 MiB and 2.5 KiB: the last requests of the device are shorter than the others.
        let size: UInt64 = (64 << 20) + 2560
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(
            name: "kernel-test", target: .file(path: path), sizeBytes: size, queueDepth: 64, ioMode: mode))
        defer { try? device.stop(); try? device.delete() }
        let job = try KernelHarness.fio([
            "--name=linked", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randrw", "--bsrange=512-128k", "--blockalign=512", "--iodepth=32", "--size=\(size)",
            "--io_size=\(2 * size)", "--verify=crc32c", "--verify_fatal=1", "--verify_state_save=0",
        ])
        print("linked commit, \(mode.rawValue): \(job.summary)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        #expect(device.statistics().errors == 0)

        // QD1: the kernel commits behind each read, so the queue enters the ring once per request (it was two).
        let before = device.statistics()
        let qd1 = try KernelHarness.fio([
            "--name=qd1", "--filename=\(device.blockDevicePath)", "--ioengine=psync", "--direct=1",
            "--rw=randread", "--bs=4k", "--size=\(size / 4096 * 4096)", "--io_size=16m",
        ])
        #expect(qd1.succeeded, "\(qd1.raw.suffix(2000))")
        let after = device.statistics()
        let requests = Double(after.reads - before.reads)
        let enters = Double(after.ringEnters - before.ringEnters)
        print("linked commit, \(mode.rawValue): \(Int(requests)) reads at QD1, \(enters / requests) enters per read")
        #expect(requests >= 4096)
        #expect(enters / requests < 1.25, "a QD1 read costs \(enters / requests) io_uring_enter calls")
    }

    @Test("a backing file cut shorter under the device: the read across its end fails with EIO, the rest reads right",
          arguments: modes)
    func shortReadAtTheEnd(mode: IOModePreference) throws {
        let directory = KernelHarness.scratchDirectory()
        let size: UInt64 = 8 << 20
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let pattern = directory.file("pattern")
        try #require(try Shell.sh("head -c \(size) /dev/urandom > \(pattern)").succeeded)
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(
            name: "kernel-test", target: .file(path: path), sizeBytes: size, queueDepth: 16, ioMode: mode))
        defer { try? device.stop(); try? device.delete() }
        let dev = device.blockDevicePath
        try #require(try Shell.sh("dd if=\(pattern) of=\(dev) bs=1M oflag=direct status=none").succeeded)
        // 3 KiB short of the end: the last 4 KiB block reads 1 KiB, then nothing.
        try #require(truncate(path, off_t(size - 3072)) == 0)
        let tail = try Shell.sh("dd if=\(dev) of=/dev/null bs=4k count=1 skip=\(size / 4096 - 1) iflag=direct 2>&1")
        #expect(!tail.succeeded && tail.output.contains("Input/output error"), "\(tail.output)")
        let before = try Shell.run(["bash", "-c", """
            cmp <(dd if=\(dev) bs=4k count=\(size / 4096 - 1) iflag=direct status=none) \
                <(head -c \(size - 4096) \(pattern))
            """])
        #expect(before.succeeded, "the data before the end: \(before.output)")
        #expect(device.statistics().errors >= 1)
    }
}
