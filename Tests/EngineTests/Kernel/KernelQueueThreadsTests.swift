import DeviceModel
import Engine
import Foundation
import Testing
import TestSupport
import UblkABI

/// Several threads per queue (`UBLK_F_PER_IO_DAEMON`): each thread fetches and commits only its own tags. Where
/// the driver lacks the feature the create is refused by name, before any kernel device exists.
@Suite("Kernel: threads per queue", .serialized, .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelQueueThreadsTests {
    let mib: UInt64 = 1 << 20

    /// Voluntary context switches of each thread of device `id`'s queues, by thread name: a thread that never
    /// served a request stays blocked in its first `io_uring_enter`.
    static func switchesByThread(device id: UInt32) throws -> [String: Int] {
        var found: [String: Int] = [:]
        for (name, task) in try KernelHarness.queueTasks(device: id) {
            found[name] = try KernelHarness.statusField("voluntary_ctxt_switches", of: task).flatMap { Int($0) } ?? -1
        }
        return found
    }

    @Test("fio verify=crc32c through 2 queues x 2 threads in each io_mode, or a refusal naming PER_IO_DAEMON",
          arguments: [IOModePreference.copy, .zeroCopy])
    func twoThreadsPerQueueVerify(mode: IOModePreference) throws {
        let directory = KernelHarness.scratchDirectory()
        let size = 256 * mib
        let path = try KernelHarness.backingFile(size: size, in: directory)
        let engine = try Engine()
        let spec = DeviceDefinition(name: "kernel-test", target: .file(path: path), sizeBytes: size, queues: 2, queueDepth: 64, ioMode: mode,
                              queueThreads: 2)
        guard engine.features.contains(.perIODaemon) else {
            let before = try Shell.sh("ls /sys/class/ublk-char 2>/dev/null | sort").output
            #expect(throws: EngineError.featureUnavailable(
                .perIODaemon, reason: "queue_threads above 1 needs it (kernel 6.16 or newer)")) {
                _ = try engine.create(id: nil, spec)
            }
            #expect(try Shell.sh("ls /sys/class/ublk-char 2>/dev/null | sort").output == before)
            return
        }
        if mode == .zeroCopy && !engine.features.contains(.autoBufferRegistration) { return }
        let device = try engine.create(id: nil, spec)
        defer { try? device.stop(); try? device.delete() }
        let idle = try Self.switchesByThread(device: device.id)
        #expect(idle.keys.sorted() == ["ublk\(device.id)q0t0", "ublk\(device.id)q0t1", "ublk\(device.id)q1t0",
                                       "ublk\(device.id)q1t1"])
        let job = try KernelHarness.fio([
            "--name=threads", "--filename=\(device.blockDevicePath)", "--ioengine=io_uring", "--direct=1",
            "--rw=randrw", "--bsrange=4k-128k", "--iodepth=32", "--numjobs=2", "--size=\(size / 2)",
            "--offset_increment=\(size / 2)", "--io_size=\(size / 2)", "--verify=crc32c", "--verify_fatal=1",
            "--verify_state_save=0", "--group_reporting",
        ])
        let busy = try Self.switchesByThread(device: device.id)
        print("threads per queue (\(mode.rawValue)): \(job.summary); switches idle \(idle), after \(busy)")
        #expect(job.succeeded, "\(job.raw.suffix(2000))")
        #expect(device.statistics().errors == 0)
        // At depth 32 a queue that gets requests has more than one tag busy, and the tags interleave across its
        // threads: in every queue that served, both threads did.
        let served = Set(busy.filter { name, count in count > (idle[name] ?? 0) + 10 }.keys)
        let queuesServed = Set(served.map { $0.dropLast(2) })
        #expect(!queuesServed.isEmpty)
        for queue in queuesServed {
            #expect(served.contains("\(queue)t0") && served.contains("\(queue)t1"), "threads that served: \(served)")
        }
        #expect(device.queueStatistics().count == 2)
    }
}
