import CNBD
import Glibc
import SystemPackage

/// One connection to an NBD server through libnbd, which owns the protocol: the handshake, the replies,
/// TLS, URIs. A queue's connection is driven by its queue thread alone (aio calls, notifications, completion
/// callbacks all run there). A value, not a class: the request path touches no reference count.
///
/// SAFETY: `handle` comes from `nbd_create` in init and goes to `nbd_close` exactly once, in `close()`, which its
/// owner calls before dropping it; no method is called after `close()`.
struct NBDConnection {
    private var handle: OpaquePointer?

    init(name: String) throws(EngineError) {
        guard let created = nbd_create() else { throw Self.failure("nbd_create") }
        handle = created
        _ = nbd_set_handle_name(created, name)
        // The buffers are the queue's own, filled in full by every successful read: libnbd need not clear them.
        _ = nbd_set_pread_initialize(created, false)
        // Simple replies, as the kernel's own client reads them: a structured read reply takes libnbd four reads
        // of the socket (header, its rest, the chunk's offset, the data), a simple one two. What structured replies
        // add (holes sent as such, per-chunk errors, block status) ublkd does not use.
        _ = nbd_set_request_structured_replies(created, false)
        // A URI may name its TLS key file (tls-psk-file); the operator wrote the URI.
        _ = nbd_set_uri_allow_local_file(created, true)
    }

    mutating func close() {
        if let handle { nbd_close(handle) }
        handle = nil
    }

    private var h: OpaquePointer { handle! }

