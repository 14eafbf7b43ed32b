import Glibc
import Logging

/// Tells the service manager (systemd with `Type=notify`) when the daemon is ready and when it starts to stop: one
/// datagram of `KEY=value` lines to the unix socket named by `$NOTIFY_SOCKET`. Spoken directly instead of through
/// libsystemd, which would become a build and run dependency for a dozen lines of socket code.
public struct ServiceNotifier: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Neither an absolute path nor `@abstract`; systemd may also offer vsock addresses, which ublkd, running
        /// on the host it serves disks to, never needs.
        case unsupportedAddress(String)
        case addressTooLong(String)
        case system(call: String, errno: Int32)

        public var description: String {
            switch self {
            case .unsupportedAddress(let address): "unsupported NOTIFY_SOCKET address \(address)"
            case .addressTooLong(let address): "NOTIFY_SOCKET address too long for a unix socket: \(address)"
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            }
        }
    }

    public enum Outcome: Equatable, Sendable {
        case sent
        /// No `$NOTIFY_SOCKET`: not started by a service manager that listens.
        case notListening
        case failed
    }

    /// `$NOTIFY_SOCKET`, or nil when unset or empty.
    public let socketAddress: String?
    private let logger: Logger

    public init(environment: [String: String], logger: Logger) {
        let address = environment["NOTIFY_SOCKET"] ?? ""
        socketAddress = address.isEmpty ? nil : address
        self.logger = logger
    }

    @discardableResult
    public func ready(status: String) -> Outcome { notify(["READY=1", "STATUS=" + Self.oneLine(status)]) }

    @discardableResult
    public func stopping(status: String) -> Outcome { notify(["STOPPING=1", "STATUS=" + Self.oneLine(status)]) }

    /// A failure is logged, never thrown: the manager's start timeout already covers a lost READY, whereas a daemon
    /// that gave up over it would leave its devices without a server.
    @discardableResult
    public func notify(_ fields: [String]) -> Outcome {
        guard let socketAddress else { return .notListening }
        do {
            try send(fields.joined(separator: "\n"), to: socketAddress)
            return .sent
        } catch {
            logger.warning("cannot notify the service manager: \(error)", metadata: ["notify.fields": "\(fields)"])
            return .failed
        }
    }

    // A newline inside a value would start a field of its own, e.g. a stray READY=1.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    func send(_ message: String, to address: String) throws(Failure) {
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        // An abstract name starts with a NUL instead of '@' and is exactly as long as the length says; a path
        // carries its terminating NUL.
        let name: [UInt8]
        switch address.first {
        case "/": name = Array(address.utf8) + [0]
        case "@": name = [0] + Array(address.utf8.dropFirst())
        default: throw .unsupportedAddress(address)
        }
        let capacity = MemoryLayout.size(ofValue: socketAddress.sun_path)
        guard name.count <= capacity else { throw .addressTooLong(address) }
        // SAFETY: the guard above keeps the copy inside sun_path; the buffer pointer does not outlive the closure.
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
        defer { close(fd) }
        var bytes = Array(message.utf8)
        var sent: Int
        repeat {
            // SAFETY: sockaddr_un is laid out to be read through a sockaddr pointer, which is what sendto expects;
            // the pointer and `bytes` are used only within the call, and `length` stays inside sockaddr_un.
            sent = withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    sendto(fd, &bytes, bytes.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
        } while sent < 0 && errno == EINTR
        guard sent >= 0 else { throw .system(call: "sendto \(address)", errno: errno) }
    }
}
