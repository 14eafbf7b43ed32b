import Foundation

/// What the running kernel has, read from sysfs and uname: no control command needed.
enum KernelInventory {
    /// Ids of every ublk device the driver has, from `/sys/class/ublk-char/ublkc<id>`.
    static func deviceIDs() -> Set<UInt32> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/ublk-char")) ?? []
        return Set(names.compactMap { $0.hasPrefix("ublkc") ? UInt32($0.dropFirst(5)) : nil })
    }

    static var release: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
