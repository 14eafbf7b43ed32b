import CURing
import SystemPackage

/// Typed submissions. Each prepares one entry; nothing reaches the kernel before `submit`/`submitAndWait`.
extension Ring {
    /// The SQE for the next submission; EAGAIN when the submission queue is full.
    @inlinable @inline(__always)
    func entry(_ slot: SubmissionSlot = .shared) throws(Errno) -> UnsafeMutablePointer<io_uring_sqe> {
        let found: UnsafeMutablePointer<io_uring_sqe>?
        switch slot {
        case .shared where reservedEntries == 0:
            found = io_uring_get_sqe(ring)
        case .shared:
            found = curing_get_sqe_at(ring, nextShared, pendingLimit)
            if found != nil {
                nextShared = nextShared + 1 == curing_sq_entries(ring) ? reservedEntries : nextShared + 1
            }
        case .reserved(let index):
            precondition(index < reservedEntries, "SQE \(index) is not one of the \(reservedEntries) reserved")
            found = curing_get_sqe_at(ring, index, pendingLimit)
        }
        guard let found else { throw Errno.resourceTemporarilyUnavailable }
        lastEntry = found
        return found
    }

    @inlinable @inline(__always)
    func nextEntry(_ file: FileReference, _ slot: SubmissionSlot = .shared) throws(Errno)
        -> (UnsafeMutablePointer<io_uring_sqe>, Int32)
    {
        let sqe = try entry(slot)
        switch file {
        case .descriptor(let fd): return (sqe, fd)
        case .fixed(let index): return (sqe, index)
        }
    }

    /// Links the entry prepared last to the next one: the next runs only once this one has succeeded in full (a
    /// read or write that moved fewer bytes than asked counts as failed), and this one posts a completion only if
    /// it fails, in which case the next is cancelled without a completion of its own. So the pair costs one
    /// completion, the next one's, when all goes well.
    @inlinable @inline(__always)
    public func runNextOnlyOnSuccess() {
        guard let lastEntry else { return }
        lastEntry.pointee.flags |= curing_iosqe_io_link() | curing_iosqe_cqe_skip_success()
    }

    @inlinable @inline(__always)
    func finish(_ sqe: UnsafeMutablePointer<io_uring_sqe>, _ file: FileReference, userData: UInt64) {
        if case .fixed = file { sqe.pointee.flags |= curing_iosqe_fixed_file() }
        io_uring_sqe_set_data64(sqe, userData)
    }

    @inlinable
    public func prepareRead(_ file: FileReference, into buffer: UnsafeMutableRawPointer, count: Int, offset: Int64,
                            userData: UInt64) throws(Errno) {
        let (sqe, fd) = try nextEntry(file)
        io_uring_prep_read(sqe, fd, buffer, UInt32(count), UInt64(bitPattern: offset))
        finish(sqe, file, userData: userData)
    }

    /// `forceUnitAccess` makes the write durable before it completes (`RWF_DSYNC`).
    @inlinable
    public func prepareWrite(_ file: FileReference, from buffer: UnsafeRawPointer, count: Int, offset: Int64,
                             forceUnitAccess: Bool = false, userData: UInt64) throws(Errno) {
        let (sqe, fd) = try nextEntry(file)
        io_uring_prep_write(sqe, fd, buffer, UInt32(count), UInt64(bitPattern: offset))
        if forceUnitAccess { curing_sqe_set_rw_flags(sqe, RWF_DSYNC) }
        finish(sqe, file, userData: userData)
    }

    /// Reads into registered buffer `bufferIndex`, at `bufferOffset` bytes into it. With a kernel-installed buffer
    /// (ublk zero copy) the buffer's address is its base 0, so the offset is the address.
    @inlinable
    public func prepareReadFixed(_ file: FileReference, bufferIndex: UInt16, bufferOffset: UInt64, count: Int,
                                 offset: Int64, userData: UInt64) throws(Errno) {
        let (sqe, fd) = try nextEntry(file)
        io_uring_prep_rw(Int32(IORING_OP_READ_FIXED.rawValue), sqe, fd, UnsafeRawPointer(bitPattern: UInt(bufferOffset)),
                         UInt32(count), UInt64(bitPattern: offset))
        curing_sqe_set_addr(sqe, bufferOffset)
        curing_sqe_set_buf_index(sqe, bufferIndex)
        finish(sqe, file, userData: userData)
    }

    @inlinable
    public func prepareWriteFixed(_ file: FileReference, bufferIndex: UInt16, bufferOffset: UInt64, count: Int,
                                  offset: Int64, forceUnitAccess: Bool = false, userData: UInt64) throws(Errno) {
        let (sqe, fd) = try nextEntry(file)
        io_uring_prep_rw(Int32(IORING_OP_WRITE_FIXED.rawValue), sqe, fd, UnsafeRawPointer(bitPattern: UInt(bufferOffset)),
                         UInt32(count), UInt64(bitPattern: offset))
        curing_sqe_set_addr(sqe, bufferOffset)
        curing_sqe_set_buf_index(sqe, bufferIndex)
        if forceUnitAccess { curing_sqe_set_rw_flags(sqe, RWF_DSYNC) }
        finish(sqe, file, userData: userData)
    }

