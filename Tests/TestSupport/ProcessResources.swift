import Foundation

/// Threads and file descriptors of this process, to prove a device leaves none behind.
public enum ProcessResources {
    public static var threadCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
    }

    public static var openDescriptors: [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        var table: [String: String] = [:]
        for name in names {
            table[name] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")) ?? "?"
        }
        return table
    }

    /// Mappings of `/dev/ublkc*` still in this process.
    public static var ublkMappings: [String] {
        let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
        return maps.split(separator: "\n").filter { $0.contains("/dev/ublkc") }.map(String.init)
    }
}
