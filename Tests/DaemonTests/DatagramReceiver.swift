import Glibc

/// The listening end systemd would hold: a unix datagram socket bound to a path or, with a leading '@', to an
/// abstract name. Reads never wait: by the time a local sendto returns, its datagram is queued here.
final class DatagramReceiver {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let address: String
    private let fd: Int32

    init(address: String) throws {
        self.address = address
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        let name = address.hasPrefix("@") ? [0] + Array(address.utf8.dropFirst()) : Array(address.utf8) + [0]
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        // SAFETY: sockaddr_un is meant to be passed as a sockaddr; the pointer lives only for the call.
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            close(fd)
            throw Failure(description: "bind \(address): errno \(errno)")
        }
    }

    /// A socket path no one else uses, short enough for sun_path: `$TMPDIR` may be long, /tmp is not.
    static func scratchPath(_ name: String = "notify") -> String {
        "/tmp/ublkd-\(name)-\(getpid())-\(UInt32.random(in: 0 ... .max)).sock"
    }

    /// The next datagram as text, or nil when none is waiting.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    deinit {
        close(fd)
        if !address.hasPrefix("@") { unlink(address) }
    }
}
