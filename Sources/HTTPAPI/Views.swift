import Foundation

/// A device as the API shows it: its stored definition plus what is true right now.
public struct DeviceView: Codable, Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var target: String
    public var path: String?
    public var size: UInt64
    public var blockSize: Int
    public var queues: Int
    public var queueDepth: Int
    public var maxIOSize: Int
    public var readOnly: Bool
    public var recovery: String
    /// live, quiesced, recovering, stopped, failed (and creating while a create is under way).
    public var state: String
    public var desiredState: String
    public var blockDevice: String?
    public var ioMode: String
    /// Queue threads pinned to the driver's queue affinity.
    public var pinQueues: Bool
    /// Threads serving each queue.
    public var queueThreads: Int
    /// The batch command model (`UBLK_F_BATCH_IO`).
    public var batchIO: Bool
    /// How the backing store is accessed: direct (O_DIRECT), buffered, memory or none.
    public var backingIO: String?
    public var error: String?
    public var recoveries: Int
    public var lastRecovery: EventView?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UInt32, name: String, target: String, path: String?, size: UInt64, blockSize: Int, queues: Int,
                queueDepth: Int, maxIOSize: Int, readOnly: Bool, recovery: String, state: String,
                desiredState: String, blockDevice: String?, ioMode: String, pinQueues: Bool = true, queueThreads: Int = 1,
                batchIO: Bool = false,
                backingIO: String?,
                error: String?,
                recoveries: Int, lastRecovery: EventView?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.target = target
        self.path = path
        self.size = size
        self.blockSize = blockSize
        self.queues = queues
        self.queueDepth = queueDepth
        self.maxIOSize = maxIOSize
        self.readOnly = readOnly
        self.recovery = recovery
        self.state = state
        self.desiredState = desiredState
        self.blockDevice = blockDevice
        self.ioMode = ioMode
        self.pinQueues = pinQueues
        self.queueThreads = queueThreads
        self.batchIO = batchIO
        self.backingIO = backingIO
        self.error = error
        self.recoveries = recoveries
        self.lastRecovery = lastRecovery
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct DeviceList: Codable, Sendable, Equatable {
    public var devices: [DeviceView]
}

/// I/O counters, from the queues' atomics. They count since this daemon process attached the device
/// (`since`), so a restart starts them again from zero.
public struct CountersView: Codable, Sendable, Equatable {
    public var reads: UInt64 = 0
    public var writes: UInt64 = 0
    public var flushes: UInt64 = 0
    public var discards: UInt64 = 0
    public var writeZeroes: UInt64 = 0
    public var readBytes: UInt64 = 0
    public var writeBytes: UInt64 = 0
    public var errors: UInt64 = 0
    public var inFlight: Int64 = 0
    /// `io_uring_enter` calls of the queue loops: per request served, the syscalls an I/O costs.
    public var ringEnters: UInt64 = 0

    public init(reads: UInt64 = 0, writes: UInt64 = 0, flushes: UInt64 = 0, discards: UInt64 = 0,
                writeZeroes: UInt64 = 0, readBytes: UInt64 = 0, writeBytes: UInt64 = 0, errors: UInt64 = 0,
                inFlight: Int64 = 0, ringEnters: UInt64 = 0) {
        self.reads = reads
        self.writes = writes
        self.flushes = flushes
        self.discards = discards
        self.writeZeroes = writeZeroes
        self.readBytes = readBytes
        self.writeBytes = writeBytes
        self.errors = errors
        self.inFlight = inFlight
        self.ringEnters = ringEnters
    }
}

public struct DeviceStatisticsView: Codable, Sendable, Equatable {
    public var id: UInt32
    public var state: String
    public var since: Date?
    public var uptimeSeconds: Double
    public var reads: UInt64
    public var writes: UInt64
    public var flushes: UInt64
    public var discards: UInt64
    public var writeZeroes: UInt64
    public var readBytes: UInt64
    public var writeBytes: UInt64
    public var errors: UInt64
    public var inFlight: Int64
    public var ringEnters: UInt64
    public var queues: [CountersView]

    public init(id: UInt32, state: String, since: Date?, uptimeSeconds: Double, total: CountersView,
                queues: [CountersView]) {
        self.id = id
        self.state = state
        self.since = since
        self.uptimeSeconds = uptimeSeconds
        reads = total.reads
        writes = total.writes
        flushes = total.flushes
        discards = total.discards
        writeZeroes = total.writeZeroes
        readBytes = total.readBytes
        writeBytes = total.writeBytes
        errors = total.errors
        inFlight = total.inFlight
        ringEnters = total.ringEnters
        self.queues = queues
    }
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

public struct HealthView: Codable, Sendable, Equatable {
    public struct Kernel: Codable, Sendable, Equatable {
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
    }

    public struct StartReport: Codable, Sendable, Equatable {
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
    }

    public var status: String
    public var version: String
    public var kernel: Kernel
    public var devices: [String: Int]
    /// ublk devices the driver has that ublkd's store does not know: left alone.
    public var unmanagedDevices: [UInt32]
    public var lastStart: StartReport?

    public init(status: String, version: String, kernel: Kernel, devices: [String: Int], unmanagedDevices: [UInt32],
                lastStart: StartReport?) {
        self.status = status
        self.version = version
        self.kernel = kernel
        self.devices = devices
        self.unmanagedDevices = unmanagedDevices
        self.lastStart = lastStart
    }
}
