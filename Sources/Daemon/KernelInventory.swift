import Glibc

/// What the running kernel has, read from sysfs and uname: no control command needed.
enum KernelInventory {
    /// Ids of every ublk device the driver has, from `/sys/class/ublk-char/ublkc<id>`. Read with readdir: /health
    /// asks on every poll, and FileManager's listing costs several times more.
    static func deviceIDs() -> Set<UInt32> {
        guard let directory = opendir("/sys/class/ublk-char") else { return [] }
        defer { closedir(directory) }
        var ids = Set<UInt32>()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix("ublkc"), let id = UInt32(name.dropFirst(5)) { ids.insert(id) }
        }
        return ids
    }

    /// The kernel release, which cannot change while the daemon runs.
    static let release: String = {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()
}
