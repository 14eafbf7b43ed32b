import DeviceModel
import Testing

@Suite("Device definitions are refused before any kernel call when they cannot work")
struct DefinitionValidationTests {
    let gib: UInt64 = 1 << 30

    func definition(_ change: (inout DeviceDefinition) -> Void = { _ in }) -> DeviceDefinition {
        var definition = DeviceDefinition(name: "d", target: .file(path: "/srv/disk.img"), sizeBytes: gib, queues: 2,
                                          queueDepth: 64)
        change(&definition)
        return definition
    }

    func message(_ definition: DeviceDefinition, cpus: Int = 2) -> String? {
        do {
            try definition.validate(host: HostLimits(cpuCount: cpus, memoryBytes: 8 * gib))
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aSensibleDefinitionPasses() {
        #expect(message(definition()) == nil)
        #expect(message(definition { $0.blockSize = 4096 }) == nil)
        #expect(message(definition { $0.target = .memory; $0.sizeBytes = 64 << 20 }) == nil)
    }

    @Test func queuesAreBoundedByTheCPUCount() {
        #expect(message(definition { $0.queues = 0 })?.contains("queues") == true)
        #expect(message(definition { $0.queues = 3 }, cpus: 2)?.contains("between 1 and 2") == true)
        #expect(message(definition { $0.queues = 3 }, cpus: 4) == nil)
    }

    @Test func withoutAHostOnlyTheFormatBoundsQueues() throws {
        try definition { $0.queues = 300 }.validate(host: nil)
        #expect(throws: DefinitionError.self) { try definition { $0.queues = 0 }.validate(host: nil) }
    }

    @Test func batchIOServesEachQueueFromOneThread() {
        #expect(message(definition { $0.batchIO = true }) == nil)
        #expect(message(definition { $0.batchIO = true; $0.queueThreads = 2 }, cpus: 4)?.contains("batch_io") == true)
        #expect(message(definition { $0.batchIO = false; $0.queueThreads = 2 }, cpus: 4) == nil)
    }

    @Test func queueThreadsAreBoundedByTheCPUCountAndTheDepth() {
        #expect(message(definition { $0.queueThreads = 0 })?.contains("queue_threads") == true)
        #expect(message(definition { $0.queueThreads = 2 }, cpus: 2) == nil)
        #expect(message(definition { $0.queueThreads = 3 }, cpus: 2)?.contains("between 1 and 2") == true)
        #expect(message(definition { $0.queueThreads = 3; $0.queueDepth = 2 }, cpus: 8)?.contains("between 1 and 2")
                == true)
        #expect(message(definition { $0.queueThreads = 4 }, cpus: 8) == nil)
    }

    @Test func depthIsBoundedByTheDriver() {
        #expect(message(definition { $0.queueDepth = 0 })?.contains("queue_depth") == true)
        #expect(message(definition { $0.queueDepth = 4097 })?.contains("queue_depth") == true)
        #expect(message(definition { $0.queueDepth = 4096 }) == nil)
    }

    @Test func blockSizeIs512Or4096() {
        for bad in [0, 256, 1024, 2048, 8192] {
            #expect(message(definition { $0.blockSize = bad })?.contains("block_size") == true)
        }
    }

    @Test func sizeMustBePositiveAndBlockAligned() {
        #expect(message(definition { $0.sizeBytes = 0 })?.contains("greater than zero") == true)
        #expect(message(definition { $0.sizeBytes = 4096 + 512; $0.blockSize = 4096 })?.contains("multiple") == true)
        #expect(message(definition { $0.sizeBytes = 4096 + 512 }) == nil)
        #expect(message(definition { $0.sizeBytes = (1 << 60) + 512 })?.contains("at most") == true)
    }

    @Test func anUnknownSizeSkipsTheSizeRules() throws {
        try definition { $0.sizeBytes = 0 }.validate(host: nil, sizeKnown: false)
    }

    @Test func maxIOSizeIsPageGranularAndCapped() {
        #expect(message(definition { $0.maxIOBytes = 1000 }) != nil)
        #expect(message(definition { $0.maxIOBytes = 4096 + 512 }) != nil)
        #expect(message(definition { $0.maxIOBytes = DeviceDefinition.Limits.maxIOBytes + 4096 }) != nil)
        #expect(message(definition { $0.maxIOBytes = 128 * 1024 }) == nil)
    }

    @Test func memoryTargetsMayUseHalfTheRAM() {
        #expect(message(definition { $0.target = .memory; $0.sizeBytes = 5 * gib })?.contains("half") == true)
    }

    @Test func namesAndPathsAreChecked() {
        #expect(message(definition { $0.target = .file(path: "relative.img") })?.contains("absolute") == true)
        for bad in ["", "a b", "a/b", "dïsk", String(repeating: "a", count: 65)] {
            #expect(message(definition { $0.name = bad })?.contains("name") == true, "\(bad)")
        }
        #expect(message(definition { $0.name = "Disk_0.a-b" }) == nil)
    }
}
