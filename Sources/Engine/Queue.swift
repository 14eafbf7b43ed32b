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
///
/// Where the target serves a request with one backing operation and the request came alone (the only completion of
/// its turn), the commit is linked behind it (`Disposition.linked`): the kernel commits the moment the backing I/O
/// completes, in this thread's task work while it waits for the next request, so a lone request costs one
/// `io_uring_enter` instead of two. Requests that come several to a turn are committed from here, together in the
/// next turn: linked one by one, 7.3's zero copy lost 9-11% of its 4k QD32 IOPS in the benchmark, with fewer
/// syscalls. Each tag's
/// FETCH and COMMIT sit in an SQE of their own (the ring's reserved entries, one per tag): a 6.12 kernel reads a
/// linked command's payload from its SQE only when the command is issued, after the backing I/O, so that SQE must
/// not be handed to another submission meanwhile (7.x copies it at submission).
final class Queue<Handler: QueueHandler>: QueueThread, @unchecked Sendable {
    /// Handed to the thread, which works on its own copy (no exclusivity checks of a class property per request).
    private let initialHandler: Handler

    init(queueID: Int, tags: TagShare, deviceID: UInt32, charDevice: Int32, bufferBytes: Int, zeroCopy: Bool,
         ioctlEncoded: Bool, fetchesUnprivileged: Bool, cpus: [Int], handler: Handler,
         logger: Logger) throws(EngineError) {
        self.initialHandler = handler
        try super.init(queueID: queueID, tags: tags, deviceID: deviceID, charDevice: charDevice,
                       bufferBytes: bufferBytes, zeroCopy: zeroCopy, ioctlEncoded: ioctlEncoded,
                       fetchesUnprivileged: fetchesUnprivileged, cpus: cpus, logger: logger)
    }

    // MARK: the queue thread

