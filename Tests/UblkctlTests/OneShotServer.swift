import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback server for one connection: it reads the request head (and a Content-Length body), then writes the
/// canned answer in small pieces so the client's incremental parsing is exercised. Enough to test the client's
/// framing, headers and error paths against real sockets without the daemon.
final class OneShotServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var received: [UInt8] = []
    private var listenerOpen = true
    private let done = DispatchSemaphore(value: 0)

    /// `answer` nil: accept, then say nothing until the client gives up.
    init(answer: [UInt8]?, pieceSize: Int = 7) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 1) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let listening = listener
        Thread.detachNewThread { [self] in
            let connection = accept(listening, nil, nil)
            defer {
                close(connection)
                done.signal()
            }
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !Self.complete(request) {
                let count = read(connection, &buffer, buffer.count)
                if count <= 0 { break }
                request += buffer[0..<count]
            }
            lock.withLock { received = request }
            guard let answer else {
                Thread.sleep(forTimeInterval: 2)
                return
            }
            var offset = 0
            while offset < answer.count {
                let end = min(offset + pieceSize, answer.count)
                _ = answer[offset..<end].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                offset = end
            }
        }
    }

    /// What the client sent; waits for the connection to finish first.
    func request() -> String {
        done.wait()
        closeListener()
        return lock.withLock { String(decoding: received, as: UTF8.self) }
    }

    /// Closing the listener makes its port refuse connections, which one test relies on.
    func closeListener() {
        lock.withLock {
            if listenerOpen { close(listener) }
            listenerOpen = false
        }
    }

    deinit { closeListener() }

    static func complete(_ request: [UInt8]) -> Bool {
        let text = String(decoding: request, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return false }
        let length = text[..<headEnd.lowerBound].split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        return text.utf8.count - text.utf8.distance(from: text.startIndex, to: headEnd.upperBound) >= length
    }
}
