import Foundation

/// Runs programs for tests (fio, mkfs, mount, ...) and captures what they print.
public enum Shell {
    public struct Outcome: Sendable {
        public let status: Int32
        public let output: String

        public var succeeded: Bool { status == 0 }
    }

    /// Runs `arguments` (first is looked up in PATH) and waits for it. Standard error is merged into the output.
    ///
    /// posix_spawn rather than Foundation's Process: Process needs a CFSocket wake-up pair, which fails in the
    /// test VM's minimal environment and then never reports the child's exit.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> Outcome {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ShellError.spawn(errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ShellError.spawn(rc)
        }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.append(contentsOf: chunk[0..<count])
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        let exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        return Outcome(status: exitStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// `sh -c script`, for pipelines.
    @discardableResult
    public static func sh(_ script: String) throws -> Outcome {
        try run(["sh", "-c", script])
    }
}

public enum ShellError: Error {
    case spawn(Int32)
}

/// Where kernel tests keep backing files: the VM's virtio disk (ext4 on a real block device), else /var/tmp.
public enum Scratch {
    public static var directory: String {
        ProcessInfo.processInfo.environment["UBLKD_VM_DISK"] ?? "/var/tmp"
    }
}
