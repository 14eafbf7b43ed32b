import CNBD
import Glibc
import SystemPackage
import UblkABI
import URing

/// The requests of one queue sent over its own NBD connection. libnbd speaks the protocol; the queue's ring
/// watches the socket (a poll for replies, another when a send could not finish), so one
/// `io_uring_enter` drives ublk commands and network I/O alike.
///
/// A lost connection is reconnected (with backoff) while its requests wait, each sent again on the new
/// connection; past the reconnect timeout they fail with EIO, and so do new ones until the server is back.
///
/// Nothing here allocates per request: the per-tag state and libnbd's callback contexts are allocated with the
/// handler. (libnbd itself allocates a small command record per request, inside the library.)
public struct NBDHandler: QueueHandler {
    let uri: String
    private var connection: NBDConnection
    let counters: ConnectionCounters
    let depth: Int
    private var reconnection: NBDReconnection

    // SAFETY: allocated in init for `depth` tags, freed in release(); used by the queue thread alone (libnbd's
    // callbacks run inside this handler's own calls into libnbd, on the same thread).
    private let completions: UnsafeMutablePointer<NBDCompletions>
    private let contexts: UnsafeMutablePointer<NBDTagContext>
    private let tagStates: UnsafeMutablePointer<TagState>
    private let requests: UnsafeMutablePointer<Request>
    /// The two timers' intervals, alive while their timeouts are in the ring: [retry, deadline].
    private let intervals: UnsafeMutablePointer<TimerInterval>

    /// Bumped with each connection, so that a poll of a closed one is told apart when it completes.
    private var generation: UInt16 = 0
    private var connecting = false
    private var pollOutArmed = false
    private var retryArmed = false

    enum TagState: UInt8 {
        case idle, sent, waiting
    }

    /// What an event's 16 bits say: its kind in the low two, the connection's generation above.
    enum Event: UInt16 {
        case readable = 0
        case writable = 1
        case timer = 2
        /// A poll while a new connection negotiates, for whatever it waits on.
        case connecting = 3
    }

    init(uri: String, connection: NBDConnection, counters: ConnectionCounters, depth: Int,
         reconnectTimeout: Duration) {
        self.uri = uri
        self.connection = connection
        self.counters = counters
        self.depth = depth
        reconnection = NBDReconnection(timeout: reconnectTimeout)
        completions = .allocate(capacity: 1)
        completions.initialize(to: NBDCompletions(depth: depth))
        contexts = .allocate(capacity: depth)
        for tag in 0..<depth {
            (contexts + tag).initialize(to: NBDTagContext(completions: completions, tag: UInt16(tag)))
        }
        tagStates = .allocate(capacity: depth)
        tagStates.initialize(repeating: .idle, count: depth)
        requests = .allocate(capacity: depth)
        intervals = .allocate(capacity: 2)
        intervals.initialize(repeating: TimerInterval(), count: 2)
    }

    public var fixedFiles: [Int32] { [] }

    public mutating func start(ring: borrowing Ring, events: TargetEvents) throws(EngineError) {
        do {
            try watchReplies(ring, events)
        } catch {
            throw .queueSetup(queue: 0, "watching the NBD socket: \(error)")
        }
    }

    public mutating func serve(_ request: Request, ring: borrowing Ring, userData: UInt64) -> Disposition {
        if reconnection.failsRequests { return .complete(-EIO) }
        let tag = Int(request.tag)
        requests[tag] = request
        guard reconnection.isConnected else {
            tagStates[tag] = .waiting
            return .pending
        }
        switch send(tag) {
        case .sent:
            // A send that did not fit the socket's buffer waits for it to drain.
            armWriteIfNeeded(ring, TargetEvents())
            return .pending
        case .refused(let errno):
            return .complete(-errno)
        case .connectionLost:
            // Noticed at the next event (the poll sees the socket close); until then it waits like the others.
            tagStates[tag] = .waiting
            return .pending
        }
    }

    public mutating func complete(_ request: Request, result: Int32, ring: borrowing Ring,
                                  userData: UInt64) -> Disposition {
        .complete(result)
    }

