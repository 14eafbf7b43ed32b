import Glibc
import Logging

/// Log lines that mark the daemon's way from exec to serving (`ublkd.phase`, with `ublkd.ms` counted from the
/// process's start as the kernel recorded it), so a slow restart shows where its seconds went without a profiler.
public struct StartupPhases: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func reached(_ phase: String, _ metadata: Logger.Metadata = [:]) {
        var fields = metadata
        fields["ublkd.phase"] = "\(phase)"
        if let elapsed = Self.millisecondsSinceProcessStart() { fields["ublkd.ms"] = "\(elapsed)" }
        logger.info("start-up phase \(phase)", metadata: fields)
    }

    /// The process's age: now on CLOCK_BOOTTIME against `/proc/self/stat`'s start time (clock ticks since boot,
    /// set when the process was forked, which for a daemon started by a shell or systemd is its exec). Resolution
    /// one tick, 10 ms on Debian's kernels.
    public static func millisecondsSinceProcessStart() -> Int? {
        let fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 1024)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard count > 0 else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
        guard let close = bytes[0..<count].lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)..<count].split(separator: UInt8(ascii: " "))
        // Field 22 (starttime) is the 20th after the name.
        guard fields.count > 19, let ticks = UInt64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        let perSecond = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        var now = timespec()
        guard clock_gettime(CLOCK_BOOTTIME, &now) == 0 else { return nil }
        let nowMs = UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
        let startMs = ticks * 1000 / perSecond
        return nowMs >= startMs ? Int(nowMs - startMs) : 0
    }
}
