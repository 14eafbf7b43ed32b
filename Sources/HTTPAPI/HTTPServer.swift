import CMicroHTTPD
import Dispatch
import Foundation
import Logging
import Synchronization

/// The transport: libmicrohttpd's epoll event loop (`threads` of them) reads each request in full (bodies capped at
/// `Router.maxBodyBytes`) and writes each answer. A request whose handler only reads memory (its `route`'s
/// placement is `.eventLoop`: a poll of /stats, /metrics, /health) is answered right there, which costs no thread switch. Any
/// other one (a create, a delete, a resize growing a file, the store's history) may wait on the kernel or a disk: its
/// connection is suspended and the handler runs on a thread of its own, so the event loop, and every poller on it,
/// never waits for it. `observer` sees each request with its measured duration (for metrics); the access log
/// writes a line for what an operator needs (see `AccessLog`).
public final class HTTPServer: Sendable {
    // SAFETY: `daemon` is the MHD handle from start to stop, set once in init. The callbacks receive `boxPointer`,
    // a retained Box released only after every worker has finished and MHD_stop_daemon has joined its threads.
    nonisolated(unsafe) private var daemon: OpaquePointer?
    nonisolated(unsafe) private var boxPointer: UnsafeMutableRawPointer?
    private let stopped = Mutex(false)
    private let listeningSocket = Mutex<Int32?>(nil)
    public let port: Int

    /// How much the event loops lower their scheduling priority (nice): when the CPUs are busy, the queue threads
    /// serving I/O go first, and pollers flat out cannot take the disks' CPU (the workers keep the daemon's
    /// priority: a create or a recovery is not to be slowed).
    public static let eventLoopNiceness = 10

    /// Each connection's memory pool in libmicrohttpd (its default is 32 KiB): the request line, the headers and
    /// the start of a body are read into it. libmicrohttpd zeroes the whole pool between two requests on a
    /// keep-alive connection, and on a poll of /stats that memset cost about as much as the router did. Headers
    /// longer than about half the pool (8 KiB, what nginx takes by default) get 431 from libmicrohttpd; 8 KiB
    /// would cost little less and refuse a browser carrying 4 KiB of cookies for other sites on localhost. Bodies
    /// stream through in pieces whatever the pool's size.
    static let connectionMemoryBytes = 16 * 1024

    /// Binds `address` ("127.0.0.1:7878", "[::1]:7878", "0.0.0.0:0" for any free port) and starts serving with
    /// `threads` event loops.
    public init(listen address: ListenAddress, threads: Int = 1, niceness: Int = HTTPServer.eventLoopNiceness,
                logger: Logger,
                observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)? = nil,
                route: @escaping @Sendable (_ method: String, _ path: String) -> RouteMatch,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        var storage = sockaddr_storage()
        let flags = try address.fill(&storage)
        let box = Box(handler: handler, route: route, observer: observer, log: AccessLog(logger: logger),
                      niceness: niceness)
        let retained = Unmanaged.passRetained(box).toOpaque()
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                cmhd_start(flags | UInt32(MHD_USE_ERROR_LOG.rawValue), socketAddress, UInt32(max(1, threads)),
                           accessHandler, retained, requestCompleted, retained, 512, 60,
                           Self.connectionMemoryBytes)
            }
        }
        guard let started else {
            Unmanaged<Box>.fromOpaque(retained).release()
            throw ListenAddress.Error.cannotListen(address.description)
        }
        daemon = started
        boxPointer = retained
        port = Int(cmhd_bound_port(started))
    }

    /// Stops accepting connections at once; requests already being served run to their end.
    public func quiesce() {
        guard let daemon, stopped.withLock({ !$0 }) else { return }
        // MHD hands the listening socket back; it is ours to close, after MHD_stop_daemon.
        let socket = MHD_quiesce_daemon(daemon)
        if socket >= 0 { listeningSocket.withLock { $0 = socket } }
    }

    /// Waits for the requests handed to workers to be answered, then closes the listening socket and every
    /// connection and joins the event loops.
    public func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first, let daemon, let boxPointer else { return }
        // MHD must not stop with a connection suspended, and the box must outlive every worker.
        Unmanaged<Box>.fromOpaque(boxPointer).takeUnretainedValue().offloaded.wait()
        MHD_stop_daemon(daemon)
        if let socket = listeningSocket.withLock({ $0 }) { close(socket) }
        Unmanaged<Box>.fromOpaque(boxPointer).release()
    }

    deinit { stop() }

    /// What the C callbacks need, reached through the pointer MHD hands back.
    final class Box: Sendable {
        let handler: @Sendable (HTTPRequest) -> HTTPResponse
        let route: @Sendable (String, String) -> RouteMatch
        let observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)?
        let log: AccessLog
        let niceness: Int
        /// Requests handed to a worker and not yet answered (entered at the hand-over, left when MHD reports the
        /// request complete).
        let offloaded = DispatchGroup()

        init(handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse,
             route: @escaping @Sendable (String, String) -> RouteMatch,
             observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)?, log: AccessLog, niceness: Int) {
            self.handler = handler
            self.route = route
            self.observer = observer
            self.log = log
            self.niceness = niceness
        }

        /// The handler's answer, observed and logged.
        func answer(_ request: HTTPRequest, started: ContinuousClock.Instant) -> HTTPResponse {
            let response = handler(request)
            let elapsed = ContinuousClock.now - started
            log.record(request, response, elapsed)
            observer?(request, response, elapsed)
            return response
        }
    }

    /// One request MHD keeps between callbacks: its body so far, and, once a worker has answered, the answer.
    final class PendingRequest: @unchecked Sendable {
        // SAFETY: the MHD thread owns every field until the connection is suspended; the worker owns them until it
        // resumes the connection; MHD_resume_connection orders the worker's writes before the next callback.
        var body: [UInt8] = []
        var tooLarge = false
        var offloaded = false
        var response: HTTPResponse?
        let started: ContinuousClock.Instant

        init(started: ContinuousClock.Instant) { self.started = started }
    }
}

/// Where the API listens: an IPv4 or IPv6 address and a port.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    public enum Error: Swift.Error, CustomStringConvertible {
        case invalid(String)
        case cannotListen(String)

        public var description: String {
            switch self {
            case .invalid(let text): "\(text) is not HOST:PORT (e.g. 127.0.0.1:7878 or [::1]:7878)"
            case .cannotListen(let text): "cannot listen on \(text) (address in use, or not an address of this host)"
            }
        }
    }

    public init(parsing text: String) throws {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw Error.invalid(text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw Error.invalid(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText), !host.isEmpty else { throw Error.invalid(text) }
        self.host = String(host)
        self.port = port
        var storage = sockaddr_storage()
        _ = try fill(&storage)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Loopback addresses need no API token; anything else can be reached from other hosts.
    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

    /// Fills a socket address; returns the MHD flags the address family needs.
    func fill(_ storage: inout sockaddr_storage) throws -> UInt32 {
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw Error.invalid(description) }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
            return UInt32(MHD_USE_IPv6.rawValue)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Error.invalid(description) }
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
        return 0
    }
}
