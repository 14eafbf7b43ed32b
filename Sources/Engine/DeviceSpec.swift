import UblkABI

/// What a device should be: everything the engine needs to build it, or to build it again after a restart.
public struct DeviceSpec: Sendable, Equatable {
    /// A fixed id (so `/dev/ublkbN` stays the same), or nil for the driver's choice.
    public var deviceID: UInt32?
    public var target: TargetSpec
    /// Capacity in bytes; a multiple of `logicalBlockSize`.
    public var sizeBytes: UInt64
    public var queues: Int
    public var queueDepth: Int
    public var logicalBlockSize: Int
    public var maxIOBytes: Int
    public var readOnly: Bool
    public var recovery: RecoveryMode
    public var ioMode: IOModePreference
    /// Pin each queue thread to the CPUs the driver suggests for its queue (`GET_QUEUE_AFFINITY`). Off lets the
    /// scheduler place them, e.g. where those CPUs are reserved for something else.
    public var pinQueues: Bool
    /// Threads serving each queue, every thread its own share of the tags (`UBLK_F_PER_IO_DAEMON`: a tag is served
    /// by the thread that fetched it). More than one lets a device with few queues use more CPUs.
    public var queueThreads: Int
    /// Serve the queues with the batch command model (`UBLK_F_BATCH_IO`, kernel 7.0+): one PREP for all tags,
    /// multishot FETCH of tag arrays, one COMMIT for many requests. Fixed at ADD_DEV; a trial, to measure against
    /// the per-tag FETCH/COMMIT_AND_FETCH model.
    public var batchIO: Bool

    public init(deviceID: UInt32? = nil, target: TargetSpec, sizeBytes: UInt64, queues: Int = 1,
                queueDepth: Int = 128, logicalBlockSize: Int = 512, maxIOBytes: Int = DeviceSpec.defaultMaxIOBytes,
                readOnly: Bool = false, recovery: RecoveryMode = .reissue, ioMode: IOModePreference = .auto,
                pinQueues: Bool = true, queueThreads: Int = 1, batchIO: Bool = false) {
        self.deviceID = deviceID
        self.target = target
        self.sizeBytes = sizeBytes
        self.queues = queues
        self.queueDepth = queueDepth
        self.logicalBlockSize = logicalBlockSize
        self.maxIOBytes = maxIOBytes
        self.readOnly = readOnly
        self.recovery = recovery
        self.ioMode = ioMode
        self.pinQueues = pinQueues
        self.queueThreads = queueThreads
        self.batchIO = batchIO
    }

    public static let defaultMaxIOBytes = 512 * 1024
    /// Per-request buffers are preallocated: a cap keeps queues x depth x max I/O within reason.
    public static let maxIOBytesLimit = 4 * 1024 * 1024
    /// `UBLK_MAX_QUEUE_DEPTH`.
    public static let maxQueueDepth = DescriptorMapping.maxQueueDepth
    /// ublk device ids are below 2^20.
    public static let maxDeviceID: UInt32 = (1 << 20) - 1
}

public enum TargetSpec: Sendable, Equatable {
    /// Completes every request at once; reads return whatever the buffer held.
    case null
    /// RAM-backed, as large as the device.
    case memory
    /// A regular file or block device.
    case file(path: String)

    public var kind: String {
        switch self {
        case .null: "null"
        case .memory: "memory"
        case .file: "file"
        }
    }
}

/// How the device behaves while no server serves it (daemon crash or restart).
public enum RecoveryMode: String, Sendable, Equatable, CaseIterable {
    /// The device dies with the server.
    case none
    /// I/O is held, and requests the old server had taken are issued again to the new one.
    case reissue
    /// I/O fails at once while no server runs (kernel 6.13+).
    case failIO = "fail_io"

    public var features: Features {
        switch self {
        case .none: []
        case .reissue: [.userRecovery, .userRecoveryReissue]
        case .failIO: [.userRecovery, .userRecoveryFailIO]
        }
    }
}

/// How a device should move data. `auto` takes zero copy where the kernel grants `UBLK_F_AUTO_BUF_REG` and the
/// target never needs the data, copy elsewhere (every 6.12 kernel); see `resolved(offered:targetSupportsZeroCopy:)`.
public enum IOModePreference: String, Sendable, Equatable, CaseIterable {
    case auto
    case copy
    case zeroCopy = "zero_copy"
}
