import DeviceModel
import Engine
import Foundation
import Testing
import TestSupport

@Suite("Kernel: file target", .serialized, .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelFileTargetTests {
    let mib: UInt64 = 1 << 20

    @Test("fio verify=crc32c, random 4k-128k mixed read/write, 2 queues x 64")
    func fioVerify() throws {
        let directory = KernelHarness.scratchDirectory()
        let size = 1024 * mib
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, queues: 2,
                                                  queueDepth: 64))
        defer { try? device.stop(); try? device.delete() }
        #expect(device.info.queueCount == 2)
        let seconds = ProcessInfo.processInfo.environment["TEST_FIO_SECONDS"] ?? "60"
        let job = try KernelHarness.fio([
            "--name=verify", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randrw", "--bsrange=4k-128k", "--iodepth=32", "--numjobs=1", "--size=\(size)",
            "--io_size=\(size)", "--runtime=\(seconds)", "--verify=crc32c", "--verify_fatal=1",
            "--verify_backlog=1024",
        ])
        print("file verify: \(job.summary), device I/O: \(device.ioDescription)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        #expect(job.write.ios > 0 && job.read.ios > 0)
        let perQueue = device.queueStatistics()
        #expect(perQueue.allSatisfy { $0.errors == 0 })
        #expect(perQueue.allSatisfy { $0.reads + $0.writes > 0 }, "both queues served I/O: \(perQueue)")
    }

    @Test("a file on tmpfs, copy mode: copied in the queue thread (no io-wq worker appears), fio verify=crc32c")
    func tmpfsInThread() throws {
        let directory = TemporaryDirectory(prefix: "ublkd-tmpfs", parent: "/dev/shm")
        let size = 128 * mib
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let target = try FileTarget(path: path, readOnly: false, logicalBlockSize: 512)
        #expect(target.memoryBacked, "/dev/shm is tmpfs")
        target.close()
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, queueDepth: 64,
                                                  ioMode: .copy))
        defer { try? device.stop(); try? device.delete() }
        let workers = { Int(try Shell.sh("grep -l '^iou-wrk' /proc/\(getpid())/task/*/comm 2>/dev/null | wc -l")
            .output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        let before = try workers()
        let job = try KernelHarness.fio([
            "--name=tmpfs", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randrw", "--bsrange=4k-128k", "--iodepth=32", "--size=\(size)", "--io_size=\(size)",
            "--verify=crc32c", "--verify_fatal=1", "--verify_state_save=0",
        ])
        let after = try workers()
        print("tmpfs in-thread: \(job.summary); io-wq workers of this process before \(before), after \(after)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        #expect(device.statistics().errors == 0 && device.statistics().writes > 0)
        // Idle workers of earlier tests may leave meanwhile; none may be added.
        #expect(before >= 0 && after <= before, "reads and writes went through io-wq workers")
    }

    @Test("ext4: files survive unmount and remount, and the backing file holds exactly the device's bytes")
    func ext4RoundTrip() throws {
        let directory = KernelHarness.scratchDirectory()
        let size = 128 * mib
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let mountPoint = directory.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, queues: 2,
                                                  queueDepth: 64))
        var stopped = false
        defer { if !stopped { try? device.stop(); try? device.delete() } }
        let dev = device.blockDevicePath

        try #require(try Shell.run(["mkfs.ext4", "-q", "-F", dev]).succeeded)
        try #require(try Shell.run(["mount", dev, mountPoint]).succeeded)
        let written = try Shell.sh("""
            set -e
            cd \(mountPoint)
            mkdir -p data
            for i in 1 2 3 4 5 6 7 8; do head -c $((i * 1048576 + 4096 * i)) /dev/urandom > data/file$i; done
            sync
            sha256sum data/* > ../sums
            cat ../sums
            """)
        try #require(written.succeeded, "\(written.output)")
        #expect(try Shell.run(["umount", mountPoint]).succeeded)
        try #require(try Shell.run(["mount", dev, mountPoint]).succeeded)
        let check = try Shell.sh("cd \(mountPoint) && sha256sum -c ../sums")
        #expect(check.succeeded, "\(check.output)")
        #expect(try Shell.run(["umount", mountPoint]).succeeded)
        let fsck = try Shell.run(["fsck.ext4", "-n", "-f", dev])
        #expect(fsck.succeeded, "\(fsck.output)")

        let throughDevice = try KernelHarness.sha256(dev)
        try device.stop()
        try device.delete()
        stopped = true
        let direct = try KernelHarness.sha256(path, bytes: size)
        #expect(throughDevice == direct, "the backing file differs from what the device served")
    }

    @Test("blkdiscard punches holes and blkdiscard -z zeroes, in the backing file")
    func discardAndWriteZeroes() throws {
        let directory = KernelHarness.scratchDirectory()
        let size = 16 * mib
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, queueDepth: 32))
        var stopped = false
        defer { if !stopped { try? device.stop(); try? device.delete() } }
        let dev = device.blockDevicePath
        let fill = try Shell.sh(
            "head -c \(size) /dev/zero | tr '\\000' '\\377' | dd of=\(dev) bs=1M oflag=direct iflag=fullblock 2>&1")
        try #require(fill.succeeded, "\(fill.output)")
        let allocatedBefore = try allocatedBytes(path)

        #expect(try Shell.run(["blkdiscard", "-o", "\(1 * mib)", "-l", "\(2 * mib)", dev]).succeeded)
        #expect(try Shell.run(["blkdiscard", "-z", "-o", "\(8 * mib)", "-l", "\(1 * mib)", dev]).succeeded)
        let statistics = device.statistics()
        #expect(statistics.discards > 0)
        #expect(statistics.writeZeroes > 0)
        #expect(statistics.errors == 0)
        try device.stop()
        try device.delete()
        stopped = true

        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(contents.count == Int(size))
        func all(_ range: Range<UInt64>, _ byte: UInt8) -> Bool {
            contents[Int(range.lowerBound)..<Int(range.upperBound)].allSatisfy { $0 == byte }
        }
        #expect(all(0..<mib, 0xFF))
        #expect(all(mib..<(3 * mib), 0x00), "discarded range reads zero")
        #expect(all((3 * mib)..<(8 * mib), 0xFF))
        #expect(all((8 * mib)..<(9 * mib), 0x00), "write-zeroes range reads zero")
        #expect(all((9 * mib)..<size, 0xFF))
        let allocatedAfter = try allocatedBytes(path)
        #expect(allocatedAfter <= allocatedBefore - 2 * mib, "the punched 2 MiB gave its blocks back")
    }

    @Test("a read-only device serves reads and refuses writes")
    func readOnly() throws {
        let directory = KernelHarness.scratchDirectory()
        let size = 16 * mib
        let path = directory.file("pattern.img")
        try #require(try Shell.sh("head -c \(size) /dev/urandom > \(path)").succeeded)
        let expected = try KernelHarness.sha256(path)
        let engine = try Engine()
        let device = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, readOnly: true))
        defer { try? device.stop(); try? device.delete() }
        let dev = device.blockDevicePath
        #expect(try Shell.run(["blockdev", "--getro", dev]).output.hasPrefix("1"))
        #expect(try KernelHarness.sha256(dev) == expected)
        let write = try Shell.sh("head -c 4096 /dev/zero | dd of=\(dev) bs=4096 oflag=direct 2>&1")
        #expect(!write.succeeded, "a write to a read-only device succeeded")
        #expect(write.output.contains("Operation not permitted") || write.output.contains("Read-only")
                || write.output.contains("Input/output error"), "\(write.output)")
        #expect(try KernelHarness.sha256(path) == expected, "the backing file changed")
    }

    @Test("a missing or too small backing file is refused before ADD_DEV")
    func badBackingFiles() throws {
        let directory = KernelHarness.scratchDirectory()
        let engine = try Engine()
        #expect(throws: EngineError.backingStore(path: directory.file("absent.img"), reason: "does not exist")) {
            _ = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: directory.file("absent.img")), sizeBytes: mib))
        }
        let small = try KernelHarness.backingFile(size: mib, in: directory)
        do {
            _ = try engine.create(id: nil, DeviceDefinition(name: "kernel-test", target: .file(path: small), sizeBytes: 2 * mib))
            Issue.record("a device larger than its backing file was created")
        } catch {
            guard case .backingStore(_, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason.contains("less than the device size"))
        }
        #expect(try Shell.sh("ls /dev/ublkb* 2>/dev/null | wc -l").output.hasPrefix("0"))
    }

    func allocatedBytes(_ path: String) throws -> UInt64 {
        let attributes = try Shell.run(["stat", "-c", "%b %B", path]).output.split(separator: " ")
        return UInt64(attributes[0])! * UInt64(attributes[1].trimmingCharacters(in: .whitespacesAndNewlines))!
    }
}