    public mutating func event(_ completion: Completion, ring: borrowing Ring, events: TargetEvents,
                               finish: (UInt16, Int32) -> Void) {
        let id = UInt16(truncatingIfNeeded: completion.userData)
        guard let event = Event(rawValue: id & 3) else { return }
        let current = id >> 2 == generation & 0x3FFF
        let now = ContinuousClock.now
        switch event {
        case .timer:
            if retryArmed && completion.userData == events.userData(Event.timer.rawValue | 1 << 15) {
                retryArmed = false
            }
            checkDeadline(now, finish: finish)
            if !reconnection.isConnected && !connecting && !retryArmed { startConnecting(ring, events, now) }
        case .readable where current, .writable where current:
            if event == .writable { pollOutArmed = false }
            if completion.result < 0 && completion.result != -ECANCELED {
                lost(ring, events, now, finish: finish)
                return
            }
            let alive = event == .readable ? readReplies() : connection.notifyWritable()
            deliver(finish)
            if !alive || connection.isDead {
                lost(ring, events, now, finish: finish)
                return
            }
            if event == .readable { try? watchReadable(ring, events) }
            armWriteIfNeeded(ring, events)
        case .connecting where current:
            let revents = UInt32(max(0, completion.result))
            if revents & UInt32(POLLOUT) != 0 { _ = connection.notifyWritable() }
            if revents & UInt32(POLLIN | POLLHUP | POLLERR) != 0 { _ = connection.notifyReadable() }
            if connection.isReady {
                connected(ring, events, finish: finish)
            } else if connection.isDead || completion.result < 0 {
                attemptFailed(ring, events, now, finish: finish)
            } else {
                try? watchConnecting(ring, events)
            }
        default:
            // A poll of a connection since closed.
            break
        }
    }

    // MARK: sending

    enum Sent {
        case sent
        case refused(Int32)
        case connectionLost
    }

    /// Sends the request of `tag` on the current connection.
    private mutating func send(_ tag: Int) -> Sent {
        let request = requests[tag]
        let descriptor = request.descriptor
        let callback = nbd_completion_callback(callback: nbdCommandCompleted, user_data: contexts + tag, free: nil)
        let offset = descriptor.startSector << 9
        let accepted: Bool
        switch descriptor.operation {
        case .read:
            guard let buffer = request.buffer else { return .refused(EIO) }
            accepted = connection.read(into: buffer, count: descriptor.byteCount, offset: offset, callback)
        case .write:
            guard let buffer = request.buffer else { return .refused(EIO) }
            accepted = connection.write(from: buffer, count: descriptor.byteCount, offset: offset,
                                        forceUnitAccess: descriptor.flags.contains(.forceUnitAccess), callback)
        case .flush:
            accepted = connection.flush(callback)
        case .discard:
            accepted = connection.trim(count: UInt64(descriptor.byteCount), offset: offset, callback)
        case .writeZeroes:
            accepted = connection.zero(count: UInt64(descriptor.byteCount), offset: offset,
                                       mayUnmap: !descriptor.flags.contains(.noUnmap), callback)
        default:
            return .refused(EOPNOTSUPP)
        }
        guard accepted else { return connection.isDead ? .connectionLost : .refused(EIO) }
        tagStates[tag] = .sent
        return .sent
    }

    /// Reads every reply already in the socket. libnbd finishes at most one reply per notification; taking the rest
    /// now, rather than one ring turn each, lets their commits go to the kernel together.
    private func readReplies() -> Bool {
        var finished = completions.pointee.count
        guard connection.notifyReadable() else { return false }
        while completions.pointee.count > finished, connection.inFlight > 0, connection.hasBufferedBytes {
            finished = completions.pointee.count
            guard connection.notifyReadable() else { return false }
        }
        return true
    }

    /// Hands the results libnbd's callbacks left to the queue: done, failed, or (the connection went) waiting.
    private mutating func deliver(_ finish: (UInt16, Int32) -> Void) {
        let done = completions
        for index in 0..<done.pointee.count {
            let tag = Int(done.pointee.tags[index])
            guard tagStates[tag] == .sent else { continue }
            let error = done.pointee.errors[index]
            if error == 0 {
                tagStates[tag] = .idle
                finish(UInt16(tag), Int32(truncatingIfNeeded: requests[tag].descriptor.byteCount))
            } else if Self.meansConnectionLost(error) {
                tagStates[tag] = .waiting
            } else {
                tagStates[tag] = .idle
                finish(UInt16(tag), -error)
            }
        }
        done.pointee.count = 0
    }

    static func meansConnectionLost(_ error: Int32) -> Bool {
        [ENOTCONN, ECONNRESET, EPIPE, ESHUTDOWN, ECONNABORTED, ETIMEDOUT].contains(error)
    }

    // MARK: the connection going and coming back

    private mutating func lost(_ ring: borrowing Ring, _ events: TargetEvents, _ now: ContinuousClock.Instant,
                               finish: (UInt16, Int32) -> Void) {
        counters.disconnects.add(1, ordering: .relaxed)
        counters.state.store(ConnectionStatus.State.reconnecting.rawValue, ordering: .relaxed)
        reconnection.lost(at: now)
        for tag in 0..<depth where tagStates[tag] == .sent { tagStates[tag] = .waiting }
        closeConnection(ring, events)
        armTimer(ring, events, slot: 1, after: reconnection.timeout)
        startConnecting(ring, events, now)
    }

