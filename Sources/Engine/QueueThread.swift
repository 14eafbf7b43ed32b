import CLinux
import Dispatch
import Glibc
import Logging
import SystemPackage
import Synchronization
import UblkABI
import URing

/// What the device needs of a queue, whatever its target type and command model.
protocol QueueControl: AnyObject, Sendable {
    var queueID: Int { get }
    var counters: QueueCounters { get }
    /// Starts the thread and waits until it has fetched every tag (or failed to).
    func start() throws(EngineError)
    /// Makes the thread leave at once, abandoning its requests to the driver (recovery takes them over).
    func requestExit()
    /// Leaves like `requestExit`, for a process about to exit (a hand-over to the next server): the thread's own
    /// exit, not the queue, ends its ring (see `QueueThread.handOver`).
    func handOver()
    /// Waits for the thread to end.
    func join()
    /// Whether the thread has ended (its loop is over), without waiting.
    var hasEnded: Bool { get }
}

/// How a queue tells its completions apart: the kind above bit 16; below it the tag (ublk command, backing I/O), a
/// commit array's slot (batch COMMIT) or a fetch command's index (batch FETCH).
enum CompletionKind: UInt64 {
    /// Per-tag model: FETCH or COMMIT_AND_FETCH.
    case ublkCommand = 0
    case backingIO = 1
    case wake = 2
    /// Batch model: PREP_IO_CMDS, COMMIT_IO_CMDS, FETCH_IO_CMDS.
    case prepare = 3
    case commit = 4
    case fetch = 5
    /// A target's own submission (an NBD socket's poll, a reconnect timer); the low 16 bits are the target's.
    case targetEvent = 6
    /// Per-tag model: a COMMIT_AND_FETCH linked behind the request's backing operation (`Disposition.linked`).
    case linkedCommit = 7

    @inline(__always) func userData(_ low: Int) -> UInt64 { rawValue << 16 | UInt64(low) }
}

/// What both command models share: one dedicated thread per ublk queue owning its ring, its descriptor window and
/// its buffers, started and stopped the same way, counting its work the same way. The per-tag model (`Queue`) and
/// the batch model (`BatchQueue`) differ only in how they talk to the driver, in `run()`.
class QueueThread: QueueControl, @unchecked Sendable {
    // @unchecked: after start(), the mutable state below belongs to the queue thread alone; start() and join()
    // hand it over and back through the semaphore and pthread_join, which order the accesses.
    let queueID: Int
    /// The whole queue's depth.
    let depth: Int
    /// The tags this thread serves (all of them, unless the per-tag model splits a queue among threads).
    let tags: TagShare
    let deviceID: UInt32
    let charDevice: Int32
    let bufferBytes: Int
    /// `UBLK_F_AUTO_BUF_REG`: the driver installs each request's pages in the ring's buffer table (slot = tag)
    /// and the queue owns no data buffers at all.
    let zeroCopy: Bool
    let ioctlEncoded: Bool
    /// See `PartitionScan`: the fetches go to the driver without CAP_SYS_ADMIN.
    let fetchesUnprivileged: Bool
    let cpus: [Int]
    let counters = QueueCounters()
    let logger: Logger

    private(set) var wakeDescriptor: Int32
    private let ended = Atomic(false)
    private let handingOver = Atomic(false)
    var hasEnded: Bool { ended.load(ordering: .acquiring) }
    private let ready = DispatchSemaphore(value: 0)
    private var setupError: EngineError?
    private var thread: pthread_t?

    init(queueID: Int, tags: TagShare, deviceID: UInt32, charDevice: Int32, bufferBytes: Int, zeroCopy: Bool,
         ioctlEncoded: Bool, fetchesUnprivileged: Bool, cpus: [Int], logger: Logger) throws(EngineError) {
        self.queueID = queueID
        self.depth = tags.depth
        self.tags = tags
        self.deviceID = deviceID
        self.charDevice = charDevice
        self.bufferBytes = bufferBytes
        self.zeroCopy = zeroCopy
        self.ioctlEncoded = ioctlEncoded
        self.fetchesUnprivileged = fetchesUnprivileged
        self.cpus = cpus
        var logger = logger
        logger[metadataKey: "ublk.queue"] = "\(queueID)"
        self.logger = logger
        let wake = eventfd(0, Int32(EFD_CLOEXEC))
        guard wake >= 0 else { throw .system("eventfd", errno: Errno(rawValue: errno)) }
        wakeDescriptor = wake
    }

