import DeviceModel

/// The API's response bodies, as far as the tables need them. Declared here rather than shared with the daemon so
/// ublkctl depends on the wire format (api/openapi.yaml) only. Wire names are spelled out in CodingKeys because
/// a snake_case key strategy would also rewrite dictionary keys such as the state names in /health.
/// Timestamps stay strings: they are only shown, and a parse failure must not hide the rest of the answer.

struct Device: Decodable, Sendable {
    var id: UInt32
    /// The definition's fields, decoded by the definition itself (shared with the daemon, the wire names included).
    var definition: DeviceDefinition
    var state: String
    var desiredState: String
    var blockDevice: String?
    var backingIO: String?
    var error: String?
    var recoveries: Int
    var lastRecovery: Event?
    var connection: Connection?
    var createdAt: String
    var updatedAt: String

    struct Connection: Decodable, Sendable {
        var state: String
        var disconnects: UInt64
        var reconnects: UInt64
    }

    enum CodingKeys: String, CodingKey {
        case id, state, error, recoveries, connection
        case desiredState = "desired_state", blockDevice = "block_device", backingIO = "backing_io"
        case lastRecovery = "last_recovery", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(from decoder: any Decoder) throws {
        definition = try DeviceDefinition(from: decoder)
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        id = try fields.decode(UInt32.self, forKey: .id)
        state = try fields.decode(String.self, forKey: .state)
        desiredState = try fields.decode(String.self, forKey: .desiredState)
        blockDevice = try fields.decodeIfPresent(String.self, forKey: .blockDevice)
        backingIO = try fields.decodeIfPresent(String.self, forKey: .backingIO)
        error = try fields.decodeIfPresent(String.self, forKey: .error)
        recoveries = try fields.decode(Int.self, forKey: .recoveries)
        lastRecovery = try fields.decodeIfPresent(Event.self, forKey: .lastRecovery)
        connection = try fields.decodeIfPresent(Connection.self, forKey: .connection)
        createdAt = try fields.decode(String.self, forKey: .createdAt)
        updatedAt = try fields.decode(String.self, forKey: .updatedAt)
    }

    var name: String { definition.name }
}

struct DeviceList: Decodable, Sendable {
    var devices: [Device]
}

struct Counters: Decodable, Sendable, Equatable {
    var reads: UInt64
    var writes: UInt64
    var flushes: UInt64
    var discards: UInt64
    var writeZeroes: UInt64
    var readBytes: UInt64
    var writeBytes: UInt64
    var errors: UInt64
    var inFlight: Int64
    /// Absent from daemons older than the counter.
    var ringEnters: UInt64?

    enum CodingKeys: String, CodingKey {
        case reads, writes, flushes, discards, errors
        case writeZeroes = "write_zeroes", readBytes = "read_bytes", writeBytes = "write_bytes"
        case inFlight = "in_flight", ringEnters = "ring_enters"
    }
}

/// The device totals sit at the top level of the stats object, next to `queues`.
struct Stats: Decodable, Sendable {
    var id: UInt32
    var state: String
    var since: String?
    var uptimeSeconds: Double
    var total: Counters
    var queues: [Counters]

    enum CodingKeys: String, CodingKey {
        case id, state, since, queues
        case uptimeSeconds = "uptime_seconds"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UInt32.self, forKey: .id)
        state = try container.decode(String.self, forKey: .state)
        since = try container.decodeIfPresent(String.self, forKey: .since)
        uptimeSeconds = try container.decode(Double.self, forKey: .uptimeSeconds)
        queues = try container.decode([Counters].self, forKey: .queues)
        total = try Counters(from: decoder)
    }

    init(id: UInt32, state: String, since: String?, uptimeSeconds: Double, total: Counters, queues: [Counters]) {
        self.id = id
        self.state = state
        self.since = since
        self.uptimeSeconds = uptimeSeconds
        self.total = total
        self.queues = queues
    }
}

struct Event: Decodable, Sendable {
    var id: Int64
    var deviceID: UInt32
    var deviceName: String
    var kind: String
    var startedAt: String
    var finishedAt: String?
    var durationMs: Int64?
    var outcome: String
    var error: String?
    var detail: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, outcome, error, detail
        case deviceID = "device_id", deviceName = "device_name", startedAt = "started_at"
        case finishedAt = "finished_at", durationMs = "duration_ms"
    }
}

struct EventPage: Decodable, Sendable {
    var events: [Event]
    var nextBefore: Int64?

    enum CodingKeys: String, CodingKey {
        case events
        case nextBefore = "next_before"
    }
}

struct Health: Decodable, Sendable {
    struct Kernel: Decodable, Sendable {
        var available: Bool
        var release: String?
        var features: [String]
        var featureBits: String?
        var message: String?

        enum CodingKeys: String, CodingKey {
            case available, release, features, message
            case featureBits = "feature_bits"
        }
    }

    struct StartReport: Decodable, Sendable {
        var startedAt: String
        var durationMs: Int64
        var recovered: Int
        var recreated: Int
        var failed: Int

        enum CodingKeys: String, CodingKey {
            case recovered, recreated, failed
            case startedAt = "started_at", durationMs = "duration_ms"
        }
    }

    var status: String
    var version: String
    var kernel: Kernel
    var devices: [String: Int]
    var unmanagedDevices: [UInt32]
    var lastStart: StartReport?

    enum CodingKeys: String, CodingKey {
        case status, version, kernel, devices
        case unmanagedDevices = "unmanaged_devices", lastStart = "last_start"
    }
}