    override func run() {
        prepareThread()
        var handler = initialHandler
        // Per turn every tag prepares at most two shared entries (a backing operation and, after a failed one, its
        // continuation or commit) besides its reserved one, plus the wake read.
        let resources: QueueResources
        do {
            resources = try openResources(handler, ringEntries: UInt32(3 * tags.count + 2),
                                          completionEntries: UInt32(4 * tags.count + 4),
                                          reservedEntries: UInt32(tags.count))
        } catch {
            handler.release()
            fail(error)
            return
        }
        let links = LinkedCommits(count: tags.count)
        defer {
            if keepsResourcesForExit {
                resources.keepForProcessExit()
            } else {
                links.release()
                resources.release()
                handler.release()
            }
        }
        let ring = resources.ring
        var wakeValue: UInt64 = 0
        do {
            for tag in tags.tags {
                try prepareIOCommand(ring, .fetchRequest, tag: tag, result: 0, buffer: resources.buffer(tag: tag),
                                     kind: .ublkCommand)
            }
            try withUnsafeMutableBytes(of: &wakeValue) { wake in
                try ring.prepareRead(.descriptor(wakeDescriptor), into: wake.baseAddress!, count: 8, offset: 0,
                                     userData: CompletionKind.wake.userData(0))
            }
            try submitFetches(ring)
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
        serve(resources, links: links, handler: &handler)
        logger.debug("queue thread exits")
    }

    /// The request loop. Ends once the driver has aborted the queue's commands (stop, delete, quiesce) and no
    /// request is left with the target, or at once when asked to (hand-over: the ring's teardown gives the requests
    /// back to the driver). After the first abort the loop no longer waits for the other tags' commands: a
    /// COMMIT_AND_FETCH of a request finished during a quiesce commits it, but its fetch is never answered, and the
    /// ring's teardown cancels whatever is left. For the same reason a linked commit the kernel issues after a
    /// quiesce is never heard of: the device waits for its disk's requests to drain instead, then asks the queue
    /// to leave.
    private func serve(_ resources: QueueResources, links: LinkedCommits, handler: inout Handler) {
        let ring = resources.ring
        /// FETCH and COMMIT commands whose completion is still to come.
        var commandsInKernel = tags.count
        /// Requests the target holds: backing I/O under way, linked commits included.
        var withTarget = 0
        /// This turn brought one completion only: a request it starts has nothing to share a commit turn with.
        var loneTurn = false
        var leaving = false
        var aborted = false
        defer {
            // The last commits prepared: handed to the driver before the ring goes.
            if aborted { _ = try? ring.submit() }
        }

        /// Commits a finished request from here (the target finished it, or the link behind its I/O broke).
        @inline(__always)
        func commit(_ ring: borrowing Ring, _ request: Request, result: Int32) {
            count(request.descriptor, result: result)
            prepareCommit(ring, request, result: result, kind: .ublkCommand)
        }

        @inline(__always)
        func prepareCommit(_ ring: borrowing Ring, _ request: Request, result: Int32, kind: CompletionKind) {
            do {
                try prepareIOCommand(ring, .commitAndFetchRequest, tag: Int(request.tag), result: result,
                                     buffer: request.buffer, kind: kind)
                commandsInKernel += 1
            } catch {
                // Cannot happen with the ring sized for every tag; if it did, the tag would be lost until stop.
                logger.critical("no submission entry for the commit of tag \(request.tag)")
            }
        }

        /// A request arrived under `tag`.
        @inline(__always)
        func start(tag: Int) {
            counters.inFlight.bump(1)
            // Linked only when alone (see the type's note). The linked pair takes two entries; the ring always has
            // them, but a pair cut in half would lose the request for good, so it is checked.
            let request = resources.request(tag: tag, commitMayFollow: loneTurn && ring.freeSubmissionSlots >= 2)
            switch handler.serve(request, ring: ring, userData: CompletionKind.backingIO.userData(tag)) {
            case .complete(let result):
                commit(ring, request, result: result)
            case .pending:
                withTarget += 1
            case .linked:
                withTarget += 1
                // Counted now, as done: the daemon hears of the request again only if its backing I/O fails, and
                // the commit's own completion comes with the tag's next request, which may be long after.
                let full = Int32(truncatingIfNeeded: request.descriptor.byteCount)
                count(request.descriptor, result: full)
                links.hold(slot: tags.slot(of: tag))
                prepareCommit(ring, request, result: full, kind: .linkedCommit)
            }
        }

        while !leaving && (withTarget > 0 || (!aborted && commandsInKernel > 0)) {
            guard enter(ring, waitingFor: 1) else { return }
            loneTurn = ring.readyCompletions == 1
            ring.drainCompletions { completion in
                let tag = Int(completion.userData & 0xFFFF)
                let kind = CompletionKind(rawValue: completion.userData >> 16)
                switch kind {
                case .ublkCommand, .linkedCommit:
                    commandsInKernel -= 1
                    if kind == .linkedCommit {
                        // The commit went in behind its backing I/O: the request it carried is done. (A refused
                        // command did not commit it; the request is then the driver's to abort.)
                        withTarget -= 1
                        links.release(slot: tags.slot(of: tag))
                        if completion.result != IOResult.ok && completion.result != IOResult.abort {
                            counters.errors.bump(1)
                        }
                    }
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
                    start(tag: tag)
                case .backingIO:
                    let slot = tags.slot(of: tag)
                    if links.isHeld(slot: slot) {
                        // The backing operation of a linked pair failed or fell short: the kernel cancelled the
                        // commit behind it without a completion. The request goes on as after `.pending`, counted
                        // already as done: only an error is left to count, if it ends in one.
                        links.broke(slot: slot)
                        commandsInKernel -= 1
                        counters.inFlight.bump(1)
                    }
                    let request = resources.request(tag: tag)
                    let next = handler.complete(request, result: completion.result, ring: ring,
                                                userData: CompletionKind.backingIO.userData(tag))
                    if case .complete(let result) = next {
                        withTarget -= 1
                        if links.countedAlready(slot: slot) {
                            counters.inFlight.bump(-1)
                            if result < 0 { counters.errors.bump(1) }
                            prepareCommit(ring, request, result: result, kind: .ublkCommand)
                        } else {
                            commit(ring, request, result: result)
                        }
                    }
                case .targetEvent:
                    handler.event(completion, ring: ring, events: TargetEvents()) { tag, result in
                        let request = resources.request(tag: Int(tag))
                        withTarget -= 1
                        commit(ring, request, result: result)
                    }
                case .wake:
                    leaving = true
                case .prepare, .commit, .fetch, nil:
                    logger.critical("completion with unexpected user data \(completion.userData)")
                }
            }
        }
    }

    /// FETCH or COMMIT_AND_FETCH for a tag, in the tag's own SQE. Copy mode names the tag's buffer in the command;
    /// zero copy names, in the SQE's addr, the ring buffer slot the driver should install the next request's pages
    /// in.
    @inline(__always)
    private func prepareIOCommand(_ ring: borrowing Ring, _ opcode: IOCommandOpcode, tag: Int, result: Int32,
                                  buffer: UnsafeMutableRawPointer?, kind: CompletionKind) throws(Errno) {
        let command = IOCommand(queueID: UInt16(queueID), tag: UInt16(tag), result: result,
                                address: UInt64(UInt(bitPattern: buffer)))
        try ring.prepareCommand(.fixed(0), operation: opcode.code(ioctlEncoded: ioctlEncoded), payload: command,
                                address: zeroCopy ? AutoBufferRegistration(index: UInt16(tag)).sqeAddress : 0,
                                slot: .reserved(UInt32(tags.slot(of: tag))), userData: kind.userData(tag))
    }
}

/// Per tag of a queue thread: whether the request under the tag has its commit linked behind its backing I/O, and
/// whether a request counted as done at the link was handed back (its backing I/O failed). Allocated once per
/// thread; used by that thread alone.
struct LinkedCommits {
    // SAFETY: `states` holds `count` initialized elements from init until `release()`, and is only touched by the
    // queue thread that made it.
    private let states: UnsafeMutablePointer<State>

    enum State: UInt8 {
        case none
        /// The commit waits in the kernel behind the backing I/O.
        case held
        /// The link broke; the request is the target's again and was counted at the link.
        case broken
    }

    init(count: Int) {
        states = .allocate(capacity: count)
        states.initialize(repeating: .none, count: count)
    }

    @inline(__always) func hold(slot: Int) { states[slot] = .held }
    @inline(__always) func isHeld(slot: Int) -> Bool { states[slot] == .held }
    @inline(__always) func broke(slot: Int) { states[slot] = .broken }
    @inline(__always) func release(slot: Int) { states[slot] = .none }

    /// Whether the request was counted at its link; the next request of the tag starts afresh.
    @inline(__always)
    func countedAlready(slot: Int) -> Bool {
        defer { states[slot] = .none }
        return states[slot] == .broken
    }

    func release() { states.deallocate() }
}