    deinit { if wakeDescriptor >= 0 { close(wakeDescriptor) } }

    func start() throws(EngineError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, queueThreadEntry, context)
        guard rc == 0 else {
            Unmanaged<QueueThread>.fromOpaque(context).release()
            throw .system("pthread_create for queue \(queueID)", errno: Errno(rawValue: rc))
        }
        self.thread = thread
        ready.wait()
        if let setupError { throw setupError }
    }

    func requestExit() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    /// The ring, its buffers and its mappings stay as they are when the thread leaves, until the process exits.
    /// A queue that closes its own ring while its thread lives races the driver (6.12): a request the driver hands
    /// to the dying ring in that window, as task work the thread no longer runs, is neither aborted (the thread is
    /// not exiting) nor ever committed, and the driver's quiesce then waits for it for good, holding the device's
    /// lock, so the next server can neither recover nor delete the device. When the thread has exited first, as
    /// when a server crashes, the driver sees its daemon dying and gives every such request back.
    func handOver() {
        handingOver.store(true, ordering: .releasing)
        requestExit()
    }

    /// Whether `handOver` asked the thread to leave its resources to the process's exit.
    var keepsResourcesForExit: Bool { handingOver.load(ordering: .acquiring) }

    /// After this, the queue holds no thread and no descriptor.
    func join() {
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
        if wakeDescriptor >= 0 {
            close(wakeDescriptor)
            wakeDescriptor = -1
        }
    }

    func markEnded() { ended.store(true, ordering: .releasing) }

    /// The thread's body; the command models override it.
    func run() {
        preconditionFailure("QueueThread.run must be overridden")
    }

    // MARK: for the command models, on the queue thread

    /// Setup failed: start() throws `error`.
    func fail(_ error: EngineError) {
        setupError = error
        ready.signal()
    }

    /// Setup done, every tag handed to the driver: start() returns.
    func signalReady() {
        ready.signal()
    }

    /// Submits what hands the driver this thread's tags. The driver counts a queue as privileged when the thread
    /// that completes its fetches holds CAP_SYS_ADMIN at that moment; without it, START_DEV skips its partition
    /// scan. Capabilities are per thread, so the rest of the process keeps them, and this thread gets its back.
    func submitFetches(_ ring: borrowing Ring) throws(Errno) {
        guard fetchesUnprivileged else {
            _ = try ring.submit()
            return
        }
        _ = try ThreadCapability.without(CAP_SYS_ADMIN) { () throws(Errno) in try ring.submit() }
    }

    /// Writes from this thread may be what frees memory under pressure: never throttle them for reclaim.
    func prepareThread() {
        _ = clinux_prctl(PR_SET_IO_FLUSHER, 1)
        // Linux keeps 15 characters: "ublk1048575q0t1" still fits a large id with a few threads.
        let name = tags.threadCount > 1 ? "ublk\(deviceID)q\(queueID)t\(tags.thread)" : "ublk\(deviceID)q\(queueID)"
        _ = name.withCString { clinux_prctl(PR_SET_NAME, UInt(bitPattern: $0)) }
        pinToCPUs()
    }

    /// The ring with the char device (and the handler's files) registered, the descriptor window, and in copy
    /// mode the data buffers.
    func openResources<Handler: QueueHandler>(_ handler: Handler, ringEntries: UInt32, completionEntries: UInt32,
                                              reservedEntries: UInt32 = 0)
        throws(EngineError) -> QueueResources
    {
        let ring: Ring
        do {
            ring = try Ring(entries: ringEntries, options: [.singleIssuer, .deferTaskRun],
                            completionEntries: completionEntries, reservedEntries: reservedEntries)
        } catch {
            throw .queueSetup(queue: queueID, "io_uring setup: \(error)")
        }
        do {
            try ring.registerFiles([charDevice] + handler.fixedFiles)
            // Slot = tag, so the table spans the whole queue even when this thread serves only some of its tags.
            if zeroCopy { try ring.registerSparseBuffers(count: UInt32(depth)) }
        } catch {
            throw .queueSetup(queue: queueID, "registering files: \(error)")
        }
        let window = try DescriptorWindow(charDevice: charDevice, queue: queueID, depth: depth)
        guard !zeroCopy else {
            return QueueResources(ring: ring, window: window, buffers: nil, bufferBytes: bufferBytes, tags: tags)
        }
        let poolBytes = tags.count * bufferBytes
        guard let pool = UnsafeMutableRawPointer.alignedPages(byteCount: poolBytes) else {
            window.unmap()
            throw .system("buffer pool of \(poolBytes) bytes", errno: .noMemory)
        }
        // Transparent huge pages would back each touched 4 KiB of a tag's buffer with 2 MiB: the pool's resident
        // size should follow the I/O sizes actually used.
        madvise(pool, poolBytes, MADV_NOHUGEPAGE)
        return QueueResources(ring: ring, window: window, buffers: pool, bufferBytes: bufferBytes, tags: tags)
    }

    /// One `io_uring_enter`: submits what is prepared and waits for `completions`. Counted before the call (an enter
    /// that fails still was a syscall), so both models' syscalls per I/O are measured alike. False: the queue stops.
    @inline(__always)
    func enter(_ ring: borrowing Ring, waitingFor completions: UInt32) -> Bool {
        counters.ringEnters.bump(1)
        do {
            try ring.submitAndWait(completions)
            return true
        } catch {
            logger.error("io_uring_enter failed: \(error); the queue stops")
            return false
        }
    }

    @inline(__always)
    func count(_ descriptor: IODescriptor, result: Int32) {
        counters.inFlight.bump(-1)
        if result < 0 {
            counters.errors.bump(1)
            return
        }
        switch descriptor.operation {
        case .read:
            counters.reads.bump(1)
            counters.readBytes.bump(UInt64(result))
        case .write:
            counters.writes.bump(1)
            counters.writeBytes.bump(UInt64(result))
        case .flush:
            counters.flushes.bump(1)
        case .discard:
            counters.discards.bump(1)
        case .writeZeroes:
            counters.writeZeroes.bump(1)
        default:
            break
        }
    }

    /// Runs the thread on the CPUs the driver suggested for this queue (`GET_QUEUE_AFFINITY`).
    private func pinToCPUs() {
        guard !cpus.isEmpty else { return }
        var mask = [UInt64](repeating: 0, count: 16)
        for cpu in cpus where cpu < 1024 { mask[cpu / 64] |= 1 << UInt64(cpu % 64) }
        let rc = mask.withUnsafeBytes { clinux_set_thread_affinity($0.baseAddress, $0.count) }
        if rc != 0 { logger.notice("could not pin to CPUs \(cpus): errno \(errno)") }
    }
}

