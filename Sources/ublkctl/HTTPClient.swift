import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a request got no response; the caller decides how to word it for people.
enum TransportError: Error, Equatable {
    case resolve(String)
    case connect(String)
    case timedOut
    case io(String)
    case protocolViolation(String)
}

/// A one-request-per-connection HTTP/1.1 client over plain sockets. FoundationNetworking would drag libcurl into
/// a tool that only ever talks to one local daemon, so this is the whole of it: resolve, connect, write, read
/// until the message is complete or the server closes, all under one deadline.
struct HTTPClient: Sendable {
    let server: ServerURL
    let timeout: Duration

    func send(method: String, target: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        throws(TransportError) -> HTTPResponse
    {
        let deadline = ContinuousClock.now + timeout
        let socket = try connect(deadline: deadline)
        defer { close(socket) }
        try write(request(method: method, target: target, headers: headers, body: body), to: socket, deadline: deadline)
        return try readResponse(from: socket, deadline: deadline)
    }

    func request(method: String, target: String, headers: [(String, String)], body: [UInt8]?) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(server.authority)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        // GET carries no content, and saying "Content-Length: 0" there is discouraged (RFC 9110, 8.6).
        if body != nil || method != "GET" { head += "Content-Length: \(body?.count ?? 0)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    // MARK: connecting

    func connect(deadline: ContinuousClock.Instant) throws(TransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Self.streamType
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(server.host, String(server.port), &hints, &list)
        guard status == 0, let list else {
            throw .resolve("cannot resolve \(server.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        // Try every address (localhost is often ::1 and 127.0.0.1); report the last failure.
        var lastError = TransportError.connect("no usable address for \(server.host)")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry {
            entry = address.pointee.ai_next
            do {
                return try connect(to: address.pointee, deadline: deadline)
            } catch .timedOut {
                throw .timedOut
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    func connect(to address: addrinfo, deadline: ContinuousClock.Instant) throws(TransportError) -> Int32 {
        let fd = socket(address.ai_family, address.ai_socktype, address.ai_protocol)
        guard fd >= 0 else { throw .connect(Self.errnoText()) }
        // Non-blocking so every wait below is a poll() bounded by the deadline.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        if posixConnect(fd, address.ai_addr, address.ai_addrlen) == 0 { return fd }
        guard errno == EINPROGRESS else {
            let text = Self.errnoText()
            close(fd)
            throw .connect(text)
        }
        do {
            try wait(fd, for: Int16(POLLOUT), deadline: deadline)
        } catch {
            close(fd)
            throw error
        }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
        guard socketError == 0 else {
            close(fd)
            throw .connect(String(cString: strerror(socketError)))
        }
        return fd
    }

    // MARK: moving bytes

    func write(_ bytes: [UInt8], to fd: Int32, deadline: ContinuousClock.Instant) throws(TransportError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                posixSend(fd, buffer.baseAddress! + sent, buffer.count - sent, Self.sendFlags)
            }
            if count > 0 {
                sent += count
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try wait(fd, for: Int16(POLLOUT), deadline: deadline)
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                throw .io("sending the request: \(Self.errnoText())")
            }
        }
    }

    func readResponse(from fd: Int32, deadline: ContinuousClock.Instant) throws(TransportError) -> HTTPResponse {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
                // Stop as soon as the message is whole: Connection: close should end it, but need not.
                if let response = try parse(received, atEOF: false) { return response }
            } else if count == 0 {
                guard let response = try parse(received, atEOF: true) else {
                    throw .protocolViolation("empty response")
                }
                return response
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(fd, for: Int16(POLLIN), deadline: deadline)
            } else if errno != EINTR {
                throw .io("reading the response: \(Self.errnoText())")
            }
        }
    }

    func parse(_ bytes: [UInt8], atEOF: Bool) throws(TransportError) -> HTTPResponse? {
        do {
            return try HTTPResponseParser.parse(bytes, atEOF: atEOF)
        } catch {
            switch error {
            case .truncated:
                throw .io(bytes.isEmpty ? "the server closed the connection without answering"
                    : "the connection closed before the whole response arrived")
            case .malformed(let detail):
                throw .protocolViolation(detail)
            }
        }
    }

    func wait(_ fd: Int32, for events: Int16, deadline: ContinuousClock.Instant) throws(TransportError) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timedOut }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .io("poll: \(Self.errnoText())") }
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    #if canImport(Darwin)
    static let streamType = SOCK_STREAM
    static let sendFlags: Int32 = 0
    #else
    static let streamType = Int32(SOCK_STREAM.rawValue)
    // A daemon that hangs up mid-request must be an error here, not a SIGPIPE that kills the process.
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #endif
}

// `connect` and `send` are shadowed by the methods above; these reach the C functions.
private func posixConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

private func posixSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}
