import DeviceModel
import Engine
import Foundation
import HTTPAPI
import Logging
import Store
import Synchronization

/// The daemon's devices: stored definitions made real by the backend, every operation "store what should be, then
/// converge" through `DeviceLifecycle`, the same way a restart brings each device back.
///
/// Reads are answered from memory: each device's record is kept in step with every write, so `GET /devices` costs
/// no query. The store is read at start and for the event history.
public final class DeviceManager: Sendable {
    let store: Store
    let backend: any DeviceBackend
    let logger: Logger
    let devices = Mutex(DeviceTable())
    /// Serializes the short step that picks an id and writes the new row, so two creates cannot pick the same id.
    let reservation = Mutex(())
    let lastStart = Mutex<HealthView.StartReport?>(nil)
    /// Why the store failed last (cleared by the next success): /health says degraded meanwhile. Kept for good
    /// once `storeUnreadable`.
    let storeFault = Mutex<StoreFault?>(nil)
    /// The device table could not be loaded at start: nothing the daemon shows would be true, and every device
    /// operation answers `store_error`. Set under `storeFault`'s lock, never cleared; read without it, since every
    /// request asks (and two event loops answering polls would otherwise pass that lock between them).
    private let storeUnreadable = Atomic(false)
    let patience: Patience
    public let metrics: DaemonMetrics

    /// How long the daemon waits for the kernel before it gives up on a device.
    package struct Patience: Sendable {
        /// For the driver to notice a dead server (see `DeviceLifecycle`).
        var quiesce: Duration = .seconds(45)
        /// For every device at start-up, before the API answers anyway.
        var startup: Duration = .seconds(90)

        package init(quiesce: Duration = .seconds(45), startup: Duration = .seconds(90)) {
            self.quiesce = quiesce
            self.startup = startup
        }
    }

    struct StoreFault: Sendable {
        var message: String
    }

    package init(store: Store, backend: any DeviceBackend, logger: Logger,
                 metrics: DaemonMetrics = DaemonMetrics(version: Configuration.version),
                 patience: Patience = Patience()) {
        self.metrics = metrics
        self.store = store
        self.backend = backend
        self.logger = logger
        self.patience = patience
    }

    func managed(_ id: UInt32) throws(DaemonError) -> ManagedDevice {
        try checkStoreLoaded()
        guard let device = devices.withLock({ $0[id] }) else { throw .notFound(id) }
        return device
    }

    func checkStoreLoaded() throws(DaemonError) {
        guard storeUnreadable.load(ordering: .acquiring) else { return }
        let message = storeFault.withLock { $0?.message } ?? "unknown"
        throw .store(.database("the stored devices could not be read at start: \(message)"))
    }

    func deviceLogger(_ id: UInt32) -> Logger {
        var log = logger
        log[metadataKey: "ublk.dev_id"] = "\(id)"
        return log
    }

    // MARK: the store, with its failures kept for /health

    /// One write transaction; a failure is logged and remembered for /health, and comes out as `.store`.
    @discardableResult
    func write<T>(_ body: (StoreTransaction) throws -> T) throws(DaemonError) -> T {
        try storeCall { try store.write(body) }
    }

    /// One read transaction, its failures kept for /health like a write's.
    func read<T>(_ body: (StoreTransaction) throws -> T) throws(DaemonError) -> T {
        try storeCall { try store.read(body) }
    }

    private func storeCall<T>(_ call: () throws -> T) throws(DaemonError) -> T {
        do {
            let result = try call()
            clearStoreFault()
            return result
        } catch let error as StoreError {
            throw storeFailed(error)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw storeFailed(.database(String(describing: error)))
        }
    }

    func storeFailed(_ error: StoreError, unreadable: Bool = false) -> DaemonError {
        switch error {
        case .nameTaken, .idTaken, .notFound, .noFreeDeviceID:
            break
        default:
            logger.error("state store failed: \(error)")
            storeFault.withLock { fault in
                if unreadable { storeUnreadable.store(true, ordering: .releasing) }
                fault = StoreFault(message: error.description)
            }
        }
        return .store(error)
    }

    private func clearStoreFault() {
        storeFault.withLock { fault in
            if !storeUnreadable.load(ordering: .relaxed) { fault = nil }
        }
    }

    /// Writes `record` with `event`, and keeps the in-memory copy in step.
    func save(_ managed: ManagedDevice, _ record: DeviceRecord, event: EventRecord? = nil) throws(DaemonError) {
        let (stored, storedEvent) = try write { transaction in
            (try transaction.updateDevice(record), try event.map { try transaction.appendEvent($0) })
        }
        managed.record = stored
        if let storedEvent, EventKind.recoveries.contains(storedEvent.kind) { managed.noteRecovery(storedEvent) }
    }

    static func event(_ record: DeviceRecord, _ kind: EventKind, since started: Date, error: String? = nil,
                      detail: String? = nil) -> EventRecord {
        .finished(deviceID: record.id, deviceName: record.name, kind: kind.rawValue, startedAt: started, error: error,
                  detail: detail)
    }
}

/// Kinds of event rows.
enum EventKind: String, Sendable {
    case created
    case createFailed = "create_failed"
    case started
    case stopped
    case deleted
    case crashRecovery = "crash_recovery"
    case recreate
    case manual
    case resize
    case disconnected
    case reconnected
    case connectionFailed = "connection_failed"
    /// The kernel device was removed for good (package removal); the definition stays for the next start.
    case released

    static let recoveries: Set<String> = [crashRecovery.rawValue, recreate.rawValue, manual.rawValue]
}
