import UblkABI
import URing

/// A backing store: opened and validated before the device exists, then asked for one handler per queue.
///
/// Targets see requests and the queue ring's submission methods, never the queue's own state: they cannot commit,
/// fetch, or touch another tag.
public protocol Target: AnyObject, Sendable {
    associatedtype Handler: QueueHandler
    /// What the target reports about itself (shown in device info), e.g. "O_DIRECT".
    var ioDescription: String { get }
    /// Whether the target can serve requests whose data it never sees (ublk zero copy: the kernel lends the
    /// request's pages to the ring, and only io_uring fixed-buffer operations reach them).
    var supportsZeroCopy: Bool { get }
    /// Whether FLUSH and FUA mean anything here (a volatile cache the kernel must ask us to flush).
    var hasVolatileCache: Bool { get }
    /// Whether a write can be made durable on its own (FUA) rather than through a later FLUSH.
    var forceUnitAccess: Bool { get }
    /// Whether the target has connections to report (network storage): fixed for the target's life.
    var hasConnections: Bool { get }
    /// The state of the target's connections, for targets that have them (network storage).
    var connectionStatus: ConnectionStatus? { get }
    /// DISCARD / WRITE_ZEROES limits, or nil if the target offers neither.
    func discardParams(logicalBlockSize: Int) -> DiscardParams?
    /// Makes the backing store hold at least `bytes`, before the device grows to that size.
    func prepareCapacity(_ bytes: UInt64) throws(EngineError)
    /// A handler for one queue, used only by that queue's thread.
    func makeHandler(queue: Int, depth: Int) throws(EngineError) -> Handler
    /// Releases what `open` acquired; called once every queue has stopped.
    func close()
}

extension Target {
    public var forceUnitAccess: Bool { hasVolatileCache }
    public var hasConnections: Bool { false }
    public var connectionStatus: ConnectionStatus? { nil }
}

/// Serves the requests of one queue. Runs only on that queue's thread; must not allocate, lock or block.
public protocol QueueHandler {
    /// Descriptors the queue registers in its ring after the char device; the handler names them
    /// `.fixed(1)`, `.fixed(2)`, ... in its submissions.
    var fixedFiles: [Int32] { get }
    /// Starts serving a request: finish it at once, or submit backing I/O on `ring` tagged with `userData` and
    /// finish it in `complete`.
    mutating func serve(_ request: Request, ring: borrowing Ring, userData: UInt64) -> Disposition
    /// A backing operation submitted for `request` completed with `result`.
    mutating func complete(_ request: Request, result: Int32, ring: borrowing Ring, userData: UInt64) -> Disposition
    /// Called once on the queue thread before the first request: submits what the target watches for itself (a
    /// socket's readiness), with user data from `events`.
    mutating func start(ring: borrowing Ring, events: TargetEvents) throws(EngineError)
    /// A completion of one of the target's own submissions. The requests it finishes go to `finish` (tag, result),
    /// each exactly once, as if `complete` had returned `.complete(result)` for it.
    mutating func event(_ completion: Completion, ring: borrowing Ring, events: TargetEvents,
                        finish: (UInt16, Int32) -> Void)
    /// Frees per-queue memory after the queue's last request.
    mutating func release()
}

extension QueueHandler {
    public mutating func start(ring: borrowing Ring, events: TargetEvents) throws(EngineError) {}
    public mutating func event(_ completion: Completion, ring: borrowing Ring, events: TargetEvents,
                               finish: (UInt16, Int32) -> Void) {}
}

/// The user data of a target's own submissions: 16 bits of the target's choosing, told apart from the queue's.
public struct TargetEvents: Sendable {
    @inline(__always)
    public func userData(_ id: UInt16) -> UInt64 { CompletionKind.targetEvent.userData(Int(id)) }
}

/// A request as a target sees it.
public struct Request {
    public let tag: UInt16
    public let descriptor: IODescriptor
    /// The tag's data buffer in copy mode: holds WRITE data on arrival, and receives READ data. nil with zero
    /// copy, where the request's own pages sit in slot `tag` of the ring's buffer table instead.
    public let buffer: UnsafeMutableRawPointer?
    /// The queue can commit this request in the kernel right behind one backing operation (`Disposition.linked`).
    public let commitMayFollow: Bool

    @inline(__always)
    public init(tag: UInt16, descriptor: IODescriptor, buffer: UnsafeMutableRawPointer?, commitMayFollow: Bool = false) {
        self.tag = tag
        self.descriptor = descriptor
        self.buffer = buffer
        self.commitMayFollow = commitMayFollow
    }
}

/// What a handler did with a request.
public enum Disposition: Equatable {
    /// Done: bytes transferred (the whole request) or a negative errno.
    case complete(Int32)
    /// Backing I/O is under way; `complete` will be called.
    case pending
    /// Only where `Request.commitMayFollow`: one backing operation is prepared, last, with
    /// `Ring.runNextOnlyOnSuccess`, and its full success is the whole request's. The queue commits the request
    /// right behind it, so the kernel does so the moment it completes, with no turn through user space; `complete`
    /// hears of it only if it fails or falls short, and the request is then finished as after `pending`.
    case linked
}

extension Disposition {
    /// The whole request succeeded. The driver takes any non-negative result for FLUSH/DISCARD/WRITE_ZEROES; for
    /// READ/WRITE, 7.x treats a short result as the whole request, so anything but the full length would lie.
    @inline(__always)
    static func success(_ request: Request) -> Disposition {
        .complete(Int32(truncatingIfNeeded: request.descriptor.byteCount))
    }
}
