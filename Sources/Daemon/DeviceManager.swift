import Engine
import Foundation
import HTTPAPI
import Logging
import Store
import Synchronization
import UblkABI

/// The daemon's device service: stored definitions (Store) made real by the engine, one story per operation.
public final class DeviceManager: DeviceService, Sendable {
    let store: Store
    let kernel: KernelAccess
    let configuration: Configuration
    let logger: Logger
    let devices = Mutex<[UInt32: ManagedDevice]>([:])
    /// Serializes the short step that picks an id and writes the new row, so two creates cannot pick the same id.
    let reservation = Mutex(())
    let lastStart = Mutex<HealthView.StartReport?>(nil)
    public let metrics: DaemonMetrics

    init(store: Store, kernel: KernelAccess, configuration: Configuration, logger: Logger,
         metrics: DaemonMetrics = DaemonMetrics(version: Configuration.version)) {
        self.metrics = metrics
        self.store = store
        self.kernel = kernel
        self.configuration = configuration
        self.logger = logger
    }

    func managed(_ id: UInt32) throws(APIError) -> ManagedDevice {
        guard let device = devices.withLock({ $0[id] }) else { throw .notFound("no device with id \(id)") }
        return device
    }

    func record(_ id: UInt32) throws(APIError) -> DeviceRecord {
        do {
            guard let record = try store.device(id: id) else { throw APIError.notFound("no device with id \(id)") }
            return record
        } catch {
            throw .unexpected(error, logger: logger)
        }
    }

    func deviceLogger(_ id: UInt32) -> Logger {
        var log = logger
        log[metadataKey: "ublk.dev_id"] = "\(id)"
        return log
    }

    // MARK: reading

    public func listDevices() -> [DeviceView] {
        let records = (try? store.devices()) ?? []
        return records.map { view($0) }
    }

    public func device(id: UInt32) throws(APIError) -> DeviceView {
        view(try record(id))
    }

    public func statistics(id: UInt32) throws(APIError) -> DeviceStatisticsView {
        let managed = try managed(id)
        let state = managed.state
        guard let device = state.device else {
            return DeviceStatisticsView(id: id, state: state.name, since: nil, uptimeSeconds: 0, total: CountersView(),
                                        queues: [])
        }
        let queues = device.queueStatistics().map(CountersView.init)
        let total = queues.reduce(into: CountersView()) { $0.add($1) }
        let uptime = ContinuousClock.now - device.startedAt
        let seconds = uptime.seconds
        return DeviceStatisticsView(id: id, state: state.name, since: Date(timeIntervalSinceNow: -seconds),
                                    uptimeSeconds: (seconds * 1000).rounded() / 1000, total: total, queues: queues)
    }

    public func events(id: UInt32, limit: Int, before: Int64?) throws(APIError) -> EventPage {
        _ = try record(id)
        return try history(deviceID: id, limit: limit, before: before)
    }

    public func history(deviceID: UInt32?, limit: Int, before: Int64?) throws(APIError) -> EventPage {
        do {
            let events = try store.events(deviceID: deviceID, limit: limit + 1, before: before)
            let page = events.prefix(limit).map(EventView.init)
            return EventPage(events: page, nextBefore: events.count > limit ? page.last?.id : nil)
        } catch {
            throw .unexpected(error, logger: logger)
        }
    }

    public func health() -> HealthView {
        let engine = kernel.current
        var byState: [String: Int] = [:]
        let stored = Set(devices.withLock { table in
            for device in table.values { byState[device.state.name, default: 0] += 1 }
            return table.keys
        })
        let unmanaged = KernelInventory.deviceIDs().subtracting(stored).sorted()
        let kernelView = HealthView.Kernel(
            available: engine != nil, release: KernelInventory.release, features: engine?.features.names ?? [],
            featureBits: engine.map { "0x" + String($0.features.rawValue, radix: 16) },
            message: engine == nil ? "ublk driver unavailable: run `modprobe ublk_drv` as root" : nil)
        return HealthView(status: engine == nil ? "degraded" : "ok", version: Configuration.version, kernel: kernelView,
                          devices: byState, unmanagedDevices: unmanaged, lastStart: lastStart.withLock { $0 })
    }

