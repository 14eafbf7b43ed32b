import CLinux
import Dispatch
import Glibc
import Logging
import SystemPackage
import Synchronization
import UblkABI
import URing

/// What the device needs of a queue, whatever its target type.
protocol QueueControl: AnyObject, Sendable {
    var queueID: Int { get }
    var counters: QueueCounters { get }
    /// Starts the thread and waits until it has fetched every tag (or failed to).
    func start() throws(EngineError)
    /// Makes the thread leave at once, abandoning its requests to the driver (recovery takes them over).
    func requestExit()
    /// Waits for the thread to end.
    func join()
}

/// How the queue tells its completions apart: the low 16 bits of `user_data` are the tag.
enum CompletionKind: UInt64 {
    case ublkCommand = 0
    case backingIO = 1
    case wake = 2

    @inline(__always) func userData(tag: Int) -> UInt64 { rawValue << 16 | UInt64(tag) }
}

/// One ublk queue, or one thread's share of its tags: a dedicated thread owning its ring, its descriptor window and
/// its buffers.
///
/// Every FETCH and COMMIT of a tag comes from the thread that serves it, as the driver requires. The backing I/O goes
/// through the same ring, so one `io_uring_enter` submits commits, fetches and backing I/O and reaps all of their
/// completions. Nothing on the request path allocates, locks, or retains.
final class Queue<Handler: QueueHandler>: QueueControl, @unchecked Sendable {
    // @unchecked: after start(), the mutable state below belongs to the queue thread alone; start() and join()
    // hand it over and back through the semaphore and pthread_join, which order the accesses.
    let queueID: Int
    let depth: Int
    let tags: TagShare
    let deviceID: UInt32
    let charDevice: Int32
    let bufferBytes: Int
    /// `UBLK_F_AUTO_BUF_REG`: the driver installs each request's pages in the ring's buffer table (slot = tag)
    /// and the queue owns no data buffers at all.
    let zeroCopy: Bool
    let ioctlEncoded: Bool
    let cpus: [Int]
    let counters = QueueCounters()
    let logger: Logger
    /// Handed to the thread, which works on its own copy (no exclusivity checks of a class property per request).
    private let initialHandler: Handler

    private var wakeDescriptor: Int32
    private let ready = DispatchSemaphore(value: 0)
    private var setupError: EngineError?
    private var thread: pthread_t?

    init(queueID: Int, tags: TagShare, deviceID: UInt32, charDevice: Int32, bufferBytes: Int, zeroCopy: Bool,
         ioctlEncoded: Bool,
         cpus: [Int], handler: Handler, logger: Logger) throws(EngineError) {
        self.queueID = queueID
        self.depth = tags.depth
        self.tags = tags
        self.deviceID = deviceID
        self.charDevice = charDevice
        self.bufferBytes = bufferBytes
        self.zeroCopy = zeroCopy
        self.ioctlEncoded = ioctlEncoded
        self.cpus = cpus
        self.initialHandler = handler
        var logger = logger
        logger[metadataKey: "ublk.queue"] = "\(queueID)"
        self.logger = logger
        let wake = eventfd(0, Int32(EFD_CLOEXEC))
        guard wake >= 0 else { throw .system("eventfd", errno: Errno(rawValue: errno)) }
        wakeDescriptor = wake
    }

    deinit { if wakeDescriptor >= 0 { close(wakeDescriptor) } }

