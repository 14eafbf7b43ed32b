import DeviceModel
import Foundation

/// A device as the API shows it: its definition (flat, as in a create) plus what is true right now.
///
/// Its fields sit behind one reference, copied on write: a listing hands each device's view on several times
/// before it becomes bytes, and a copy then costs one retain instead of one per string, and two copies of one view
/// are equal at a pointer comparison (`GET /devices` compares every view with the ones it listed last).
public struct DeviceView: Encodable, Sendable, Equatable {
    private var storage: Storage

    // SAFETY: `fields` is written only through the private subscript, on a storage no other view shares (copied
    // first otherwise), so a storage two threads can see is never written.
    private final class Storage: @unchecked Sendable {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private struct Fields: Equatable {
        var id: UInt32
        var definition: DeviceDefinition
        var state: String
        var desiredState: String
        var blockDevice: String?
        var backingIO: String?
        var error: String?
        var recoveries: Int
        var lastRecovery: EventView?
        var connection: ConnectionView?
        var createdAt: Date
        var updatedAt: Date
    }

    /// A field, read from the shared storage, or written to a storage of this view's own (copied first when shared).
    private subscript<Value>(_ field: WritableKeyPath<Fields, Value>) -> Value {
        get { storage.fields[keyPath: field] }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
            storage.fields[keyPath: field] = newValue
        }
    }

    public static func == (lhs: DeviceView, rhs: DeviceView) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public var id: UInt32 { get { self[\.id] } set { self[\.id] = newValue } }
    /// As it runs: `io_mode` is the mode the device runs in (never `auto`), `batch_io` the command model in use.
    public var definition: DeviceDefinition { get { self[\.definition] } set { self[\.definition] = newValue } }
    /// live, quiesced, recovering, stopped, failed (and creating while a create is under way).
    public var state: String { get { self[\.state] } set { self[\.state] = newValue } }
    public var desiredState: String { get { self[\.desiredState] } set { self[\.desiredState] = newValue } }
    public var blockDevice: String? { get { self[\.blockDevice] } set { self[\.blockDevice] = newValue } }
    /// How the backing store is accessed: direct (O_DIRECT), buffered, memory or none.
    public var backingIO: String? { get { self[\.backingIO] } set { self[\.backingIO] = newValue } }
    public var error: String? { get { self[\.error] } set { self[\.error] = newValue } }
    public var recoveries: Int { get { self[\.recoveries] } set { self[\.recoveries] = newValue } }
    public var lastRecovery: EventView? { get { self[\.lastRecovery] } set { self[\.lastRecovery] = newValue } }
    /// Network targets: the connections to the server.
    public var connection: ConnectionView? { get { self[\.connection] } set { self[\.connection] = newValue } }
    public var createdAt: Date { get { self[\.createdAt] } set { self[\.createdAt] = newValue } }
    public var updatedAt: Date { get { self[\.updatedAt] } set { self[\.updatedAt] = newValue } }

    public init(id: UInt32, definition: DeviceDefinition, state: String, desiredState: String, blockDevice: String?,
                backingIO: String?, error: String?, recoveries: Int, lastRecovery: EventView?,
                connection: ConnectionView? = nil, createdAt: Date, updatedAt: Date) {
        storage = Storage(Fields(
            id: id, definition: definition, state: state, desiredState: desiredState, blockDevice: blockDevice,
            backingIO: backingIO, error: error, recoveries: recoveries, lastRecovery: lastRecovery,
            connection: connection, createdAt: createdAt, updatedAt: updatedAt))
    }

    enum Field: String, CodingKey {
        case id, state, error, recoveries
        case desiredState = "desired_state", blockDevice = "block_device", backingIO = "backing_io"
        case lastRecovery = "last_recovery", createdAt = "created_at", updatedAt = "updated_at", connection
    }

