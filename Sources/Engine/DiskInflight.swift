import Glibc

/// Requests the block layer has handed to a ublk disk and not seen completed (`/sys/block/ublkbN/inflight`, reads
/// and writes): after a quiesce, the requests its server still holds.
enum DiskInflight {
    /// nil when the disk is gone or the file unreadable.
    static func read(deviceID: UInt32) -> Int? {
        let fd = open("/sys/block/ublkb\(deviceID)/inflight", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = String(decoding: bytes[0..<count], as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let reads = Int(fields[0]), let writes = Int(fields[1]) else { return nil }
        return reads + writes
    }
}