    /// What this process knows of a stored device now; a row without a managed device was never attached.
    func runtimeState(_ id: UInt32) -> RuntimeState {
        devices.withLock { $0[id]?.state } ?? .failed("not attached")
    }

    /// The Prometheus exposition: every stored device with the same counters `/stats` reads.
    public func metricsExposition() -> [UInt8] {
        let records = (try? store.devices()) ?? []
        let samples = records.map { record in
            let state = runtimeState(record.id)
            return DaemonMetrics.DeviceSample(
                id: record.id, name: record.name, target: record.target, state: state.name,
                sizeBytes: record.sizeBytes,
                counters: state.device.map { $0.queueStatistics().reduce(QueueStatistics(), +) })
        }
        return metrics.render(devices: samples, driverAvailable: kernel.current != nil)
    }

    func view(_ record: DeviceRecord) -> DeviceView {
        let state = runtimeState(record.id)
        let device = state.device
        let recoveryKinds = EventKind.recoveries
        let recoveries = (try? store.eventCount(deviceID: record.id, kinds: recoveryKinds)) ?? 0
        let last = (try? store.lastEvent(deviceID: record.id, kinds: recoveryKinds)) ?? nil
        var error: String?
        if case .failed(let reason) = state { error = reason }
        return DeviceView(
            id: record.id, name: record.name, target: record.target, path: record.path, size: record.sizeBytes,
            blockSize: record.blockSize, queues: record.queues, queueDepth: record.queueDepth,
            maxIOSize: record.maxIOBytes, readOnly: record.readOnly, recovery: record.recovery, state: state.name,
            desiredState: record.desiredState.rawValue, blockDevice: device?.blockDevicePath,
            ioMode: device?.ioMode.rawValue ?? record.ioMode, pinQueues: record.pinQueues,
            queueThreads: record.queueThreads, batchIO: device?.batchIO ?? record.batchIO,
            backingIO: device?.ioDescription,
            error: error ?? record.lastError, recoveries: recoveries, lastRecovery: last.map(EventView.init),
            createdAt: record.createdAt, updatedAt: record.updatedAt)
    }
}

/// Kinds of event rows.
enum EventKind {
    static let created = "created"
    static let createFailed = "create_failed"
    static let started = "started"
    static let stopped = "stopped"
    static let deleted = "deleted"
    static let crashRecovery = "crash_recovery"
    static let recreate = "recreate"
    static let manual = "manual"
    static let resize = "resize"
    static let recoveries: Set<String> = [crashRecovery, recreate, manual]
}

extension CountersView {
    init(_ statistics: QueueStatistics) {
        self.init(reads: statistics.reads, writes: statistics.writes, flushes: statistics.flushes,
                  discards: statistics.discards, writeZeroes: statistics.writeZeroes, readBytes: statistics.readBytes,
                  writeBytes: statistics.writtenBytes, errors: statistics.errors, inFlight: statistics.inFlight,
                  ringEnters: statistics.ringEnters)
    }

    mutating func add(_ other: CountersView) {
        reads += other.reads
        writes += other.writes
        flushes += other.flushes
        discards += other.discards
        writeZeroes += other.writeZeroes
        readBytes += other.readBytes
        writeBytes += other.writeBytes
        errors += other.errors
        inFlight += other.inFlight
        ringEnters += other.ringEnters
    }
}

extension EventView {
    init(_ record: EventRecord) {
        self.init(id: record.id, deviceId: record.deviceID, deviceName: record.deviceName, kind: record.kind,
                  startedAt: record.startedAt, finishedAt: record.finishedAt, durationMs: record.durationMs,
                  outcome: record.outcome, error: record.error, detail: record.detail)
    }
}
