import Glibc

extension DeviceSpec {
    /// Refuses definitions that cannot work, before any kernel call. `cpuCount` bounds the queue count;
    /// `memoryBytes` bounds a memory target.
    public func validate(cpuCount: Int = Self.onlineCPUCount, memoryBytes: UInt64 = Self.physicalMemoryBytes)
        throws(EngineError)
    {
        func fail(_ message: String) -> EngineError { .invalidConfiguration(message) }
        if let deviceID, deviceID > Self.maxDeviceID {
            throw fail("device id \(deviceID) is out of range (0...\(Self.maxDeviceID))")
        }
        guard logicalBlockSize == 512 || logicalBlockSize == 4096 else {
            throw fail("block_size must be 512 or 4096, not \(logicalBlockSize)")
        }
        guard (1...max(1, cpuCount)).contains(queues) else {
            throw fail("queues must be between 1 and \(max(1, cpuCount)) (the CPU count), not \(queues)")
        }
        guard (1...Self.maxQueueDepth).contains(queueDepth) else {
            throw fail("queue_depth must be between 1 and \(Self.maxQueueDepth), not \(queueDepth)")
        }
        guard (1...max(1, min(cpuCount, queueDepth))).contains(queueThreads) else {
            throw fail("queue_threads must be between 1 and \(max(1, min(cpuCount, queueDepth))) (the CPU count, at "
                       + "most queue_depth), not \(queueThreads)")
        }
        if batchIO && queueThreads > 1 {
            throw fail("batch_io serves each queue from one thread: queue_threads must be 1, not \(queueThreads)")
        }
        guard maxIOBytes >= 4096, maxIOBytes <= Self.maxIOBytesLimit, maxIOBytes % 4096 == 0 else {
            throw fail("max_io_size must be a multiple of 4096 between 4096 and \(Self.maxIOBytesLimit)")
        }
        guard sizeBytes > 0 else { throw fail("size must be greater than zero") }
        guard sizeBytes % UInt64(logicalBlockSize) == 0 else {
            throw fail("size \(sizeBytes) is not a multiple of the block size \(logicalBlockSize)")
        }
        if case .memory = target, sizeBytes > memoryBytes / 2 {
            throw fail("a memory device may use at most half of the RAM (\(memoryBytes / 2) bytes)")
        }
        if case .file(let path) = target, !path.hasPrefix("/") {
            throw fail("path must be absolute, not \(path)")
        }
    }

    public static var onlineCPUCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public static var physicalMemoryBytes: UInt64 {
        UInt64(max(0, sysconf(Int32(_SC_PHYS_PAGES)))) * UInt64(max(0, sysconf(Int32(_SC_PAGESIZE))))
    }
}
