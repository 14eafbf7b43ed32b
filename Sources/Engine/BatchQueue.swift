import Glibc
import Logging
import SystemPackage
import UblkABI
import URing

/// One ublk queue in the batch command model (`UBLK_F_BATCH_IO`, kernel 7.0+).
///
/// At start one PREP_IO_CMDS hands the driver every tag. Two multishot FETCH_IO_CMDS then stay armed: each of their
/// completions carries an array of u16 tags of new requests, in a buffer of the queue's provided-buffer ring. Done
/// requests are collected into an element array and go back with one COMMIT_IO_CMDS per loop turn, instead of one
/// COMMIT_AND_FETCH per request. Two fetches, so that one ending (no free buffer, a full completion queue) does not
/// leave the queue deaf while it is re-armed; two commit arrays, so that one can be filled while the driver owns
/// the other.
///
/// Like `Queue`, everything runs on the one thread that owns the ring, the backing I/O shares that ring, and the
/// request path allocates, locks and retains nothing: the arrays and buffers are set up before the first request.
final class BatchQueue<Handler: QueueHandler>: QueueThread, @unchecked Sendable {
    private let initialHandler: Handler
    /// Which optional fields each PREP/COMMIT element carries (the buffer address in copy mode).
    private let elementFlags: BatchFlags
    private let elementBytes: Int

    static var fetchCommands: Int { 2 }

    init(queueID: Int, depth: Int, deviceID: UInt32, charDevice: Int32, bufferBytes: Int, deviceFlags: Features,
         cpus: [Int], handler: Handler, logger: Logger) throws(EngineError) {
        self.initialHandler = handler
        self.elementFlags = BatchFlags.required(deviceFlags: deviceFlags)
        self.elementBytes = elementFlags.elementBytes
        try super.init(queueID: queueID, tags: .all(depth: depth), deviceID: deviceID, charDevice: charDevice,
                       bufferBytes: bufferBytes, zeroCopy: deviceFlags.contains(.autoBufferRegistration),
                       // BATCH_IO came after START_DEV stopped scanning partitions under the device's lock.
                       ioctlEncoded: true, fetchesUnprivileged: false, cpus: cpus, logger: logger)
    }

    /// The driver writes at most 128 tags per fetch completion; a buffer holds that, or the whole queue if less.
    static func fetchBufferBytes(depth: Int) -> Int { min(depth, 128) * MemoryLayout<UInt16>.size }

    /// Every fetch completion takes a buffer until the loop hands it back; one per tag can never run short.
    static func fetchBufferCount(depth: Int) -> Int {
        var count = 2
        while count < depth { count <<= 1 }
        return min(count, 4096)
    }

    // MARK: the queue thread

    override func run() {
        prepareThread()
        var handler = initialHandler
        let commitBytes = 2 * depth * elementBytes
        let resources: QueueResources
        let fetchBuffers: ProvidedBuffers
        let commitArrays: UnsafeMutableRawPointer
        do {
            // Per loop turn: at most one backing operation per tag, one commit, the fetches' re-arm, the wake read.
            resources = try openResources(handler, ringEntries: UInt32(2 * depth + 4),
                                          completionEntries: UInt32(4 * depth + 8))
            do {
                fetchBuffers = try ProvidedBuffers(ring: resources.ring, group: 0,
                                                   count: Self.fetchBufferCount(depth: depth),
                                                   bufferBytes: Self.fetchBufferBytes(depth: depth))
            } catch {
                resources.release()
                throw EngineError.queueSetup(queue: queueID, "registering the fetch buffer ring: \(error)")
            }
            guard let arrays = UnsafeMutableRawPointer.alignedPages(byteCount: commitBytes) else {
                resources.release()
                throw EngineError.system("commit arrays of \(commitBytes) bytes", errno: .noMemory)
            }
            commitArrays = arrays
        } catch let error as EngineError {
            handler.release()
            fail(error)
            return
        } catch {
            handler.release()
            fail(.queueSetup(queue: queueID, "\(error)"))
            return
        }
        defer {
            if keepsResourcesForExit {
                resources.keepForProcessExit()
            } else {
                commitArrays.deallocatePages(byteCount: commitBytes)
                resources.release()
                handler.release()
            }
        }
        let ring = resources.ring
        var wakeValue: UInt64 = 0
        do {
            try prepareAllTags(ring, resources: resources, into: commitArrays)
            for index in 0..<Self.fetchCommands { try armFetch(ring, index: index) }
            try withUnsafeMutableBytes(of: &wakeValue) { wake in
                try ring.prepareRead(.descriptor(wakeDescriptor), into: wake.baseAddress!, count: 8, offset: 0,
                                     userData: CompletionKind.wake.userData(0))
            }
            try ring.submit()
            try handler.start(ring: ring, events: TargetEvents())
        } catch let error as EngineError {
            fail(error)
            return
        } catch {
            fail(.queueSetup(queue: queueID, "arming the fetches: \(error)"))
            return
        }
        signalReady()
        withExtendedLifetime(fetchBuffers) {
            serve(resources, fetchBuffers: fetchBuffers, commitArrays: commitArrays, handler: &handler)
        }
        logger.debug("queue thread exits")
    }