    /// `fsync`, or `fdatasync` when `dataOnly`.
    @inlinable
    public func prepareSync(_ file: FileReference, dataOnly: Bool, userData: UInt64) throws(Errno) {
        let (sqe, fd) = try nextEntry(file)
        io_uring_prep_fsync(sqe, fd, dataOnly ? IORING_FSYNC_DATASYNC : 0)
        finish(sqe, file, userData: userData)
    }

    /// `fallocate(fd, mode, offset, length)`: punch holes, zero ranges, preallocate.
    @inlinable
    public func prepareFallocate(_ file: FileReference, mode: Int32, offset: Int64, length: Int64,
                                 userData: UInt64) throws(Errno) {
        let (sqe, fd) = try nextEntry(file)
        io_uring_prep_fallocate(sqe, fd, mode, Int(offset), Int(length))
        finish(sqe, file, userData: userData)
    }

    /// Waits for `events` (POLLIN, POLLOUT) on `descriptor`; `multishot` stays armed and posts a completion with
    /// `Completion.hasMore` at each readiness until removed or the file goes.
    public func preparePoll(_ descriptor: Int32, events: UInt32, multishot: Bool, userData: UInt64) throws(Errno) {
        let sqe = try entry()
        if multishot {
            io_uring_prep_poll_multishot(sqe, descriptor, events)
        } else {
            io_uring_prep_poll_add(sqe, descriptor, events)
        }
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Removes the poll submitted with `target` as its user data; that poll then completes with -ECANCELED.
    public func preparePollRemove(_ target: UInt64, userData: UInt64) throws(Errno) {
        let sqe = try entry()
        io_uring_prep_poll_remove(sqe, target)
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Completes with -ETIME after the interval `timer` holds (which must stay valid until the submission).
    public func prepareTimeout(_ timer: UnsafeMutablePointer<TimerInterval>, userData: UInt64) throws(Errno) {
        let sqe = try entry()
        timer.withMemoryRebound(to: __kernel_timespec.self, capacity: 1) { io_uring_prep_timeout(sqe, $0, 0, 0) }
        io_uring_sqe_set_data64(sqe, userData)
    }

    public func prepareNop(userData: UInt64) throws(Errno) {
        let sqe = try entry()
        io_uring_prep_nop(sqe)
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// `IORING_OP_URING_CMD`: `payload` is copied into the command area (16 bytes fit a 64-byte SQE, 80 an SQE128
    /// one). `address` fills the SQE's addr field (ublk zero copy passes its buffer slot there, batch commands their
    /// element array), `length` its len field (the array's bytes).
    @inlinable
    public func prepareCommand<Payload: BitwiseCopyable>(
        _ file: FileReference, operation: UInt32, payload: Payload, address: UInt64 = 0, length: UInt32 = 0,
        slot: SubmissionSlot = .shared, userData: UInt64
    ) throws(Errno) {
        let sqe = try commandEntry(file, operation: operation, payload: payload, slot: slot)
        if address != 0 { curing_sqe_set_addr(sqe, address) }
        if length != 0 { curing_sqe_set_len(sqe, length) }
        finish(sqe, file, userData: userData)
    }

    /// A multishot `IORING_OP_URING_CMD` (`IORING_URING_CMD_MULTISHOT`): it stays armed and posts a completion with
    /// `Completion.hasMore` each time the driver has something, in a buffer it takes from `bufferGroup`.
    public func prepareMultishotCommand<Payload: BitwiseCopyable>(
        _ file: FileReference, operation: UInt32, payload: Payload, bufferGroup: UInt16, userData: UInt64
    ) throws(Errno) {
        let sqe = try commandEntry(file, operation: operation, payload: payload)
        curing_sqe_set_uring_cmd_flags(sqe, Self.uringCommandMultishot)
        curing_sqe_select_buffer(sqe, bufferGroup)
        finish(sqe, file, userData: userData)
    }

    /// `IORING_URING_CMD_MULTISHOT` (kernel 6.19+; newer than the host's headers).
    static let uringCommandMultishot: UInt32 = 1 << 1

    @inlinable @inline(__always)
    func commandEntry<Payload: BitwiseCopyable>(_ file: FileReference, operation: UInt32, payload: Payload,
                                                slot: SubmissionSlot = .shared)
        throws(Errno) -> UnsafeMutablePointer<io_uring_sqe>
    {
        let capacity = submissionEntrySize - 48
        precondition(MemoryLayout<Payload>.size <= capacity, "command payload larger than the SQE's command area")
        let (sqe, fd) = try nextEntry(file, slot)
        withUnsafeBytes(of: payload) {
            curing_prep_uring_cmd(sqe, fd, operation, $0.baseAddress, UInt32($0.count), UInt32(submissionEntrySize))
        }
        return sqe
    }
}

/// The interval of an io_uring timeout (`struct __kernel_timespec`), kept by its owner until submitted.
public struct TimerInterval: Sendable {
    var timespec = __kernel_timespec()

    public init() {}

    public mutating func set(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        timespec = __kernel_timespec(tv_sec: seconds, tv_nsec: attoseconds / 1_000_000_000)
    }
}
