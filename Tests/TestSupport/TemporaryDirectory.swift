import Foundation

/// A directory that exists for the life of a test and is removed afterwards.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    /// `parent` defaults to `$TMPDIR` or `/var/tmp`: the VM's `/tmp` is a small tmpfs, and O_DIRECT tests want a
    /// real file system.
    public init(prefix: String = "ublkd-test", parent: String? = nil) {
        let base = parent ?? ProcessInfo.processInfo.environment["TMPDIR"] ?? "/var/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed in \(base): errno \(errno)")
        path = String(cString: created!)
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
