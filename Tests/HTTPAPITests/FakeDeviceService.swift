import DeviceModel
import Foundation
import HTTPAPI
import Synchronization
import Testing

/// An in-memory `DeviceService`: records every call, answers from canned views, and throws on demand, so router
/// and transport tests can reach every success and every error without a kernel or a store.
final class FakeDeviceService: DeviceService {
    enum Operation: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case create, device, stop, start, recover, delete, resize, statistics, events

        var testDescription: String { rawValue }
    }

    enum Call: Sendable, Equatable {
        case create(CreateDeviceRequest)
        case list
        case device(UInt32)
        case stop(UInt32)
        case start(UInt32)
        case recover(UInt32)
        case delete(UInt32)
        case resize(UInt32, ResizeDeviceRequest)
        case statistics(UInt32)
        case events(UInt32, limit: Int, before: Int64?)
        case history(UInt32?, limit: Int, before: Int64?)
        case health
        case metrics
    }

    private struct State {
        var devices: [UInt32: DeviceView]
        var calls: [Call] = []
        var failures: [Operation: APIError] = [:]
        var createDelay: Duration = .zero
    }

    private let state: Mutex<State>

    init(devices: [DeviceView] = Canned.devices) {
        state = Mutex(State(devices: Dictionary(uniqueKeysWithValues: devices.map { ($0.id, $0) })))
    }

    var calls: [Call] { state.withLock { $0.calls } }

    func fail(_ operation: Operation, with error: APIError) {
        state.withLock { $0.failures[operation] = error }
    }

    /// Makes `createDevice` block this long, as building a real device does.
    func delayCreate(by delay: Duration) {
        state.withLock { $0.createDelay = delay }
    }

    /// Records the call and returns the configured failure for it, if any. The lock is released before any sleep.
    private func begin(_ call: Call, _ operation: Operation?) -> (APIError?, Duration) {
        state.withLock { state in
            state.calls.append(call)
            let failure = operation.flatMap { state.failures[$0] }
            return (failure, operation == .create ? state.createDelay : .zero)
        }
    }

    private func lookup(_ id: UInt32) throws(APIError) -> DeviceView {
        guard let device = state.withLock({ $0.devices[id] }) else { throw .notFound("no device with id \(id)") }
        return device
    }

    private func transition(_ call: Call, _ operation: Operation, _ id: UInt32, to newState: String,
                            blockDevice: String?) throws(APIError) -> DeviceView {
        if let failure = begin(call, operation).0 { throw failure }
        var device = try lookup(id)
        device.state = newState
        device.blockDevice = blockDevice
        state.withLock { $0.devices[id] = device }
        return device
    }

    func createDevice(_ request: CreateDeviceRequest) throws(APIError) -> DeviceView {
        let (failure, delay) = begin(.create(request), .create)
        if delay > .zero {
            let (seconds, attoseconds) = delay.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
        if let failure { throw failure }
        return state.withLock { state in
            let id = (state.devices.keys.max() ?? 0) + 1
            var definition = request.definition
            if request.sizeFromBackingStore { definition.sizeBytes = 1 << 30 }
            let device = Canned.device(id: id, definition: definition, state: "live",
                                       blockDevice: "/dev/ublkb\(id)")
            state.devices[id] = device
            return device
        }
    }

    func listDevices() throws(APIError) -> [DeviceView] {
        _ = begin(.list, nil)
        return state.withLock { $0.devices.values.sorted { $0.id < $1.id } }
    }

    func device(id: UInt32) throws(APIError) -> DeviceView {
        if let failure = begin(.device(id), .device).0 { throw failure }
        return try lookup(id)
    }

    func stopDevice(id: UInt32) throws(APIError) -> DeviceView {
        try transition(.stop(id), .stop, id, to: "stopped", blockDevice: nil)
    }

    func startDevice(id: UInt32) throws(APIError) -> DeviceView {
        try transition(.start(id), .start, id, to: "live", blockDevice: "/dev/ublkb\(id)")
    }

    func recoverDevice(id: UInt32) throws(APIError) -> DeviceView {
        try transition(.recover(id), .recover, id, to: "live", blockDevice: "/dev/ublkb\(id)")
    }

    func deleteDevice(id: UInt32) throws(APIError) {
        if let failure = begin(.delete(id), .delete).0 { throw failure }
        _ = try lookup(id)
        state.withLock { _ = $0.devices.removeValue(forKey: id) }
    }

    func resizeDevice(id: UInt32, _ request: ResizeDeviceRequest) throws(APIError) -> DeviceView {
        if let failure = begin(.resize(id, request), .resize).0 { throw failure }
        var device = try lookup(id)
        device.definition.sizeBytes = request.size
        state.withLock { $0.devices[id] = device }
        return device
    }

    func statistics(id: UInt32) throws(APIError) -> DeviceStatisticsView {
        if let failure = begin(.statistics(id), .statistics).0 { throw failure }
        let device = try lookup(id)
        return Canned.statistics(id: id, state: device.state)
    }

    func events(id: UInt32, limit: Int, before: Int64?) throws(APIError) -> EventPage {
        if let failure = begin(.events(id, limit: limit, before: before), .events).0 { throw failure }
        _ = try lookup(id)
        return Canned.eventPage(id: id)
    }

    func history(deviceID: UInt32?, limit: Int, before: Int64?) throws(APIError) -> EventPage {
        _ = begin(.history(deviceID, limit: limit, before: before), nil)
        return Canned.eventPage(id: deviceID ?? 0)
    }

    func health() -> HealthView {
        _ = begin(.health, nil)
        return Canned.health
    }

    func metricsExposition() -> [UInt8] {
        _ = begin(.metrics, nil)
        return Array("# TYPE ublkd_build_info gauge\nublkd_build_info{version=\"test\"} 1\n".utf8)
    }
}

