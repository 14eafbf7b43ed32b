import Glibc

/// What the machine that will run a device allows: queues and threads up to its CPU count, a memory device up to
/// half of its RAM.
public struct HostLimits: Sendable, Equatable {
    public var cpuCount: Int
    public var memoryBytes: UInt64

    public init(cpuCount: Int, memoryBytes: UInt64) {
        self.cpuCount = max(1, cpuCount)
        self.memoryBytes = memoryBytes
    }

    public static var current: HostLimits {
        HostLimits(
            cpuCount: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            memoryBytes: UInt64(max(0, sysconf(Int32(_SC_PHYS_PAGES)))) * UInt64(max(0, sysconf(Int32(_SC_PAGESIZE)))))
    }
}

extension DeviceDefinition {
    /// Every rule a definition must meet, in one place. Without `host` the rules that depend on the machine are
    /// left out (the API checks a request's shape before it knows where it runs); without `sizeKnown` the size
    /// rules, for a file device that takes its backing file's size.
    public func validate(host: HostLimits?, sizeKnown: Bool = true) throws(DefinitionError) {
        func fail(_ message: String) -> DefinitionError { DefinitionError(message) }
        guard Limits.nameLength.contains(name.count), name.unicodeScalars.allSatisfy(Self.nameCharacters.contains)
        else {
            throw fail("name must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        switch target {
        case .file(let path) where !path.hasPrefix("/"):
            throw fail("a file device needs an absolute \"path\", not \"\(path)\"")
        case .nbd(let export):
            if let problem = export.uriProblem { throw fail(problem) }
            let range = NBDExportDefinition.reconnectTimeoutRange
            guard range.contains(export.reconnectTimeoutSeconds) else {
                throw fail("reconnect_timeout must be between \(range.lowerBound) and \(range.upperBound) seconds, "
                           + "not \(export.reconnectTimeoutSeconds)")
            }
        default:
            break
        }
        guard blockSize == 512 || blockSize == 4096 else {
            throw fail("block_size must be 512 or 4096, not \(blockSize)")
        }
        if sizeKnown {
            guard sizeBytes > 0 else { throw fail("size must be greater than zero") }
            guard sizeBytes <= Limits.maxSizeBytes else {
                throw fail("size must be at most \(Limits.maxSizeBytes) bytes (1 EiB)")
            }
            guard sizeBytes % UInt64(blockSize) == 0 else {
                throw fail("size \(sizeBytes) is not a multiple of the block size \(blockSize)")
            }
        }
        let cpus = host?.cpuCount ?? Int.max
        guard queues >= 1 && queues <= cpus else {
            throw fail("queues must be between 1 and \(cpus) (the CPU count), not \(queues)")
        }
        guard (1...Limits.maxQueueDepth).contains(queueDepth) else {
            throw fail("queue_depth must be between 1 and \(Limits.maxQueueDepth), not \(queueDepth)")
        }
        let threads = min(cpus, queueDepth)
        guard queueThreads >= 1 && queueThreads <= threads else {
            throw fail("queue_threads must be between 1 and \(threads) (the CPU count, at most queue_depth), not "
                       + "\(queueThreads)")
        }
        if batchIO && queueThreads > 1 {
            throw fail("batch_io serves each queue from one thread: queue_threads must be 1, not \(queueThreads)")
        }
        guard maxIOBytes >= 4096, maxIOBytes <= Limits.maxIOBytes, maxIOBytes % 4096 == 0 else {
            throw fail("max_io_size must be a multiple of 4096 between 4096 and \(Limits.maxIOBytes)")
        }
        if case .memory = target, let host, sizeKnown, sizeBytes > host.memoryBytes / 2 {
            throw fail("a memory device may use at most half of the RAM (\(host.memoryBytes / 2) bytes)")
        }
    }

    static let nameCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars)
}
