import CURing
import SystemPackage

/// One io_uring instance; the ring is torn down when the last reference goes away.
///
/// Not `Sendable`: the kernel's ublk queues require that one thread submits everything on a queue's ring, and the
/// type system keeps it that way. Submissions are typed methods that throw `Errno.resourceTemporarilyUnavailable`
/// (EAGAIN) when the submission queue is full, so the caller submits and tries again.
public final class Ring {
    // SAFETY: `ring` is allocated once in init, handed only to liburing, and freed in deinit after
    // io_uring_queue_exit. `batch` holds CQE pointers for one
    // drain at a time and is only touched by the thread that owns the ring.
    @usableFromInline let ring: UnsafeMutablePointer<io_uring>
    @usableFromInline let batch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    @usableFromInline let batchCapacity: Int
    /// Bytes per SQE: 128 with `.sqe128` (ublk control commands need it), else 64.
    public let submissionEntrySize: Int
    /// SQEs 0..<reservedEntries are the caller's own (`SubmissionSlot.reserved`); the others are handed out in
    /// turn. Zero: liburing's own order, every SQE in turn.
    @usableFromInline let reservedEntries: UInt32
    /// How many SQEs may wait for the kernel at once: with reserved SQEs, no more than the others, so that an SQE
    /// handed out in turn has always been read by the kernel before it comes round again.
    @usableFromInline let pendingLimit: UInt32
    @usableFromInline var nextShared: UInt32
    /// The entry prepared last, for `runNextOnlyOnSuccess`.
    @usableFromInline var lastEntry: UnsafeMutablePointer<io_uring_sqe>?

    /// `reservedEntries` keeps that many SQEs out of the shared turn for `SubmissionSlot.reserved`; `entries`
    /// counts them too.
    public init(entries: UInt32, options: SetupOptions = [], completionEntries: UInt32? = nil,
                reservedEntries: UInt32 = 0) throws(Errno) {
        var params = io_uring_params()
        params.flags = options.rawValue
        if let completionEntries {
            params.flags |= IORING_SETUP_CQSIZE
            params.cq_entries = completionEntries
        }
        let ring = UnsafeMutablePointer<io_uring>.allocate(capacity: 1)
        ring.initialize(to: io_uring())
        let rc = io_uring_queue_init_params(entries, ring, &params)
        guard rc == 0 else {
            ring.deallocate()
            throw Errno(rawValue: -rc)
        }
        self.ring = ring
        self.batchCapacity = Int(params.cq_entries)
        self.batch = .allocate(capacity: batchCapacity)
        self.submissionEntrySize = options.contains(.sqe128) ? 128 : 64
        let sqEntries = curing_sq_entries(ring)
        guard reservedEntries < sqEntries else {
            io_uring_queue_exit(ring)
            ring.deallocate()
            batch.deallocate()
            throw .invalidArgument
        }
        self.reservedEntries = reservedEntries
        self.pendingLimit = sqEntries - reservedEntries
        self.nextShared = reservedEntries
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
        batch.deallocate()
    }

    /// Submission slots still free before the next `submit`.
    @inlinable
    public var freeSubmissionSlots: Int {
        let left = Int(io_uring_sq_space_left(ring))
        return reservedEntries == 0 ? left : max(0, left - Int(reservedEntries))
    }

    // MARK: submitting

    /// Hands every prepared entry to the kernel. Returns how many it took.
    @discardableResult
    public func submit() throws(Errno) -> Int {
        try retryingInterrupts { io_uring_submit(ring) }
    }

    /// Hands every prepared entry to the kernel and waits until at least `minimumCompletions` are ready, in one
    /// `io_uring_enter`.
    @inlinable @discardableResult
    public func submitAndWait(_ minimumCompletions: UInt32 = 1) throws(Errno) -> Int {
        try retryingInterrupts { io_uring_submit_and_wait(ring, minimumCompletions) }
    }

    @inlinable @inline(__always)
    func retryingInterrupts(_ call: () -> Int32) throws(Errno) -> Int {
        while true {
            let rc = call()
            if rc >= 0 { return Int(rc) }
            if rc == -EINTR { continue }
            throw Errno(rawValue: -rc)
        }
    }

    // MARK: completing

    /// Completions waiting to be drained.
    @inlinable
    public var readyCompletions: Int { Int(io_uring_cq_ready(ring)) }

