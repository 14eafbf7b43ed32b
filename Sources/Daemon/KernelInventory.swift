import Glibc

/// What the running kernel has, read from sysfs and uname: no control command needed.
enum KernelInventory {
    /// Ids of every ublk device the driver has, from `/sys/class/ublk-char/ublkc<id>`. Read with readdir: /health
    /// asks on every poll, and FileManager's listing costs several times more.
    static func deviceIDs() -> [UInt32] {
        guard let directory = opendir("/sys/class/ublk-char") else { return [] }
        defer { closedir(directory) }
        var ids: [UInt32] = []
        while let entry = readdir(directory) {
            let id = withUnsafeBytes(of: entry.pointee.d_name) { Self.deviceID(entryName: $0) }
            if let id { ids.append(id) }
        }
        return ids.sorted()
    }

    /// The id in a directory entry's name (NUL-terminated) "ublkc<id>"; nil for any other name.
    static func deviceID(entryName: UnsafeRawBufferPointer) -> UInt32? {
        let name = entryName.prefix { $0 != 0 }
        guard name.starts(with: "ublkc".utf8) else { return nil }
        return UInt32(String(decoding: name.dropFirst(5), as: UTF8.self))
    }

    /// The kernel release, which cannot change while the daemon runs.
    static let release: String = {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()
}