/// What a queue thread serves from: its ring, its descriptor window and (copy mode) one data buffer per tag.
struct QueueResources {
    let ring: Ring
    let window: DescriptorWindow
    let buffers: UnsafeMutableRawPointer?
    let bufferBytes: Int
    let tags: TagShare

    @inline(__always)
    func buffer(tag: Int) -> UnsafeMutableRawPointer? {
        buffers.map { $0 + tags.slot(of: tag) * bufferBytes }
    }

    /// The request the driver put under `tag`, as the target sees it.
    @inline(__always)
    func request(tag: Int, commitMayFollow: Bool = false) -> Request {
        Request(tag: UInt16(tag), descriptor: window.descriptor(tag: tag), buffer: buffer(tag: tag),
                commitMayFollow: commitMayFollow)
    }

    /// After the last request: the ring goes with the last reference to it.
    func release() {
        window.unmap()
        buffers?.deallocatePages(byteCount: tags.count * bufferBytes)
    }

    /// For a hand-over: the ring outlives this thread, and what the driver may still reach through it (the
    /// buffers, the mapping) stays mapped, until the process exits (`QueueThread.handOver`).
    func keepForProcessExit() {
        _ = Unmanaged.passRetained(ring)
    }
}

/// The thread entry point: takes the retained queue reference handed over by `start()`.
private func queueThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let queue = Unmanaged<QueueThread>.fromOpaque(context!).takeRetainedValue()
    queue.run()
    queue.markEnded()
    return nil
}