    /// Calls `body` for every completion ready now, without waiting, then marks them consumed. Returns the count.
    @inlinable @inline(__always) @discardableResult
    public func drainCompletions<E: Error>(_ body: (Completion) throws(E) -> Void) throws(E) -> Int {
        let count = Int(io_uring_peek_batch_cqe(ring, batch, UInt32(batchCapacity)))
        var index = 0
        defer { io_uring_cq_advance(ring, UInt32(index)) }
        while index < count {
            let cqe = batch[index]!.pointee
            index += 1
            try body(Completion(userData: cqe.user_data, result: cqe.res, flags: cqe.flags))
        }
        return count
    }

    /// Waits until a completion is ready or `timeout` passes, without consuming it. False when the time ran out.
    public func wait(timeout: Duration) throws(Errno) -> Bool {
        let (seconds, attoseconds) = timeout.components
        var interval = __kernel_timespec(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        let rc = io_uring_wait_cqe_timeout(ring, &cqe, &interval)
        if rc == -ETIME { return false }
        if rc < 0 && rc != -EINTR { throw Errno(rawValue: -rc) }
        return true
    }

    /// Waits for one completion and consumes it.
    public func waitCompletion() throws(Errno) -> Completion {
        var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
        _ = try retryingInterrupts { io_uring_wait_cqe(ring, &cqe) }
        let completion = Completion(userData: cqe!.pointee.user_data, result: cqe!.pointee.res,
                                    flags: cqe!.pointee.flags)
        io_uring_cqe_seen(ring, cqe)
        return completion
    }

    // MARK: registration

    /// Registers `descriptors` as the ring's fixed-file table; `FileReference.fixed(i)` then names the i-th.
    public func registerFiles(_ descriptors: [Int32]) throws(Errno) {
        let rc = descriptors.withUnsafeBufferPointer {
            io_uring_register_files(ring, $0.baseAddress, UInt32($0.count))
        }
        if rc < 0 { throw Errno(rawValue: -rc) }
    }

    /// Registers an empty buffer table of `count` slots, for buffers the kernel installs itself (ublk's
    /// `AUTO_BUF_REG` zero copy).
    public func registerSparseBuffers(count: UInt32) throws(Errno) {
        let rc = io_uring_register_buffers_sparse(ring, count)
        if rc < 0 { throw Errno(rawValue: -rc) }
    }

}

/// Flags for `io_uring_setup`.
public struct SetupOptions: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// 128-byte submission entries: the ublk control device rejects rings without them.
    public static let sqe128 = SetupOptions(rawValue: IORING_SETUP_SQE128)
    /// Task work runs at the next enter instead of interrupting the thread: fewer context switches.
    public static let cooperativeTaskRun = SetupOptions(rawValue: IORING_SETUP_COOP_TASKRUN)
    public static let singleIssuer = SetupOptions(rawValue: IORING_SETUP_SINGLE_ISSUER)
    public static let deferTaskRun = SetupOptions(rawValue: IORING_SETUP_DEFER_TASKRUN)
}

/// One completion: what a submission's `userData` was, and its result.
public struct Completion: Sendable, Equatable {
    public var userData: UInt64
    /// Bytes or another non-negative value on success, `-errno` on failure.
    public var result: Int32
    public var flags: UInt32

    public init(userData: UInt64, result: Int32, flags: UInt32 = 0) {
        self.userData = userData
        self.result = result
        self.flags = flags
    }

    /// `IORING_CQE_F_MORE`: the multishot submission behind this completion stays armed.
    public var hasMore: Bool { flags & IORING_CQE_F_MORE != 0 }

    /// `IORING_CQE_F_BUFFER`: the id of the provided buffer the kernel filled, or nil if it took none.
    public var bufferID: UInt16? {
        flags & IORING_CQE_F_BUFFER != 0 ? UInt16(truncatingIfNeeded: flags >> IORING_CQE_BUFFER_SHIFT) : nil
    }

    /// The error the kernel reported, or nil on success.
    public var error: Errno? { result < 0 ? Errno(rawValue: -result) : nil }
}

/// Which SQE a submission is written to.
public enum SubmissionSlot: Sendable, Equatable {
    /// The next one in turn.
    case shared
    /// SQE `index` of the ring's reserved ones: the caller keeps it from one submission to the next. What a
    /// kernel may read from the SQE after the submission (a linked URING_CMD on 6.12) stays as written until the
    /// caller writes to that slot again.
    case reserved(UInt32)
}

/// Which file a submission targets: a plain descriptor, or a slot of the ring's fixed-file table.
public enum FileReference: Sendable, Equatable {
    case descriptor(Int32)
    case fixed(Int32)
}
