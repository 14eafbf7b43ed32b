import Glibc
import Logging
import SystemPackage
import UblkABI
import URing

/// One ublk queue in the per-tag command model: every tag has its own FETCH, then COMMIT_AND_FETCH per request.
///
/// Every FETCH and COMMIT of a tag comes from the thread that serves it, as the driver requires. The backing I/O goes
/// through the same ring, so one `io_uring_enter` submits commits, fetches and backing I/O and reaps all of their
/// completions. Nothing on the request path allocates, locks, or retains.
final class Queue<Handler: QueueHandler>: QueueThread, @unchecked Sendable {
    /// Handed to the thread, which works on its own copy (no exclusivity checks of a class property per request).
    private let initialHandler: Handler

    init(queueID: Int, tags: TagShare, deviceID: UInt32, charDevice: Int32, bufferBytes: Int, zeroCopy: Bool,
         ioctlEncoded: Bool,
         cpus: [Int], handler: Handler, logger: Logger) throws(EngineError) {
        self.initialHandler = handler
        try super.init(queueID: queueID, tags: tags, deviceID: deviceID, charDevice: charDevice,
                       bufferBytes: bufferBytes, zeroCopy: zeroCopy, ioctlEncoded: ioctlEncoded, cpus: cpus,
                       logger: logger)
    }

    // MARK: the queue thread

    override func run() {
        prepareThread()
        var handler = initialHandler
        // Every tag has at most one entry prepared per batch (a commit, a fetch or one backing operation), plus
        // the wake read: twice the tag count leaves room to spare.
        let resources: QueueResources
        do {
            resources = try openResources(handler, ringEntries: UInt32(2 * tags.count + 2),
                                          completionEntries: UInt32(4 * tags.count + 4))
        } catch {
            handler.release()
            fail(error)
            return
        }
        defer {
            resources.release()
            handler.release()
        }
        let ring = resources.ring
        var wakeValue: UInt64 = 0
        do {
            for tag in tags.tags {
                try prepareIOCommand(ring, .fetchRequest, tag: tag, result: 0, buffer: resources.buffer(tag: tag))
            }
            try withUnsafeMutableBytes(of: &wakeValue) { wake in
                try ring.prepareRead(.descriptor(wakeDescriptor), into: wake.baseAddress!, count: 8, offset: 0,
                                     userData: CompletionKind.wake.userData(0))
            }
            try ring.submit()
        } catch {
            fail(.queueSetup(queue: queueID, "fetching the tags: \(error)"))
            return
        }
        do {
            try handler.start(ring: ring, events: TargetEvents())
        } catch {
            fail(error)
            return
        }
        signalReady()
        serve(resources, handler: &handler)
        logger.debug("queue thread exits")
    }

    /// The request loop. Ends once the driver has aborted the queue's commands (stop, delete, quiesce) and no
    /// backing I/O is left, or at once when asked to (hand-over: the ring's teardown gives the requests back to the
    /// driver). After the first abort the loop no longer waits for the other tags' commands: a COMMIT_AND_FETCH of
    /// a request finished during a quiesce commits it, but its fetch is never answered, and the ring's teardown
    /// cancels whatever is left.
    private func serve(_ resources: QueueResources, handler: inout Handler) {
        let ring = resources.ring
        let window = resources.window
        var commandsInKernel = tags.count
        var backingInFlight = 0
        var leaving = false
        var aborted = false
        defer {
            // The last commits prepared: handed to the driver before the ring goes.
            if aborted && !leaving { _ = try? ring.submit() }
        }
        while !leaving && (backingInFlight > 0 || (!aborted && commandsInKernel > 0)) {
            guard enter(ring, waitingFor: 1) else { return }
            ring.drainCompletions { completion in
                let tag = Int(completion.userData & 0xFFFF)
                switch CompletionKind(rawValue: completion.userData >> 16) {
                case .ublkCommand:
                    commandsInKernel -= 1
                    guard completion.result == IOResult.ok else {
                        // ABORT (-ENODEV): stop, delete or quiesce took the tag back. Anything else was a refused
                        // command; either way the tag is not re-armed.
                        if completion.result == IOResult.abort {
                            aborted = true
                        } else {
                            logger.warning("I/O command for tag \(tag) refused: \(completion.result)")
                        }
                        return
                    }
                    counters.inFlight.add(1, ordering: .relaxed)
                    let request = resources.request(tag: tag)
                    switch handler.serve(request, ring: ring, userData: CompletionKind.backingIO.userData(tag)) {
                    case .complete(let result):
                        commit(ring, request, result: result)
                        commandsInKernel += 1
                    case .pending:
                        backingInFlight += 1
                    }
                case .backingIO:
                    let request = resources.request(tag: tag)
                    let next = handler.complete(request, result: completion.result, ring: ring,
                                                userData: CompletionKind.backingIO.userData(tag))
                    if case .complete(let result) = next {
                        backingInFlight -= 1
                        commit(ring, request, result: result)
                        commandsInKernel += 1
                    }
                case .targetEvent:
                    handler.event(completion, ring: ring, events: TargetEvents()) { tag, result in
                        let request = resources.request(tag: Int(tag))
                        backingInFlight -= 1
                        commit(ring, request, result: result)
                        commandsInKernel += 1
                    }
                case .wake:
                    leaving = true
                case .prepare, .commit, .fetch, nil:
                    logger.critical("completion with unexpected user data \(completion.userData)")
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

    /// FETCH or COMMIT_AND_FETCH for a tag. Copy mode names the tag's buffer in the command; zero copy names, in
    /// the SQE's addr, the ring buffer slot the driver should install the next request's pages in.
    @inline(__always)
    private func prepareIOCommand(_ ring: borrowing Ring, _ opcode: IOCommandOpcode, tag: Int, result: Int32,
                                  buffer: UnsafeMutableRawPointer?) throws(Errno) {
        let command = IOCommand(queueID: UInt16(queueID), tag: UInt16(tag), result: result,
                                address: UInt64(UInt(bitPattern: buffer)))
        try ring.prepareCommand(.fixed(0), operation: opcode.code(ioctlEncoded: ioctlEncoded), payload: command,
                                address: zeroCopy ? AutoBufferRegistration(index: UInt16(tag)).sqeAddress : 0,
                                userData: CompletionKind.ublkCommand.userData(tag))
    }
}
