import ArgumentParser
import DeviceModel
import Engine
import Glibc
import Logging

/// Serves one device in the foreground until SIGINT or SIGTERM, then stops and deletes it. For trying a target
/// and for benchmarks; the daemon manages many devices and keeps them across restarts.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve one device in the foreground until interrupted.")

    @Option(help: "null, memory, file or nbd.") var target: String
    @Option(help: "Backing file or block device (file target).") var path: String?
    @Option(help: "NBD URI of the export (nbd target), e.g. nbd://127.0.0.1:10809/export.") var uri: String?
    @Option(help: "Device size in bytes (default: the backing file's size).") var size: UInt64?
    @Option(help: "Device id (default: the driver picks one).") var id: UInt32?
    @Option var queues = 1
    @Option var depth = 128
    @Option(name: .customLong("block-size")) var blockSize = 512
    @Option(name: .customLong("max-io-size")) var maxIOSize = DeviceDefinition.Defaults.maxIOBytes
    @Flag(name: .customLong("read-only")) var readOnly = false
    @Option(help: "none, reissue or fail_io.") var recovery = "none"
    @Option(name: .customLong("io-mode"), help: "auto, copy or zero_copy.") var ioMode = "auto"
    @Flag(name: .customLong("no-pin-queues"),
          help: "Leave the queue threads to the scheduler instead of the driver's queue affinity.")
    var noPinQueues = false
    @Option(help: "A file to write the device id into once the device is live.") var idFile: String?

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let target: TargetDefinition
        var sizeBytes = size
        switch try Self.parse(TargetKind.self, self.target) {
        case .null: target = .null
        case .memory: target = .memory
        case .file:
            guard let path else { throw ValidationError("--path is required for the file target") }
            target = .file(path: path)
            if sizeBytes == nil {
                let end = Self.fileSize(path)
                sizeBytes = end.map { $0 / UInt64(blockSize) * UInt64(blockSize) }
            }
        case .nbd:
            guard let uri else { throw ValidationError("--uri is required for the nbd target") }
            target = .nbd(NBDExportDefinition(uri: uri))
            if sizeBytes == nil {
                do {
                    sizeBytes = try NBDTarget.probe(uri: uri).sizeBytes / UInt64(blockSize) * UInt64(blockSize)
                } catch {
                    throw ValidationError("\(error)")
                }
            }
        }
        guard let sizeBytes else { throw ValidationError("--size is required") }
        let definition = DeviceDefinition(
            name: "serve", target: target, sizeBytes: sizeBytes, queues: queues, queueDepth: depth,
            blockSize: blockSize, maxIOBytes: maxIOSize, readOnly: readOnly,
            recovery: try Self.parse(RecoveryMode.self, recovery), ioMode: try Self.parse(IOModePreference.self, ioMode),
            pinQueues: !noPinQueues)
        // Queue threads inherit this mask, so the signals reach only the sigwait below.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let engine: Engine
        let device: Device
        do {
            engine = try Engine()
            device = try engine.create(id: id, definition)
        } catch {
            print("ublkd: \(error)")
            throw ExitCode(1)
        }
        print("serving \(device.blockDevicePath) (\(target.kind.rawValue), \(device.ioDescription) I/O, \(device.ioMode.rawValue), "
              + "\(device.info.queueCount) queues x \(device.info.queueDepth))")
        if let idFile { Self.write("\(device.id)\n", to: idFile) }
        var received: Int32 = 0
        sigwait(&signals, &received)
        do {
            try device.stop()
            try device.delete()
        } catch {
            print("ublkd: \(error)")
            throw ExitCode(1)
        }
        _ = engine
    }

    /// A flag's name through the definition's own parser, its message as the usage error.
    static func parse<T: DefinitionChoice>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try T.parse(text)
        } catch {
            throw ValidationError(error.message)
        }
    }

    static func fileSize(_ path: String) -> UInt64? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        return end >= 0 ? UInt64(end) : nil
    }

    static func write(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
}