    /// PREP_IO_CMDS for every tag, waited for: the driver answers it at once, and it must succeed before a fetch
    /// is accepted (until then the queue counts as cancelling, and a FETCH ends with ABORT).
    private func prepareAllTags(_ ring: borrowing Ring, resources: QueueResources,
                                into array: UnsafeMutableRawPointer) throws {
        for tag in 0..<depth {
            BatchElement(tag: UInt16(tag), bufferIndex: zeroCopy ? UInt16(tag) : 0)
                .store(into: array, index: tag, stride: elementBytes,
                       bufferAddress: UInt64(UInt(bitPattern: resources.buffer(tag: tag))))
        }
        let command = BatchCommand(queueID: UInt16(queueID), flags: elementFlags, elementCount: UInt16(depth),
                                   elementBytes: UInt8(elementBytes))
        try ring.prepareCommand(.fixed(0), operation: BatchCommandOpcode.prepare.rawValue, payload: command,
                                address: UInt64(UInt(bitPattern: array)), length: UInt32(depth * elementBytes),
                                userData: CompletionKind.prepare.userData(0))
        try ring.submit()
        let completion = try ring.waitCompletion()
        guard completion.result == 0 else {
            throw EngineError.queueSetup(queue: queueID, "PREP_IO_CMDS refused: \(Errno(rawValue: -completion.result))")
        }
    }

    @inline(__always)
    private func armFetch(_ ring: borrowing Ring, index: Int) throws(Errno) {
        let command = BatchCommand.fetch(queueID: UInt16(queueID),
                                         capacityTags: Self.fetchBufferBytes(depth: depth) / 2)
        try ring.prepareMultishotCommand(.fixed(0), operation: BatchCommandOpcode.fetch.rawValue, payload: command,
                                         bufferGroup: 0, userData: CompletionKind.fetch.userData(index))
    }

