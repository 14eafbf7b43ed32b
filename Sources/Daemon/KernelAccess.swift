import Engine
import Glibc
import HTTPAPI
import Logging
import Synchronization

/// The engine, opened when the driver is there. If it is not at start, the daemon keeps serving, answers device
/// operations with 503, and tries again on each one, so `modprobe ublk_drv` later needs no restart.
final class KernelAccess: Sendable {
    let controlPath: String
    let logger: Logger
    private let opened = Mutex<Engine?>(nil)

    init(controlPath: String, logger: Logger) {
        self.controlPath = controlPath
        self.logger = logger
    }

    /// Loads the driver if its control node is missing; quiet if that fails (the daemon runs on without it).
    func loadDriverIfMissing() {
        guard access(controlPath, F_OK) != 0 else { return }
        let status = Subprocess.run(["modprobe", "ublk_drv"])
        logger.notice("\(controlPath) missing; modprobe ublk_drv exited \(status.map(String.init) ?? "unstartable")")
    }

    func engine() throws(APIError) -> Engine {
        do {
            return try opened.withLock { (engine: inout Engine?) throws(EngineError) -> Engine in
                if let engine { return engine }
                let created = try Engine(controlPath: controlPath, logger: logger)
                engine = created
                return created
            }
        } catch {
            throw APIError.from(error)
        }
    }

    var current: Engine? { try? engine() }
}