    /// Connects and negotiates, blocking until the export is ready to use or `timeout` passes (a server that
    /// never answers must not hold a create or a restart for the minutes a TCP connect can take).
    func connect(uri: String, timeout: Duration = NBDConnection.connectTimeout) throws(EngineError) {
        try startConnecting(uri: uri)
        let deadline = ContinuousClock.now + timeout
        while !isReady {
            if isDead { throw Self.failure("connecting to the export") }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw .network(what: "connecting to the export", message: "no answer within \(timeout)",
                               errno: .timedOut)
            }
            var events: Int16 = 0
            if direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 { events |= Int16(POLLIN) }
            if wantsWrite { events |= Int16(POLLOUT) }
            var watched = pollfd(fd: descriptor, events: events, revents: 0)
            let (seconds, attoseconds) = left.components
            let ready = poll(&watched, 1, Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000, 1000)))
            if ready < 0 && errno != EINTR { throw Self.failure("waiting for the server") }
            if ready <= 0 { continue }
            if watched.revents & Int16(POLLOUT) != 0 { _ = notifyWritable() }
            if watched.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { _ = notifyReadable() }
        }
    }

    static let connectTimeout: Duration = .seconds(10)

    /// Asks the server to finish what it was sent and then closes, waiting at most `timeout` (the replies are
    /// dropped: the driver gives their requests to the next server). Closing with commands in flight instead can
    /// crash a server (nbdkit 1.32 asserts in raw_send_socket when a reply races the socket's close).
    mutating func disconnect(timeout: Duration = .seconds(2)) {
        guard handle != nil, isReady, nbd_aio_in_flight(h) > 0, nbd_aio_disconnect(h, 0) == 0 else {
            close()
            return
        }
        let deadline = ContinuousClock.now + timeout
        while !isDead && ContinuousClock.now < deadline {
            var events: Int16 = 0
            if direction & UInt32(LIBNBD_AIO_DIRECTION_READ) != 0 { events |= Int16(POLLIN) }
            if wantsWrite { events |= Int16(POLLOUT) }
            var watched = pollfd(fd: descriptor, events: events == 0 ? Int16(POLLIN) : events, revents: 0)
            guard poll(&watched, 1, 100) >= 0 || errno == EINTR else { break }
            if watched.revents & Int16(POLLOUT) != 0 { _ = notifyWritable() }
            if watched.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                if !notifyReadable() { break }
            }
        }
        close()
    }

    /// Starts connecting without blocking; the socket then needs driving (`descriptor`, `direction`, `notify*`)
    /// until `isReady` or `isDead`.
    func startConnecting(uri: String) throws(EngineError) {
        if nbd_aio_connect_uri(h, uri) != 0 { throw Self.failure("connecting to the export") }
    }

    var export: NBDExport {
        let size = nbd_get_size(h)
        let maximum = nbd_get_block_size(h, Int32(LIBNBD_SIZE_MAXIMUM))
        return NBDExport(
            sizeBytes: size > 0 ? UInt64(size) : 0, readOnly: nbd_is_read_only(h) == 1,
            canFlush: nbd_can_flush(h) == 1, canFUA: nbd_can_fua(h) == 1, canTrim: nbd_can_trim(h) == 1,
            canZero: nbd_can_zero(h) == 1, canMultiConn: nbd_can_multi_conn(h) == 1,
            maximumBlockBytes: maximum > 0 ? UInt64(maximum) : nil,
            tls: nbd_get_tls_negotiated(h) == 1)
    }

    // MARK: driving the socket

    var descriptor: Int32 { nbd_aio_get_fd(h) }
    /// What the connection waits for: LIBNBD_AIO_DIRECTION_READ and/or _WRITE.
    var direction: UInt32 { nbd_aio_get_direction(h) }
    var isReady: Bool { nbd_aio_is_ready(h) == 1 || nbd_aio_is_processing(h) == 1 }
    var isDead: Bool { nbd_aio_is_dead(h) == 1 || nbd_aio_is_closed(h) == 1 }
    var wantsWrite: Bool { direction & UInt32(LIBNBD_AIO_DIRECTION_WRITE) != 0 }

    /// The socket is readable (or writable): libnbd reads (writes) what it can. False when the connection failed.
    func notifyReadable() -> Bool { nbd_aio_notify_read(h) == 0 }
    func notifyWritable() -> Bool { nbd_aio_notify_write(h) == 0 }
    /// Commands issued and not yet answered.
    var inFlight: Int { Int(nbd_aio_in_flight(h)) }
    /// Whether bytes wait in the socket. libnbd must not be told the socket is readable when it is not: a reply's
    /// first read that finds nothing leaves it mid-reply, holding back the commands issued after it.
    var hasBufferedBytes: Bool {
        var count: Int32 = 0
        return ioctl(descriptor, UInt(FIONREAD), &count) == 0 && count > 0
    }

    // MARK: commands; the completion runs `callback` with `context` on this thread, from a later notify

    func read(into buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64,
              _ completion: nbd_completion_callback) -> Bool {
        nbd_aio_pread(h, buffer, count, offset, completion, 0) >= 0
    }

    func write(from buffer: UnsafeRawPointer, count: Int, offset: UInt64, forceUnitAccess: Bool,
               _ completion: nbd_completion_callback) -> Bool {
        nbd_aio_pwrite(h, buffer, count, offset, completion, forceUnitAccess ? UInt32(LIBNBD_CMD_FLAG_FUA) : 0) >= 0
    }

    func flush(_ completion: nbd_completion_callback) -> Bool {
        nbd_aio_flush(h, completion, 0) >= 0
    }

    func trim(count: UInt64, offset: UInt64, _ completion: nbd_completion_callback) -> Bool {
        nbd_aio_trim(h, count, offset, completion, 0) >= 0
    }

    func zero(count: UInt64, offset: UInt64, mayUnmap: Bool, _ completion: nbd_completion_callback) -> Bool {
        nbd_aio_zero(h, count, offset, completion, mayUnmap ? 0 : UInt32(LIBNBD_CMD_FLAG_NO_HOLE)) >= 0
    }

    // MARK: errors

    /// Whether this libnbd can speak TLS at all (`nbds://`).
    static var supportsTLS: Bool {
        guard let probe = nbd_create() else { return false }
        defer { nbd_close(probe) }
        return nbd_supports_tls(probe) == 1
    }

    /// libnbd's own message for the failed call, which names the cause (refused connection, unknown export, TLS).
    static func failure(_ what: String) -> EngineError {
        let message = nbd_get_error().map { String(cString: $0) } ?? "unknown error"
        let code = nbd_get_errno()
        return .network(what: what, message: message, errno: Errno(rawValue: code == 0 ? EIO : code))
    }
}

/// What an export offers, as the server told at the handshake.
public struct NBDExport: Sendable, Equatable {
    public var sizeBytes: UInt64
    public var readOnly: Bool
    public var canFlush: Bool
    public var canFUA: Bool
    public var canTrim: Bool
    public var canZero: Bool
    /// Several connections see one another's writes, and a flush on one covers all (NBD_FLAG_CAN_MULTI_CONN).
    public var canMultiConn: Bool
    public var maximumBlockBytes: UInt64?
    public var tls: Bool

    /// Why a device of this size, access and queue count cannot be served from this export, if it cannot.
    public func refusal(sizeBytes: UInt64, readOnly: Bool, queues: Int) -> String? {
        if sizeBytes > self.sizeBytes {
            return "the export holds \(self.sizeBytes) bytes, less than the device size \(sizeBytes)"
        }
        if self.readOnly && !readOnly { return "the export is read-only" }
        if queues > 1 && !canMultiConn {
            return "the server does not let several connections share the export (no NBD multi-conn): "
                + "use \"queues\": 1"
        }
        return nil
    }
}