/// Views with every optional field set (so every key shows up in JSON) and whole-second dates (ISO 8601 output
/// has no fractions, so they compare exactly).
enum Canned {
    static let created = Date(timeIntervalSince1970: 1_700_000_000)
    static let updated = Date(timeIntervalSince1970: 1_700_000_600)

    /// Device 0 is live on the null target, device 3 a failed file device that has been recovered once.
    static let devices: [DeviceView] = [
        device(id: 0, definition: definition(name: "alpha", target: .null, size: 1 << 30), state: "live",
               blockDevice: "/dev/ublkb0"),
        {
            var failed = Canned.device(
                id: 3, definition: definition(name: "beta.disk-1", target: .file(path: "/var/lib/ublkd/beta.img"),
                                              size: 10 << 30),
                state: "failed", blockDevice: nil)
            failed.error = "backing file vanished"
            failed.recoveries = 1
            failed.lastRecovery = Canned.event(id: 41, deviceID: 3)
            return failed
        }(),
    ]

    static func definition(name: String, target: TargetDefinition, size: UInt64) -> DeviceDefinition {
        DeviceDefinition(name: name, target: target, sizeBytes: size, queues: 2, queueDepth: 64, blockSize: 4096,
                         maxIOBytes: 1 << 20, ioMode: .copy, pinQueues: target.kind != .file)
    }

    static func device(id: UInt32, definition: DeviceDefinition, state: String, blockDevice: String?) -> DeviceView {
        DeviceView(
            id: id, definition: definition, state: state, desiredState: "running", blockDevice: blockDevice,
            backingIO: definition.target.kind == .file ? "direct" : "none", error: nil, recoveries: 0,
            lastRecovery: nil, createdAt: created, updatedAt: updated)
    }

    static func event(id: Int64, deviceID: UInt32) -> EventView {
        EventView(
            id: id, deviceId: deviceID, deviceName: "beta.disk-1", kind: "crash_recovery", startedAt: created,
            finishedAt: updated, durationMs: 600_000, outcome: "ok", error: "none", detail: #"{"queues":2}"#)
    }

    static func eventPage(id: UInt32) -> EventPage {
        EventPage(events: [event(id: 42, deviceID: id), event(id: 41, deviceID: id)], nextBefore: 41)
    }

    static func statistics(id: UInt32, state: String) -> DeviceStatisticsView {
        let queue = IOCounters(reads: 10, writes: 20, flushes: 3, discards: 4, writeZeroes: 5, readBytes: 40960,
                                 writeBytes: 81920, errors: 1, inFlight: 2, ringEnters: 7)
        var total = queue
        total.reads *= 2
        total.readBytes *= 2
        total.ringEnters *= 2
        return DeviceStatisticsView(id: id, state: state, since: created, uptimeSeconds: 12.5, total: total,
                                    queues: [queue, queue])
    }

    static let health = HealthView(
        status: "ok", version: "0.1.0-test",
        kernel: .init(available: true, release: "6.8.0", features: ["user_recovery", "zero_copy"],
                      featureBits: "0x42", message: "fine"),
        devices: ["live": 1, "failed": 1], unmanagedDevices: [7],
        lastStart: .init(startedAt: created, durationMs: 15, recovered: 1, recreated: 0, failed: 1))
}