    func start() throws(EngineError) {
        let context = Unmanaged.passRetained(self as AnyObject).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, queueThreadEntry, context)
        guard rc == 0 else {
            Unmanaged<AnyObject>.fromOpaque(context).release()
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

    // MARK: the queue thread

    func run() {
        // Writes from this thread may be what frees memory under pressure: never throttle them for reclaim.
        _ = clinux_prctl(PR_SET_IO_FLUSHER, 1)
        setThreadName()
        pinToCPUs()
        var handler = initialHandler
        // Every tag has at most one entry prepared per batch (a commit, a fetch or one backing operation), plus
        // the wake read: twice the tag count leaves room to spare.
        let ring: Ring
        do {
            ring = try Ring(entries: UInt32(2 * tags.count + 2), options: [.singleIssuer, .deferTaskRun],
                            completionEntries: UInt32(4 * tags.count + 4))
        } catch {
            handler.release()
            fail(.queueSetup(queue: queueID, "io_uring setup: \(error)"))
            return
        }
        let window: DescriptorWindow
        let buffers: UnsafeMutableRawPointer?
        do {
            try ring.registerFiles([charDevice] + handler.fixedFiles)
            // Slot = tag, so the table spans the whole queue even when this thread serves only some of its tags.
            if zeroCopy { try ring.registerSparseBuffers(count: UInt32(depth)) }
            window = try DescriptorWindow(charDevice: charDevice, queue: queueID, depth: depth)
            if zeroCopy {
                buffers = nil
            } else {
                guard let pool = UnsafeMutableRawPointer.alignedPages(byteCount: poolBytes) else {
                    window.unmap()
                    throw EngineError.system("buffer pool of \(poolBytes) bytes", errno: .noMemory)
                }
                // Transparent huge pages would back each touched 4 KiB of a tag's buffer with 2 MiB: the pool's
                // resident size should follow the I/O sizes actually used.
                madvise(pool, poolBytes, MADV_NOHUGEPAGE)
                buffers = pool
            }
        } catch let error as EngineError {
            handler.release()
            fail(error)
            return
        } catch {
            handler.release()
            fail(.queueSetup(queue: queueID, "registering files: \(error)"))
            return
        }
        defer {
            window.unmap()
            buffers?.deallocatePages(byteCount: poolBytes)
            handler.release()
        }
        var wakeValue: UInt64 = 0
        do {
            for tag in tags.tags {
                try prepareIOCommand(ring, .fetchRequest, tag: tag, result: 0, buffer: buffer(buffers, tag))
            }
            try withUnsafeMutableBytes(of: &wakeValue) { wake in
                try ring.prepareRead(.descriptor(wakeDescriptor), into: wake.baseAddress!, count: 8, offset: 0,
                                     userData: CompletionKind.wake.userData(tag: 0))
            }
            try ring.submit()
        } catch {
            fail(.queueSetup(queue: queueID, "fetching the tags: \(error)"))
            return
        }
        ready.signal()
        serve(ring, window: window, buffers: buffers, handler: &handler)
        logger.debug("queue thread exits")
    }

    private func fail(_ error: EngineError) {
        setupError = error
        ready.signal()
    }

    /// The request loop. Ends when the driver has aborted every tag's command and no backing I/O is left (stop),
    /// or at once when asked to (hand-over: the ring's teardown gives the requests back to the driver).
    private func serve(_ ring: borrowing Ring, window: DescriptorWindow, buffers: UnsafeMutableRawPointer?,
                       handler: inout Handler) {
        var commandsInKernel = tags.count
        var backingInFlight = 0
        var leaving = false
        while !leaving && (commandsInKernel > 0 || backingInFlight > 0) {
            do {
                // Counted before the call: an enter that fails still was a syscall.
                counters.ringEnters.add(1, ordering: .relaxed)
                try ring.submitAndWait(1)
            } catch {
                logger.error("io_uring_enter failed: \(error); the queue stops")
                return
            }
            ring.drainCompletions { completion in
                let tag = Int(completion.userData & 0xFFFF)
                switch CompletionKind(rawValue: completion.userData >> 16) {
                case .ublkCommand:
                    commandsInKernel -= 1
                    guard completion.result == IOResult.ok else {
                        // ABORT (-ENODEV): stop, delete or quiesce took the tag back. Anything else was a refused
                        // command; either way the tag is not re-armed.
                        if completion.result != IOResult.abort {
                            logger.warning("I/O command for tag \(tag) refused: \(completion.result)")
                        }
                        return
                    }
                    counters.inFlight.add(1, ordering: .relaxed)
                    let request = Request(tag: UInt16(tag), descriptor: window.descriptor(tag: tag),
                                          buffer: buffer(buffers, tag))
                    switch handler.serve(request, ring: ring, userData: CompletionKind.backingIO.userData(tag: tag)) {
                    case .complete(let result):
                        commit(ring, request, result: result)
                        commandsInKernel += 1
                    case .pending:
                        backingInFlight += 1
                    }
                case .backingIO:
                    let request = Request(tag: UInt16(tag), descriptor: window.descriptor(tag: tag),
                                          buffer: buffer(buffers, tag))
                    let next = handler.complete(request, result: completion.result, ring: ring,
                                                userData: CompletionKind.backingIO.userData(tag: tag))
                    if case .complete(let result) = next {
                        backingInFlight -= 1
                        commit(ring, request, result: result)
                        commandsInKernel += 1
                    }
                case .wake:
                    leaving = true
                case nil:
                    logger.critical("completion with unknown user data \(completion.userData)")
                }
            }
        }
    }

    @inline(__always)
    private func commit(_ ring: borrowing Ring, _ request: Request, result: Int32) {
        count(request.descriptor, result: result)
        do {
            try prepareIOCommand(ring, .commitAndFetchRequest, tag: Int(request.tag), result: result,
                                 buffer: request.buffer)
        } catch {
            // Cannot happen with the ring sized for every tag; if it did, the tag would be lost until stop.
            logger.critical("no submission entry for the commit of tag \(request.tag)")
        }
    }

    @inline(__always)
    private func buffer(_ buffers: UnsafeMutableRawPointer?, _ tag: Int) -> UnsafeMutableRawPointer? {
        buffers.map { $0 + tags.slot(of: tag) * bufferBytes }
    }

    /// FETCH or COMMIT_AND_FETCH for a tag. Copy mode names the tag's buffer in the command; zero copy names, in
    /// the SQE's addr, the ring buffer slot the driver should install the next request's pages in.
    @inline(__always)
    private func prepareIOCommand(_ ring: borrowing Ring, _ opcode: IOCommandOpcode, tag: Int, result: Int32,
                                  buffer: UnsafeMutableRawPointer?) throws(Errno) {
        let command = IOCommand(queueID: UInt16(queueID), tag: UInt16(tag), result: result,
                                address: UInt64(UInt(bitPattern: buffer)))
        try ring.prepareCommand(.fixed(0), operation: opcode.code(ioctlEncoded: ioctlEncoded), payload: command,
                                address: zeroCopy ? AutoBufferRegistration(index: UInt16(tag)).sqeAddress : 0,
                                userData: CompletionKind.ublkCommand.userData(tag: tag))
    }

    @inline(__always)
    private func count(_ descriptor: IODescriptor, result: Int32) {
        counters.inFlight.subtract(1, ordering: .relaxed)
        if result < 0 {
            counters.errors.add(1, ordering: .relaxed)
            return
        }
        switch descriptor.operation {
        case .read:
            counters.reads.add(1, ordering: .relaxed)
            counters.readBytes.add(UInt64(result), ordering: .relaxed)
        case .write:
            counters.writes.add(1, ordering: .relaxed)
            counters.writtenBytes.add(UInt64(result), ordering: .relaxed)
        case .flush:
            counters.flushes.add(1, ordering: .relaxed)
        case .discard:
            counters.discards.add(1, ordering: .relaxed)
        case .writeZeroes:
            counters.writeZeroes.add(1, ordering: .relaxed)
        default:
            break
        }
    }

    private var poolBytes: Int { tags.count * bufferBytes }

    private func setThreadName() {
        // Linux keeps 15 characters: "ublk1048575q0t1" still fits a large id with a few threads.
        let name = tags.threadCount > 1 ? "ublk\(deviceID)q\(queueID)t\(tags.thread)" : "ublk\(deviceID)q\(queueID)"
        _ = name.withCString { clinux_prctl(PR_SET_NAME, UInt(bitPattern: $0)) }
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

/// The thread entry point: takes the retained queue reference handed over by `start()`.
private func queueThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let object = Unmanaged<AnyObject>.fromOpaque(context!).takeRetainedValue()
    (object as! any QueueThreadBody).run()
    return nil
}

protocol QueueThreadBody: AnyObject {
    func run()
}

extension Queue: QueueThreadBody {}