    /// Explicit keys: the router's encoder converts camelCase keys to snake_case, which the definition's own
    /// wire names already are.
    public func encode(to encoder: any Encoder) throws {
        try definition.encode(to: encoder)
        var fields = encoder.container(keyedBy: Field.self)
        try fields.encode(id, forKey: .id)
        try fields.encode(state, forKey: .state)
        try fields.encode(desiredState, forKey: .desiredState)
        try fields.encodeIfPresent(blockDevice, forKey: .blockDevice)
        try fields.encodeIfPresent(backingIO, forKey: .backingIO)
        try fields.encodeIfPresent(error, forKey: .error)
        try fields.encode(recoveries, forKey: .recoveries)
        try fields.encodeIfPresent(lastRecovery, forKey: .lastRecovery)
        try fields.encodeIfPresent(connection, forKey: .connection)
        try fields.encode(createdAt, forKey: .createdAt)
        try fields.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A network target's connections: `connected`, `reconnecting` (I/O waits), `failing` (past the reconnect timeout,
/// I/O fails), and how often they went and came back since the device's queues started.
public struct ConnectionView: Codable, Sendable, Equatable {
    public var state: String
    public var disconnects: UInt64
    public var reconnects: UInt64

    public init(state: String, disconnects: UInt64, reconnects: UInt64) {
        self.state = state
        self.disconnects = disconnects
        self.reconnects = reconnects
    }
}

public struct DeviceList: Encodable, Sendable, Equatable {
    public var devices: [DeviceView]
}

/// A queue's counters in `/stats`, from the queues' atomics. They count since this daemon process attached the
/// device (`since`), so a restart starts them again from zero.
extension IOCounters: JSONFields {
    public func writeFields<Writer: FieldWriter>(_ writer: inout Writer) throws {
        try writer.write("discards", discards)
        try writer.write("errors", errors)
        try writer.write("flushes", flushes)
        try writer.write("in_flight", inFlight)
        try writer.write("read_bytes", readBytes)
        try writer.write("reads", reads)
        try writer.write("ring_enters", ringEnters)
        try writer.write("write_bytes", writeBytes)
        try writer.write("write_zeroes", writeZeroes)
        try writer.write("writes", writes)
    }
}

/// `/stats`: the device's totals sit at the top level, among its own fields, with each queue's counters below.
public struct DeviceStatisticsView: Encodable, Sendable, Equatable, JSONFields {
    public var id: UInt32
    public var state: String
    public var since: Date?
    public var uptimeSeconds: Double
    /// The queues summed.
    public var total: IOCounters
    public var queues: [IOCounters]

    public init(id: UInt32, state: String, since: Date?, uptimeSeconds: Double, total: IOCounters,
                queues: [IOCounters]) {
        self.id = id
        self.state = state
        self.since = since
        self.uptimeSeconds = uptimeSeconds
        self.total = total
        self.queues = queues
    }

    public func writeFields<Writer: FieldWriter>(_ writer: inout Writer) throws {
        // The keys in ascending order, the totals' among the view's own.
        try writer.write("discards", total.discards)
        try writer.write("errors", total.errors)
        try writer.write("flushes", total.flushes)
        try writer.write("id", UInt64(id))
        try writer.write("in_flight", total.inFlight)
        try writer.write("queues", queues)
        try writer.write("read_bytes", total.readBytes)
        try writer.write("reads", total.reads)
        try writer.write("ring_enters", total.ringEnters)
        try writer.write("since", since)
        try writer.write("state", state)
        try writer.write("uptime_seconds", uptimeSeconds)
        try writer.write("write_bytes", total.writeBytes)
        try writer.write("write_zeroes", total.writeZeroes)
        try writer.write("writes", total.writes)
    }

    public func encode(to encoder: any Encoder) throws { try encodeFields(to: encoder) }
}

public struct EventView: Codable, Sendable, Equatable {
    public var id: Int64
    public var deviceId: UInt32
    public var deviceName: String
    public var kind: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var durationMs: Int64?
    public var outcome: String
    public var error: String?
    public var detail: String?

    public init(id: Int64, deviceId: UInt32, deviceName: String, kind: String, startedAt: Date, finishedAt: Date?,
                durationMs: Int64?, outcome: String, error: String?, detail: String?) {
        self.id = id
        self.deviceId = deviceId
        self.deviceName = deviceName
        self.kind = kind
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMs = durationMs
        self.outcome = outcome
        self.error = error
        self.detail = detail
    }
}

public struct EventPage: Codable, Sendable, Equatable {
    public var events: [EventView]
    /// Pass as `before` to get the next (older) page; absent on the last page.
    public var nextBefore: Int64?

    public init(events: [EventView], nextBefore: Int64?) {
        self.events = events
        self.nextBefore = nextBefore
    }
}

public struct HealthView: Codable, Sendable, Equatable, JSONFields {
    public struct Kernel: Codable, Sendable, Equatable, JSONFields {
        public var available: Bool
        public var release: String?
        public var features: [String]
        public var featureBits: String?
        public var message: String?

        public init(available: Bool, release: String?, features: [String], featureBits: String?, message: String?) {
            self.available = available
            self.release = release
            self.features = features
            self.featureBits = featureBits
            self.message = message
        }

        public func writeFields<Writer: FieldWriter>(_ writer: inout Writer) throws {
            try writer.write("available", available)
            try writer.write("feature_bits", featureBits)
            try writer.write("features", features)
            try writer.write("message", message)
            try writer.write("release", release)
        }

        public func encode(to encoder: any Encoder) throws { try encodeFields(to: encoder) }
    }

    public struct StartReport: Codable, Sendable, Equatable, JSONFields {
        public var startedAt: Date
        public var durationMs: Int64
        public var recovered: Int
        public var recreated: Int
        public var failed: Int

        public init(startedAt: Date, durationMs: Int64, recovered: Int, recreated: Int, failed: Int) {
            self.startedAt = startedAt
            self.durationMs = durationMs
            self.recovered = recovered
            self.recreated = recreated
            self.failed = failed
        }

        public func writeFields<Writer: FieldWriter>(_ writer: inout Writer) throws {
            try writer.write("duration_ms", durationMs)
            try writer.write("failed", Int64(failed))
            try writer.write("recovered", Int64(recovered))
            try writer.write("recreated", Int64(recreated))
            try writer.write("started_at", startedAt)
        }

        public func encode(to encoder: any Encoder) throws { try encodeFields(to: encoder) }
    }

    public var status: String
    public var version: String
    public var kernel: Kernel
    public var devices: [String: Int]
    /// ublk devices the driver has that ublkd's store does not know: left alone.
    public var unmanagedDevices: [UInt32]
    public var lastStart: StartReport?
    /// Why the state store fails, while it does (the status is then `degraded`).
    public var store: String?

    public init(status: String, version: String, kernel: Kernel, devices: [String: Int], unmanagedDevices: [UInt32],
                lastStart: StartReport?, store: String? = nil) {
        self.status = status
        self.version = version
        self.kernel = kernel
        self.devices = devices
        self.unmanagedDevices = unmanagedDevices
        self.lastStart = lastStart
        self.store = store
    }

    public func writeFields<Writer: FieldWriter>(_ writer: inout Writer) throws {
        try writer.write("devices", devices)
        try writer.write("kernel", kernel)
        try writer.write("last_start", lastStart)
        try writer.write("status", status)
        try writer.write("store", store)
        try writer.write("unmanaged_devices", unmanagedDevices)
        try writer.write("version", version)
    }

    public func encode(to encoder: any Encoder) throws { try encodeFields(to: encoder) }
}
