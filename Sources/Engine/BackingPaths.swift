import CLinux
import Glibc
import SystemPackage

/// Where backing files may live (`--allow-dir`). A path is checked in its resolved form, then opened below the
/// allowed directory it resolved into with `openat2(RESOLVE_BENEATH)`: what is opened is what was checked, and a
/// symlink swapped in between the two cannot lead outside.
public struct BackingPaths: Sendable, Equatable {
    /// Resolved (symlink-free) absolute directories; empty means anywhere.
    public let allowedDirectories: [String]

    public init(allowedDirectories: [String]) {
        self.allowedDirectories = allowedDirectories
    }

    public static let anywhere = BackingPaths(allowedDirectories: [])

    /// A path inside an allowed directory, by its parts.
    public struct Location: Sendable, Equatable {
        public let directory: String
        /// Below `directory`, without a leading slash.
        public let relative: String

        public init(directory: String, relative: String) {
            self.directory = directory
            self.relative = relative
        }
    }

    /// The allowed directory `path` resolves into (for a file still to be made, its parent directory resolved),
    /// or nil when nothing is restricted.
    public func locate(_ path: String, creating: Bool) throws(EngineError) -> Location? {
        guard !allowedDirectories.isEmpty else { return nil }
        let resolved: String?
        if creating && access(path, F_OK) != 0 {
            let slash = path.lastIndex(of: "/") ?? path.startIndex
            let parent = slash == path.startIndex ? "/" : String(path[..<slash])
            let name = path[path.index(after: slash)...]
            resolved = Self.realPath(parent).map { ($0 == "/" ? "" : $0) + "/" + name }
        } else {
            resolved = Self.realPath(path)
        }
        guard let resolved else {
            throw .backingStore(path: path, reason: "cannot be resolved: \(Errno(rawValue: errno))")
        }
        for directory in allowedDirectories {
            let prefix = directory.hasSuffix("/") ? directory : directory + "/"
            if resolved.hasPrefix(prefix) && resolved.count > prefix.count {
                return Location(directory: directory, relative: String(resolved.dropFirst(prefix.count)))
            }
        }
        throw .pathNotAllowed(path: path, reason: "resolves to \(resolved), outside the allowed directories "
                              + allowedDirectories.joined(separator: ", "))
    }

    /// `open(2)` of a backing file, confined when directories are allowed. Errors are the call's errno, except a
    /// path that resolves outside.
    public func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(EngineError) -> Int32 {
        guard let location = try locate(path, creating: flags & O_CREAT != 0) else {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd < 0 { throw .system("open \(path)", errno: Errno(rawValue: errno)) }
            return fd
        }
        return try open(location, flags: flags, mode: mode, path: path)
    }

    /// Opens what `locate` checked, below its directory: if the name now resolves outside (a symlink or a
    /// directory swapped in since), the open fails instead of following it.
    public func open(_ location: Location, flags: Int32, mode: mode_t = 0, path: String) throws(EngineError) -> Int32 {
        let directory = Glibc.open(location.directory, clinux_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else {
            throw .system("open \(location.directory)", errno: Errno(rawValue: errno))
        }
        defer { close(directory) }
        let fd = clinux_open_beneath(directory, location.relative, flags | O_CLOEXEC, UInt32(mode))
        guard fd >= 0 else {
            let error = Errno(rawValue: errno)
            // EXDEV: resolution would leave the directory (a symlink or ".." now points outside).
            if error == .improperLink || error == .tooManySymbolicLinkLevels {
                throw .pathNotAllowed(path: path, reason: "changed since it was checked and now leads outside "
                                      + location.directory)
            }
            throw .system("open \(path)", errno: error)
        }
        return fd
    }

    /// Removes a file this daemon made, by the same confined resolution (the parent directory opened beneath).
    public func remove(_ path: String) throws(EngineError) {
        guard let location = try locate(path, creating: false) else {
            if unlink(path) != 0 && errno != ENOENT {
                throw .system("unlink \(path)", errno: Errno(rawValue: errno))
            }
            return
        }
        let parts = location.relative.split(separator: "/", omittingEmptySubsequences: true)
        guard let name = parts.last else { return }
        let directory = Glibc.open(location.directory, clinux_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw .system("open \(location.directory)", errno: Errno(rawValue: errno)) }
        defer { close(directory) }
        var parent = directory
        if parts.count > 1 {
            parent = clinux_open_beneath(directory, parts.dropLast().joined(separator: "/"),
                                         clinux_o_path() | O_DIRECTORY | O_CLOEXEC, 0)
            guard parent >= 0 else { throw .system("open the directory of \(path)", errno: Errno(rawValue: errno)) }
        }
        defer { if parent != directory { close(parent) } }
        if unlinkat(parent, String(name), 0) != 0 && errno != ENOENT {
            throw .system("unlink \(path)", errno: Errno(rawValue: errno))
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
