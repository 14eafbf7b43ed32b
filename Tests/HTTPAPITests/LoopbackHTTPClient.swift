import Foundation

/// A minimal HTTP/1.1 client over POSIX sockets: one request per connection (`Connection: close`), read to EOF.
/// Written here rather than using URLSession so the tests see exactly the bytes the server sends, and so they
/// do not depend on FoundationNetworking's own connection handling.
enum LoopbackHTTPClient {
    struct Response: Sendable {
        let status: Int
        /// Header names in lower case.
        let headers: [String: String]
        let body: [UInt8]

        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    enum Failure: Error, CustomStringConvertible {
        case socket(String, Int32)
        case malformed(String)

        var description: String {
            switch self {
            case .socket(let call, let code): "\(call): \(String(cString: strerror(code)))"
            case .malformed(let why): "malformed response: \(why)"
            }
        }
    }

    /// Sends one request to `host` (an IPv4 or IPv6 literal) and returns the parsed response.
    static func send(_ method: String, _ target: String, host: String = "127.0.0.1", port: Int,
                     headers: [String: String] = [:], body: [UInt8] = [], timeout: Double = 10) throws -> Response {
        let socket = try connect(host: host, port: port, timeout: timeout)
        defer { close(socket) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\n"
        head += "Connection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try write(socket, Array(head.utf8) + body)
        return try parse(try readToEnd(socket))
    }

    static func send(_ method: String, _ target: String, host: String = "127.0.0.1", port: Int,
                     headers: [String: String] = [:], body: String, timeout: Double = 10) throws -> Response {
        try send(method, target, host: host, port: port, headers: headers, body: Array(body.utf8), timeout: timeout)
    }

    /// A connected TCP socket, or `.socket("connect", errno)`: tests use the errno to tell a closed port.
    static func connect(host: String, port: Int, timeout: Double = 10) throws -> Int32 {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let socket = Glibc.socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure.socket("socket", errno) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var storage = sockaddr_storage()
        let length: Int
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
            length = MemoryLayout<sockaddr_in6>.size
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
            length = MemoryLayout<sockaddr_in>.size
        }
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(length)) }
        }
        guard rc == 0 else {
            let code = errno
            close(socket)
            throw Failure.socket("connect", code)
        }
        return socket
    }

    static func write(_ socket: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a server that closes early must fail this call, not kill the test process by SIGPIPE.
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw Failure.socket("send", errno) }
            offset += sent
        }
    }

    static func readToEnd(_ socket: Int32) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure.socket("recv", errno) }
            if count == 0 { return received }
            received.append(contentsOf: chunk[..<count])
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> Response {
        guard let end = headEnd(bytes) else { throw Failure.malformed("no end of head in \(bytes.count) bytes") }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Failure.malformed("status line \(head[0])")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw Failure.malformed("header line \(line)") }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[line[..<colon].lowercased()] = value
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard body.count >= length else { throw Failure.malformed("body \(body.count) of \(length) bytes") }
            body = Array(body.prefix(length))
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Where the blank line after the headers starts.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        let separator = Array("\r\n\r\n".utf8)
        guard bytes.count >= separator.count else { return nil }
        return (0...(bytes.count - separator.count)).first {
            bytes[$0..<($0 + separator.count)].elementsEqual(separator)
        }
    }
}
