import Daemon
import DeviceModel
import Engine
import Foundation
import HTTPAPI
import Logging
import Store
import Synchronization
import UblkABI

// A host-only harness for scripts/bench-api, never shipped: the daemon's REST API exactly as `DaemonRunner.serveAPI`
// wires it (router, DeviceManager, metrics, transport, access log), over devices created through DeviceManager's
// own create path into a real store, whose kernel side is `InProcessBackend` below instead of the ublk driver.
// What it measures is the API; I/O is measured in the VM.
//
//   api-bench-harness --listen 127.0.0.1:PORT [--devices N] [--api-threads N] [--api-nice N] [--log-level LEVEL]
// Prints "listening <port>" once it serves; SIGTERM or SIGINT stops it.
//   api-bench-harness --handler-only [--devices N] [--path PATH] [--threads N] [--batches N]
// Prints how long the router takes to answer each polled route, without sockets (median of 50 batches of 1000
// calls): the part of a request that is ublkd's own code. --threads: that many threads call it at once, each
// printing its own median (what two event loops cost each other); --batches: more of them, long enough to profile.

/// The kernel side of devices that live only in this process: the driver's view of a device this daemon serves,
/// and per-queue counters read through the engine's own `QueueCounters`.
final class InProcessBackend: DeviceBackend {
    let served = Mutex<[UInt32: InProcessDevice]>([:])
    let offered: Features = [.userRecovery, .userRecoveryReissue, .updateSize, .commandIoctlEncode]

    func features() throws(EngineError) -> Features { offered }
    var host: HostLimits { .current }

    func check(_ definition: DeviceDefinition) throws(EngineError) {
        guard case .null = definition.target else {
            throw .invalidConfiguration("the harness serves null devices only")
        }
    }

    func checkBackingPath(_ path: String, creating: Bool) throws(EngineError) {}

    func observe(_ id: UInt32) throws(EngineError) -> KernelObservation {
        guard let device = served.withLock({ $0[id] }) else { return .absent }
        return .present(KernelDevice(state: .live, flags: offered, serverPID: getpid(), serverProcessExists: true,
                                     sizeBytes: device.sizeBytes))
    }

    func create(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        let device = InProcessDevice(id: id, definition)
        served.withLock { $0[id] = device }
        return device
    }

    func rebuild(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try create(id: id, definition)
    }

    func recover(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try create(id: id, definition)
    }

    func remove(_ id: UInt32) throws(EngineError) { served.withLock { _ = $0.removeValue(forKey: id) } }

    func createBackingFile(_ path: String, size: UInt64) throws(EngineError) {
        throw .backingStore(path: path, reason: "the harness has no backing files")
    }

    func removeBackingFile(_ path: String) throws(EngineError) {}
    func backingFileExists(_ path: String) -> Bool { false }
    func backingFileSize(_ path: String) -> UInt64? { nil }

    func probeExport(_ uri: String) throws(EngineError) -> NBDExport {
        throw .invalidConfiguration("the harness has no NBD client")
    }

    func kernelDeviceIDs() -> [UInt32] { served.withLock { $0.keys.sorted() } }
}

final class InProcessDevice: ServedDevice {
    let id: UInt32
    let sizeBytes: UInt64
    let queues: [QueueCounters]
    let startedAt = ContinuousClock.now

    init(id: UInt32, _ definition: DeviceDefinition) {
        self.id = id
        sizeBytes = definition.sizeBytes
        // Figures of a device that has served a while, so the answers are as long as a busy device's.
        queues = (0..<definition.queues).map { _ in
            let counters = QueueCounters()
            counters.reads.store(48_213_377, ordering: .relaxed)
            counters.readBytes.store(48_213_377 * 4096, ordering: .relaxed)
            counters.writes.store(1_204_551, ordering: .relaxed)
            counters.writeBytes.store(1_204_551 * 4096, ordering: .relaxed)
            counters.flushes.store(3_112, ordering: .relaxed)
            counters.inFlight.store(32, ordering: .relaxed)
            counters.ringEnters.store(30_117_201, ordering: .relaxed)
            return counters
        }
    }

