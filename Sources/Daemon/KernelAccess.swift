import DeviceModel
import Engine
import Glibc
import Logging
import Synchronization
import UblkABI

/// The real backend: the engine, opened when the driver is there. If it is not at start, the daemon keeps serving,
/// answers device operations with 503, and tries again on each one, so `modprobe ublk_drv` later needs no restart.
final class KernelAccess: DeviceBackend {
    let controlPath: String
    let paths: BackingPaths
    let logger: Logger
    private let opened = Mutex(Opening())

    /// The engine once the driver opened; until then, the last failure to open it and when that was.
    private struct Opening {
        var engine: Engine?
        var failure: EngineError?
        var failedAt: ContinuousClock.Instant?
    }

    /// How long `features()` answers with the last failure before it tries to open the driver again.
    let viewRetryInterval: Duration

    init(controlPath: String, paths: BackingPaths, logger: Logger, viewRetryInterval: Duration = .seconds(1)) {
        self.controlPath = controlPath
        self.paths = paths
        self.logger = logger
        self.viewRetryInterval = viewRetryInterval
    }

    /// Loads the driver if its control node is missing; quiet if that fails (the daemon runs on without it).
    func loadDriverIfMissing() {
        guard access(controlPath, F_OK) != 0 else { return }
        let status = Subprocess.run(["modprobe", "ublk_drv"])
        logger.notice("\(controlPath) missing; modprobe ublk_drv exited \(status.map(String.init) ?? "unstartable")")
    }

    /// The engine, the driver opened now if it was not: device operations try again each time.
    func engine() throws(EngineError) -> Engine { try open(unlessFailedWithin: .zero) }

    private func open(unlessFailedWithin interval: Duration) throws(EngineError) -> Engine {
        try opened.withLock { (opening: inout Opening) throws(EngineError) -> Engine in
            if let engine = opening.engine { return engine }
            let now = ContinuousClock.now
            if let failure = opening.failure, let at = opening.failedAt, now - at < interval { throw failure }
            do throws(EngineError) {
                let created = try Engine(controlPath: controlPath, paths: paths, logger: logger)
                opening = Opening(engine: created)
                return created
            } catch {
                opening.failure = error
                opening.failedAt = now
                throw error
            }
        }
    }

    var current: Engine? { try? engine() }

    /// For the views (`/health`, `/metrics`), which dashboards poll: without a driver, the last failure stands for
    /// a second before opening is tried again, so that polling a host without ublk_drv costs no open() each time.
    func features() throws(EngineError) -> Features {
        try open(unlessFailedWithin: viewRetryInterval).features
    }

    var host: HostLimits { .current }

    func check(_ definition: DeviceDefinition) throws(EngineError) { try engine().check(definition) }

    func checkBackingPath(_ path: String, creating: Bool) throws(EngineError) {
        _ = try paths.locate(path, creating: creating)
    }

    /// Without a driver there is no kernel device to find (unless sysfs says otherwise: then the engine's own
    /// error, e.g. a control node root cannot open, is the answer).
    func observe(_ id: UInt32) throws(EngineError) -> KernelObservation {
        do {
            return try engine().observe(id)
        } catch {
            if case .kernelUnavailable = error, !kernelDeviceIDs().contains(id) { return .absent }
            throw error
        }
    }

    func create(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try engine().create(id: id, definition)
    }

    func rebuild(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try engine().rebuild(id: id, definition)
    }

    func recover(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try engine().recover(id: id, definition)
    }

    func remove(_ id: UInt32) throws(EngineError) { try engine().remove(id) }

    func createBackingFile(_ path: String, size: UInt64) throws(EngineError) {
        try FileTarget.createSparse(path: path, size: size, paths: paths)
    }

    func removeBackingFile(_ path: String) throws(EngineError) { try paths.remove(path) }

    func backingFileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    func backingFileSize(_ path: String) -> UInt64? {
        guard let fd = try? paths.open(path, flags: O_RDONLY) else { return nil }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        return end >= 0 ? UInt64(end) : nil
    }

    func probeExport(_ uri: String) throws(EngineError) -> NBDExport { try NBDTarget.probe(uri: uri) }

    func kernelDeviceIDs() -> [UInt32] { KernelInventory.deviceIDs() }
}
