import DeviceModel
import Engine
import Foundation
import HTTPAPI
import Store

/// What the API shows, from memory (devices, counters, health) or from the store (the history).
extension DeviceManager {
    func list() throws(DaemonError) -> [DeviceView] {
        try checkStoreLoaded()
        return devices.withLock { $0.ordered }.map(view)
    }

    func deviceView(id: UInt32) throws(DaemonError) -> DeviceView {
        view(try managed(id))
    }

    func view(_ managed: ManagedDevice) -> DeviceView {
        managed.view(Self.view)
    }

    static func view(_ fields: ManagedDevice.Fields, _ connection: ConnectionStatus?) -> DeviceView {
        let record = fields.record
        let device = fields.runtime.device
        var shown = record.definition
        if let device {
            shown.ioMode = device.ioMode == .zeroCopy ? .zeroCopy : .copy
            shown.batchIO = device.batchIO
        }
        var error: String?
        if case .failed(let reason) = fields.runtime { error = reason }
        return DeviceView(
            id: record.id, definition: shown, state: Self.shownState(fields.runtime, connection).name,
            desiredState: record.desiredState.rawValue, blockDevice: device?.blockDevicePath,
            backingIO: device?.ioDescription, error: Self.connectionProblem(connection, record) ?? error ?? record.lastError,
            recoveries: fields.recoveries.count, lastRecovery: fields.recoveries.last.map(EventView.init),
            connection: connection.map(ConnectionView.init), createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    /// A device whose server has been unreachable past its reconnect timeout serves only errors: it shows failed.
    static func shownState(_ runtime: RuntimeState, _ connection: ConnectionStatus?) -> RuntimeState.Kind {
        connection?.state == .failing ? .failed : runtime.kind
    }

    static func connectionProblem(_ connection: ConnectionStatus?, _ record: DeviceRecord) -> String? {
        guard let connection, connection.state == .failing, case .nbd(let export) = record.definition.target else {
            return nil
        }
        return "the NBD server \(export.displayURI) has been unreachable for more than \(export.reconnectTimeoutSeconds) s: "
            + "I/O fails with EIO until it is back (ublkd keeps reconnecting)"
    }

    func counters(id: UInt32) throws(DaemonError) -> DeviceStatisticsView {
        let state = try managed(id).state
        guard let device = state.device else {
            return DeviceStatisticsView(id: id, state: state.name, since: nil, uptimeSeconds: 0, total: IOCounters(),
                                        queues: [])
        }
        let queues = device.queueStatistics()
        let total = queues.reduce(IOCounters(), +)
        let seconds = (ContinuousClock.now - device.startedAt).seconds
        return DeviceStatisticsView(id: id, state: state.name, since: Date(timeIntervalSinceNow: -seconds),
                                    uptimeSeconds: (seconds * 1000).rounded() / 1000, total: total, queues: queues)
    }

    func eventPage(id: UInt32, limit: Int, before: Int64?) throws(DaemonError) -> EventPage {
        _ = try managed(id)
        return try historyPage(deviceID: id, limit: limit, before: before)
    }

    func historyPage(deviceID: UInt32?, limit: Int, before: Int64?) throws(DaemonError) -> EventPage {
        let events = try read { try $0.events(deviceID: deviceID, limit: limit + 1, before: before) }
        let page = events.prefix(limit).map(EventView.init)
        return EventPage(events: page, nextBefore: events.count > limit ? page.last?.id : nil)
    }

    public func health() -> HealthView {
        let features = try? backend.features()
        let kernelIDs = backend.kernelDeviceIDs()
        let ordered = devices.withLock { $0.ordered }
        // Both lists ascend by id: one walk finds the kernel's devices the table lacks.
        var unmanaged: [UInt32] = []
        var next = 0
        for id in kernelIDs {
            while next < ordered.count && ordered[next].id < id { next += 1 }
            if next == ordered.count || ordered[next].id != id { unmanaged.append(id) }
        }
        var counts = [Int](repeating: 0, count: RuntimeState.Kind.allCases.count)
        for device in ordered { counts[device.shownState.rawValue] += 1 }
        var byState: [String: Int] = [:]
        for kind in RuntimeState.Kind.allCases where counts[kind.rawValue] > 0 {
            byState[kind.name] = counts[kind.rawValue]
        }
        let fault = storeFault.withLock { $0 }
        var messages: [String] = []
        if features == nil { messages.append("ublk driver unavailable: run `modprobe ublk_drv` as root") }
        if let fault { messages.append("state store failing: \(fault.message)") }
        if let unreachable = byState["failed"], unreachable > 0 {
            messages.append("\(unreachable) device(s) failed")
        }
        let kernelView = HealthView.Kernel(
            available: features != nil, release: KernelInventory.release, features: features?.names ?? [],
            featureBits: features.map { "0x" + String($0.rawValue, radix: 16) },
            message: features == nil ? messages.first : nil)
        return HealthView(status: messages.isEmpty ? "ok" : "degraded", version: Configuration.version,
                          kernel: kernelView, devices: byState, unmanagedDevices: unmanaged,
                          lastStart: lastStart.withLock { $0 }, store: fault?.message)
    }

    /// The Prometheus exposition: every stored device with the same counters `/stats` reads.
    public func metricsExposition() -> [UInt8] {
        let samples = devices.withLock { $0.ordered }.map { managed in
            let fields = managed.snapshot
            return DaemonMetrics.DeviceSample(
                id: fields.record.id, name: fields.record.name, target: fields.record.definition.target.kind.rawValue,
                state: Self.shownState(fields.runtime, fields.runtime.device?.connectionStatus),
                sizeBytes: fields.record.definition.sizeBytes,
                counters: fields.runtime.device.map { $0.queueStatistics().reduce(IOCounters(), +) },
                connection: fields.runtime.device?.connectionStatus, recoveries: fields.recoveries.count,
                lastRecoverySeconds: Double(fields.recoveries.last?.durationMs ?? 0) / 1000)
        }
        return metrics.render(devices: samples, driverAvailable: (try? backend.features()) != nil)
    }
}

extension ConnectionView {
    init(_ status: ConnectionStatus) {
        self.init(state: status.state.name, disconnects: status.disconnects, reconnects: status.reconnects)
    }
}

extension EventView {
    init(_ record: EventRecord) {
        self.init(id: record.id, deviceId: record.deviceID, deviceName: record.deviceName, kind: record.kind,
                  startedAt: record.startedAt, finishedAt: record.finishedAt, durationMs: record.durationMs,
                  outcome: record.outcome, error: record.error, detail: record.detail)
    }
}