    /// The request loop. Ends when the driver has ended both fetches (stop, delete, quiesce: ABORT) and every
    /// request the queue still held is committed, or at once when asked to (hand-over: the ring's teardown gives
    /// the requests back to the driver).
    private func serve(_ resources: QueueResources, fetchBuffers: ProvidedBuffers,
                       commitArrays: UnsafeMutableRawPointer, handler: inout Handler) {
        let ring = resources.ring
        let arrayBytes = depth * elementBytes
        var commits = CommitArrays()
        var fetchesInKernel = Self.fetchCommands
        var backingInFlight = 0
        var leaving = false

        /// Adds a done request to the open commit array.
        @inline(__always)
        func finish(_ request: Request, result: Int32) {
            count(request.descriptor, result: result)
            BatchElement(tag: request.tag, bufferIndex: zeroCopy ? request.tag : 0, result: result)
                .store(into: commitArrays + commits.open * arrayBytes, index: commits.pending, stride: elementBytes,
                       bufferAddress: UInt64(UInt(bitPattern: request.buffer)))
            commits.pending += 1
        }

        @inline(__always)
        func start(tag: Int) {
            counters.inFlight.bump(1)
            let request = resources.request(tag: tag)
            switch handler.serve(request, ring: ring, userData: CompletionKind.backingIO.userData(tag)) {
            case .complete(let result): finish(request, result: result)
            case .pending: backingInFlight += 1
            case .linked: preconditionFailure("a batch queue never offers a linked commit")
            }
        }

        while !leaving && (fetchesInKernel > 0 || backingInFlight > 0 || commits.busy) {
            var wanted: UInt32 = 1
            if let slot = commits.close() {
                let command = BatchCommand(queueID: UInt16(queueID), flags: elementFlags,
                                           elementCount: UInt16(commits[sent: slot]), elementBytes: UInt8(elementBytes))
                do {
                    try ring.prepareCommand(.fixed(0), operation: BatchCommandOpcode.commit.rawValue, payload: command,
                                            address: UInt64(UInt(bitPattern: commitArrays + slot * arrayBytes)),
                                            length: UInt32(commits[sent: slot] * elementBytes),
                                            userData: CompletionKind.commit.userData(slot))
                } catch {
                    // Cannot happen with the ring sized for a whole turn; the requests would hang until recovery.
                    logger.critical("no submission entry for a commit of \(commits[sent: slot]) requests")
                }
                // The driver answers a COMMIT while it is submitted, so its completion alone would end the wait
                // at once and cost a second enter per turn. Wait for one more where something else is bound to
                // come (a fetch, backing I/O, or the wake read that is always armed).
                if fetchesInKernel > 0 || backingInFlight > 0 { wanted = 2 }
            }
            guard enter(ring, waitingFor: wanted) else { return }
            ring.drainCompletions { completion in
                let low = Int(completion.userData & 0xFFFF)
                switch CompletionKind(rawValue: completion.userData >> 16) {
                case .fetch:
                    if let id = completion.bufferID {
                        let tags = fetchBuffers.buffer(id)
                        for index in 0..<Int(max(0, completion.result)) / 2 {
                            let tag = Int(UInt16(littleEndian: tags.load(fromByteOffset: 2 * index, as: UInt16.self)))
                            guard tag < depth else {
                                logger.critical("fetch delivered tag \(tag) of a queue of depth \(depth)")
                                continue
                            }
                            start(tag: tag)
                        }
                        fetchBuffers.recycle(id)
                    }
                    guard !completion.hasMore else { return }
                    fetchesInKernel -= 1
                    // No free buffer or a full completion queue ends a multishot command, with its tags handed to
                    // the other fetch or kept for the next one; only ABORT (or a refusal) means the queue is done.
                    if completion.result >= 0 || completion.result == -ENOBUFS {
                        do {
                            try armFetch(ring, index: low)
                            fetchesInKernel += 1
                        } catch {
                            logger.critical("no submission entry to re-arm fetch \(low)")
                        }
                    } else if completion.result != IOResult.abort {
                        logger.warning("FETCH_IO_CMDS ended: \(Errno(rawValue: -completion.result))")
                    }
                case .backingIO:
                    let request = resources.request(tag: low)
                    let next = handler.complete(request, result: completion.result, ring: ring,
                                                userData: CompletionKind.backingIO.userData(low))
                    if case .complete(let result) = next {
                        backingInFlight -= 1
                        finish(request, result: result)
                    }
                case .commit:
                    let expected = commits[sent: low] * elementBytes
                    if completion.result != Int32(expected) {
                        // The elements past the handled bytes were not committed: their requests stay with this
                        // queue until a recovery re-issues them.
                        counters.errors.bump(1)
                        logger.critical("COMMIT_IO_CMDS handled \(completion.result) of \(expected) bytes")
                    }
                    commits.done(low)
                case .targetEvent:
                    handler.event(completion, ring: ring, events: TargetEvents()) { tag, result in
                        let request = resources.request(tag: Int(tag))
                        backingInFlight -= 1
                        finish(request, result: result)
                    }
                case .wake:
                    leaving = true
                case .prepare, .ublkCommand, .linkedCommit, nil:
                    logger.critical("completion with unexpected user data \(completion.userData)")
                }
            }
        }
    }
}

/// The two commit arrays: one open for done requests, the other possibly owned by the driver (a COMMIT in
/// flight). The open one is sent only once the other is free again, so the open array never is the driver's.
struct CommitArrays {
    /// The array being filled.
    private(set) var open = 0
    /// Elements in the open array.
    var pending = 0
    /// Elements sent with each array's COMMIT.
    private(set) var sent = (0, 0)
    private var inFlight = (false, false)

    /// Something is pending or in the driver's hands.
    var busy: Bool { pending > 0 || inFlight.0 || inFlight.1 }

    /// Closes the open array for a COMMIT and opens the other, if there is anything to send and the other is free.
    /// Returns the closed array's slot.
    mutating func close() -> Int? {
        let other = open ^ 1
        guard pending > 0, !(other == 0 ? inFlight.0 : inFlight.1) else { return nil }
        if open == 0 {
            sent.0 = pending
            inFlight.0 = true
        } else {
            sent.1 = pending
            inFlight.1 = true
        }
        let closed = open
        open = other
        pending = 0
        return closed
    }

    /// The COMMIT of `slot` completed: the driver is done reading it.
    mutating func done(_ slot: Int) {
        if slot == 0 { inFlight.0 = false } else { inFlight.1 = false }
    }
}

extension CommitArrays {
    subscript(sent slot: Int) -> Int { slot == 0 ? sent.0 : sent.1 }
}