    var blockDevicePath: String { "/dev/ublkb\(id)" }
    var ioMode: IOMode { .copy }
    var batchIO: Bool { false }
    var ioDescription: String { "none" }
    func queueStatistics() -> [IOCounters] { queues.map { $0.snapshot() } }
    var connectionStatus: ConnectionStatus? { nil }
    var hasConnections: Bool { false }
    func stopAndDelete() throws(EngineError) {}
    func handOver() {}
    func prepareResize(to bytes: UInt64) throws(EngineError) {}
    func resize(to bytes: UInt64) throws(EngineError) {}
}

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

var signals = sigset_t()
sigemptyset(&signals)
sigaddset(&signals, SIGINT)
sigaddset(&signals, SIGTERM)
pthread_sigmask(SIG_BLOCK, &signals, nil)

let level = option("--log-level").flatMap(Logger.Level.init(rawValue:)) ?? .info
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = level
    return handler
}
let logger = Logger(label: "api-bench-harness")
do {
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("api-bench-harness-\(getpid())").path
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: state) }
    var configuration = Configuration(
        listen: try ListenAddress(parsing: option("--listen") ?? "127.0.0.1:0"), stateDirectory: state,
        logLevel: level, apiThreads: option("--api-threads").flatMap { Int($0) } ?? 1)
    if let niceness = option("--api-nice").flatMap({ Int($0) }) { configuration.apiNiceness = niceness }
    let manager = DeviceManager(
        store: try Store(path: configuration.databasePath, logger: logger), backend: InProcessBackend(),
        logger: logger)
    for index in 0..<(option("--devices").flatMap { Int($0) } ?? 32) {
        _ = try manager.createDevice(CreateDeviceRequest(definition: DeviceDefinition(
            name: "bench-\(index)", target: .null, sizeBytes: 1 << 30, queues: 1, queueDepth: 128)))
    }
    if CommandLine.arguments.contains("--handler-only") {
        let router = Router(service: manager, token: nil)
        let handlerThreads = option("--threads").flatMap { Int($0) } ?? 1
        let batchCount = option("--batches").flatMap { Int($0) } ?? 50
        let paths = option("--path").map { [$0] } ?? ["/health", "/devices/7/stats", "/devices", "/metrics"]
        for path in paths {
            let request = HTTPRequest(method: "GET", path: path)
            let calls = 1000
            // One median per thread: with 2, what the threads of a 2-thread API cost each other shows.
            let medians = Mutex<[Duration]>([])
            DispatchQueue.concurrentPerform(iterations: handlerThreads) { _ in
                var batches: [Duration] = []
                for _ in 0..<batchCount {
                    let start = ContinuousClock.now
                    for _ in 0..<calls { precondition(router.handle(request).status == 200) }
                    batches.append((ContinuousClock.now - start) / calls)
                }
                let median = batches.sorted()[batches.count / 2]
                medians.withLock { $0.append(median) }
            }
            let shown = medians.withLock { $0 }.map { String(format: "%.2f", Double($0.nanoseconds) / 1000) }
            print("\(path) \(shown.joined(separator: " ")) us")
        }
        // exit() skips the deferred removal, and a later run under the same pid would find this store.
        try? FileManager.default.removeItem(atPath: state)
        exit(0)
    }
    let server = try DaemonRunner.serveAPI(manager, configuration: configuration, logger: logger)
    // Unbuffered, so the bench reads it at once through a pipe.
    let line = "listening \(server.port)\n"
    _ = line.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    var received: Int32 = 0
    sigwait(&signals, &received)
    server.quiesce()
    server.stop()
} catch {
    logger.critical("\(error)")
    exit(1)
}
