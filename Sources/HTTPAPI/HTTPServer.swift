import CMicroHTTPD
import Foundation
import Logging
import Synchronization

/// The transport: libmicrohttpd with one thread per connection, so a slow device operation holds up only the
/// client that asked for it. Reads each request in full (bodies capped at `Router.maxBodyBytes`), hands it to the
/// router, writes the response, and logs one line per request; `observer` sees each request with the same measured
/// duration (for metrics).
public final class HTTPServer: Sendable {
    // SAFETY: `daemon` is the MHD handle from start to stop, set once in init. The callbacks receive `boxPointer`,
    // a retained Box released only after MHD_stop_daemon has joined every connection thread.
    nonisolated(unsafe) private var daemon: OpaquePointer?
    nonisolated(unsafe) private var boxPointer: UnsafeMutableRawPointer?
    private let stopped = Mutex(false)
    private let listeningSocket = Mutex<Int32?>(nil)
    public let port: Int

    /// Binds `address` ("127.0.0.1:7878", "[::1]:7878", "0.0.0.0:0" for any free port) and starts serving.
    public init(listen address: ListenAddress, logger: Logger,
                observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)? = nil,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        var storage = sockaddr_storage()
        let flags = try address.fill(&storage)
        let box = Box(handler: handler, observer: observer, logger: logger)
        let retained = Unmanaged.passRetained(box).toOpaque()
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                cmhd_start(flags | UInt32(MHD_USE_ERROR_LOG.rawValue), socketAddress, accessHandler, retained,
                           requestCompleted, nil, 512, 60)
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

    /// Closes the listening socket and waits for the connection threads.
    public func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first, let daemon else { return }
        MHD_stop_daemon(daemon)
        if let socket = listeningSocket.withLock({ $0 }) { close(socket) }
        if let boxPointer { Unmanaged<Box>.fromOpaque(boxPointer).release() }
    }

    deinit { stop() }

    /// What the C callbacks need, reached through the pointer MHD hands back.
    final class Box {
        let handler: @Sendable (HTTPRequest) -> HTTPResponse
        let observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)?
        let logger: Logger

        init(handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse,
             observer: (@Sendable (HTTPRequest, HTTPResponse, Duration) -> Void)?, logger: Logger) {
            self.handler = handler
            self.observer = observer
            self.logger = logger
        }
    }

    /// One request being read: its body so far, kept by MHD between callbacks.
    final class PendingRequest {
        var body: [UInt8] = []
        var tooLarge = false
        let started = ContinuousClock.now
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