    /// Closes the current connection; its polls are removed and any result libnbd still reports is dropped (the
    /// requests it held wait for the next connection).
    private mutating func closeConnection(_ ring: borrowing Ring, _ events: TargetEvents) {
        // A poll holds its socket open: remove them before the close. The removals' own completions carry this
        // generation, stale once it is bumped below.
        let removal = events.userData(eventID(.connecting))
        _ = try? ring.preparePollRemove(events.userData(eventID(.readable)), userData: removal)
        if pollOutArmed { _ = try? ring.preparePollRemove(events.userData(eventID(.writable)), userData: removal) }
        connection.close()
        completions.pointee.count = 0
        generation &+= 1
        pollOutArmed = false
    }

    private mutating func startConnecting(_ ring: borrowing Ring, _ events: TargetEvents,
                                          _ now: ContinuousClock.Instant) {
        do {
            var next = try NBDConnection(name: "ublkd-reconnect")
            do {
                try next.startConnecting(uri: uri)
            } catch {
                next.close()
                throw error
            }
            connection.close()
            connection = next
            connecting = true
            try watchConnecting(ring, events)
        } catch {
            connecting = false
            let delay = reconnection.attemptFailed(at: now)
            armTimer(ring, events, slot: 0, after: delay)
        }
    }

    private mutating func attemptFailed(_ ring: borrowing Ring, _ events: TargetEvents,
                                        _ now: ContinuousClock.Instant, finish: (UInt16, Int32) -> Void) {
        connecting = false
        connection.close()
        generation &+= 1
        checkDeadline(now, finish: finish)
        armTimer(ring, events, slot: 0, after: reconnection.attemptFailed(at: now))
    }

    private mutating func connected(_ ring: borrowing Ring, _ events: TargetEvents,
                                    finish: (UInt16, Int32) -> Void) {
        connecting = false
        reconnection.connected()
        counters.reconnects.add(1, ordering: .relaxed)
        counters.state.store(ConnectionStatus.State.connected.rawValue, ordering: .relaxed)
        try? watchReplies(ring, events)
        for tag in 0..<depth where tagStates[tag] == .waiting {
            if case .refused(let errno) = send(tag) {
                tagStates[tag] = .idle
                finish(UInt16(tag), -errno)
            }
        }
        armWriteIfNeeded(ring, events)
    }

    /// Past the reconnect timeout the waiting requests fail, and new ones will too until the server is back.
    private mutating func checkDeadline(_ now: ContinuousClock.Instant, finish: (UInt16, Int32) -> Void) {
        guard reconnection.checkDeadline(at: now) else { return }
        counters.state.store(ConnectionStatus.State.failing.rawValue, ordering: .relaxed)
        for tag in 0..<depth where tagStates[tag] == .waiting {
            tagStates[tag] = .idle
            finish(UInt16(tag), -EIO)
        }
    }

    // MARK: the ring's watches

    private func eventID(_ event: Event) -> UInt16 { event.rawValue | (generation & 0x3FFF) << 2 }

    private mutating func watchReplies(_ ring: borrowing Ring, _ events: TargetEvents) throws(Errno) {
        try watchReadable(ring, events)
        armWriteIfNeeded(ring, events)
    }

    /// One-shot, armed again after each reply: a poll checks readiness when armed, so replies libnbd left in the
    /// socket are seen (a multishot poll only reports new arrivals).
    private func watchReadable(_ ring: borrowing Ring, _ events: TargetEvents) throws(Errno) {
        try ring.preparePoll(connection.descriptor, events: UInt32(POLLIN), multishot: false,
                             userData: events.userData(eventID(.readable)))
    }

    private mutating func armWriteIfNeeded(_ ring: borrowing Ring, _ events: TargetEvents) {
        guard !pollOutArmed, connection.wantsWrite else { return }
        if (try? ring.preparePoll(connection.descriptor, events: UInt32(POLLOUT), multishot: false,
                                  userData: events.userData(eventID(.writable)))) != nil {
            pollOutArmed = true
        }
    }

    private func watchConnecting(_ ring: borrowing Ring, _ events: TargetEvents) throws(Errno) {
        var mask: UInt32 = 0
        if connection.direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 { mask |= UInt32(POLLIN) }
        if connection.wantsWrite { mask |= UInt32(POLLOUT) }
        try ring.preparePoll(connection.descriptor, events: mask == 0 ? UInt32(POLLIN) : mask, multishot: false,
                             userData: events.userData(eventID(.connecting)))
    }

    /// Slot 0 times the next attempt (its event carries bit 15, so its completion is told apart), slot 1 the
    /// deadline of the waiting requests.
    private mutating func armTimer(_ ring: borrowing Ring, _ events: TargetEvents, slot: Int, after delay: Duration) {
        intervals[slot].set(max(delay, .milliseconds(1)))
        let id = Event.timer.rawValue | (slot == 0 ? 1 << 15 : 0)
        if (try? ring.prepareTimeout(intervals + slot, userData: events.userData(id))) != nil, slot == 0 {
            retryArmed = true
        }
    }

    public mutating func release() {
        connection.disconnect()
        completions.pointee.release()
        completions.deallocate()
        contexts.deallocate()
        tagStates.deallocate()
        requests.deallocate()
        intervals.deallocate()
    }
}
