import Glibc
import Logging

/// The block layer's request timeout of a ublk disk (`queue/io_timeout`), shortened from the kernel's 30 s.
///
/// On 6.12 a server that dies while holding every tag of a queue leaves nothing for io_uring's cancel hook to
/// abort: the driver notices only when a request times out (ublk_timeout sees the daemon dying), and until then
/// the device stays LIVE and its I/O frozen. With a live server a timeout costs nothing (the driver re-arms the
/// timer), so a short one bounds that freeze. `UBLKD_IO_TIMEOUT_MS` overrides it; 0 keeps the kernel's.
enum RequestTimeout {
    static let milliseconds: Int = getenv("UBLKD_IO_TIMEOUT_MS").flatMap { Int(String(cString: $0)) } ?? 3000

    /// Best effort: a read-only /sys (a sandbox) or an older kernel leaves the kernel's timeout, said in the log.
    static func apply(deviceID: UInt32, log: Logger) {
        guard milliseconds > 0 else { return }
        let path = "/sys/block/ublkb\(deviceID)/queue/io_timeout"
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            log.debug("cannot shorten the request timeout: \(path): \(String(cString: strerror(errno)))")
            return
        }
        defer { close(fd) }
        let text = "\(milliseconds)\n"
        let written = text.withCString { write(fd, $0, strlen($0)) }
        if written < 0 {
            log.debug("cannot shorten the request timeout: \(path): \(String(cString: strerror(errno)))")
        }
    }
}
