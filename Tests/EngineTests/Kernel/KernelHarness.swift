import Engine
import Foundation
import Testing
import TestSupport

/// Shared pieces of the tests that drive the real ublk driver (inside the VM of `make test`).
enum KernelHarness {
    static let enabled = Probes.canRunKernelTests
    static let skipReason = Comment(rawValue: Probes.ublkSkipReason)

    /// A sparse backing file on the VM's disk, removed when the returned directory goes away.
    static func backingFile(size: UInt64, in directory: TemporaryDirectory, name: String = "backing.img") throws
        -> String
    {
        let path = directory.file(name)
        try FileTarget.createSparse(path: path, size: size)
        return path
    }

    /// This process's queue threads of device `id` ("ublk<id>q<queue>" or "...t<thread>") with their /proc dirs.
    static func queueTasks(device id: UInt32) throws -> [(name: String, path: String)] {
        let tasks = "/proc/self/task"
        return try FileManager.default.contentsOfDirectory(atPath: tasks).compactMap { task in
            let name = (try? String(contentsOfFile: "\(tasks)/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return name.hasPrefix("ublk\(id)q") ? (name, "\(tasks)/\(task)") : nil
        }
    }

    /// One "Key:\tvalue" line of a /proc status file.
    static func statusField(_ key: String, of task: String) throws -> String? {
        let status = try String(contentsOfFile: "\(task)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("\(key):") }
        return line.flatMap { $0.split(separator: "\t").last.map(String.init) }
    }

    static func scratchDirectory() -> TemporaryDirectory {
        TemporaryDirectory(prefix: "ublkd-kernel", parent: Scratch.directory)
    }

    /// Runs fio with JSON output; returns the parsed first job and fio's exit status.
    static func fio(_ arguments: [String]) throws -> FioJob {
        let outcome = try Shell.run(["fio", "--output-format=json"] + arguments)
        guard let start = outcome.output.firstIndex(of: "{"),
              let data = outcome.output[start...].data(using: .utf8),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let jobs = json["jobs"] as? [[String: Any]], let job = jobs.first
        else {
            return FioJob(status: outcome.status, error: -1, read: .init(), write: .init(), raw: outcome.output)
        }
        return FioJob(status: outcome.status, error: job["error"] as? Int ?? -1,
                      read: .init(job["read"] as? [String: Any]), write: .init(job["write"] as? [String: Any]),
                      raw: outcome.output)
    }

    struct FioJob {
        struct Direction {
            var ios: Int = 0
            var bytes: Int = 0
            init() {}
            init(_ json: [String: Any]?) {
                ios = json?["total_ios"] as? Int ?? 0
                bytes = json?["io_bytes"] as? Int ?? 0
            }
        }

        let status: Int32
        let error: Int
        let read: Direction
        let write: Direction
        let raw: String

        var succeeded: Bool { status == 0 && error == 0 }
        var summary: String {
            "fio exit \(status), error \(error), read \(read.ios) I/Os \(read.bytes) B, "
                + "write \(write.ios) I/Os \(write.bytes) B"
        }
    }

    /// Waits for a device node to appear or vanish (udev and devtmpfs lag a little).
    static func waitFor(path: String, toExist: Bool, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) == toExist { return true }
            usleep(20_000)
        }
        return FileManager.default.fileExists(atPath: path) == toExist
    }

    static func sha256(_ path: String, bytes: UInt64? = nil) throws -> String {
        let command = bytes.map { "head -c \($0) \(path) | sha256sum" } ?? "sha256sum < \(path)"
        return String(try Shell.sh(command).output.prefix(64))
    }
}
