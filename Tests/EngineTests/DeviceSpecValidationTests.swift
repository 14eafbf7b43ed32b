import Engine
import Testing
import UblkABI

@Suite("Device definitions are refused before any kernel call when they cannot work")
struct DeviceSpecValidationTests {
    let gib: UInt64 = 1 << 30

    func spec(_ change: (inout DeviceSpec) -> Void = { _ in }) -> DeviceSpec {
        var spec = DeviceSpec(target: .file(path: "/srv/disk.img"), sizeBytes: gib, queues: 2, queueDepth: 64)
        change(&spec)
        return spec
    }

    func message(_ spec: DeviceSpec, cpus: Int = 2) -> String? {
        do {
            try spec.validate(cpuCount: cpus, memoryBytes: 8 * gib)
            return nil
        } catch {
            if case .invalidConfiguration(let message) = error { return message }
            return "unexpected \(error)"
        }
    }

    @Test func aSensibleDefinitionPasses() {
        #expect(message(spec()) == nil)
        #expect(message(spec { $0.logicalBlockSize = 4096 }) == nil)
        #expect(message(spec { $0.target = .memory; $0.sizeBytes = 64 << 20 }) == nil)
    }

    @Test func queuesAreBoundedByTheCPUCount() {
        #expect(message(spec { $0.queues = 0 })?.contains("queues") == true)
        #expect(message(spec { $0.queues = 3 }, cpus: 2)?.contains("between 1 and 2") == true)
        #expect(message(spec { $0.queues = 3 }, cpus: 4) == nil)
    }

    @Test func batchIOServesEachQueueFromOneThread() {
        #expect(message(spec { $0.batchIO = true }) == nil)
        #expect(message(spec { $0.batchIO = true; $0.queueThreads = 2 }, cpus: 4)?.contains("batch_io") == true)
        #expect(message(spec { $0.batchIO = false; $0.queueThreads = 2 }, cpus: 4) == nil)
    }

    @Test func queueThreadsAreBoundedByTheCPUCountAndTheDepth() {
        #expect(message(spec { $0.queueThreads = 0 })?.contains("queue_threads") == true)
        #expect(message(spec { $0.queueThreads = 2 }, cpus: 2) == nil)
        #expect(message(spec { $0.queueThreads = 3 }, cpus: 2)?.contains("between 1 and 2") == true)
        #expect(message(spec { $0.queueThreads = 3; $0.queueDepth = 2 }, cpus: 8)?.contains("between 1 and 2") == true)
        #expect(message(spec { $0.queueThreads = 4 }, cpus: 8) == nil)
    }

    @Test func depthIsBoundedByTheDriver() {
        #expect(message(spec { $0.queueDepth = 0 })?.contains("queue_depth") == true)
        #expect(message(spec { $0.queueDepth = 4097 })?.contains("queue_depth") == true)
        #expect(message(spec { $0.queueDepth = 4096 }) == nil)
    }

    @Test func blockSizeIs512Or4096() {
        for bad in [0, 256, 1024, 2048, 8192] {
            #expect(message(spec { $0.logicalBlockSize = bad })?.contains("block_size") == true)
        }
    }

    @Test func sizeMustBePositiveAndBlockAligned() {
        #expect(message(spec { $0.sizeBytes = 0 })?.contains("greater than zero") == true)
        #expect(message(spec { $0.sizeBytes = 4096 + 512; $0.logicalBlockSize = 4096 })?.contains("multiple") == true)
        #expect(message(spec { $0.sizeBytes = 4096 + 512 }) == nil)
    }

    @Test func maxIOSizeIsPageGranularAndCapped() {
        #expect(message(spec { $0.maxIOBytes = 1000 }) != nil)
        #expect(message(spec { $0.maxIOBytes = 4096 + 512 }) != nil)
        #expect(message(spec { $0.maxIOBytes = DeviceSpec.maxIOBytesLimit + 4096 }) != nil)
        #expect(message(spec { $0.maxIOBytes = 128 * 1024 }) == nil)
    }

    @Test func memoryTargetsMayUseHalfTheRAM() {
        #expect(message(spec { $0.target = .memory; $0.sizeBytes = 5 * gib })?.contains("half") == true)
    }

    @Test func pathsAndIdsAreChecked() {
        #expect(message(spec { $0.target = .file(path: "relative.img") })?.contains("absolute") == true)
        #expect(message(spec { $0.deviceID = 1 << 20 })?.contains("out of range") == true)
        #expect(message(spec { $0.deviceID = 7 }) == nil)
    }

    @Test func recoveryModesAskForTheirFlags() {
        #expect(RecoveryMode.none.features == [])
        #expect(RecoveryMode.reissue.features == [.userRecovery, .userRecoveryReissue])
        #expect(RecoveryMode.failIO.features == [.userRecovery, .userRecoveryFailIO])
        #expect(RecoveryMode(rawValue: "fail_io") == .failIO)
    }
}
