/// What a device is: everything needed to build it, and to build it again after a crash or a reboot. The one
/// shape of a definition from the API's JSON through the engine to the store's row; its id, desired state and
/// history belong to the store, what runs now to the daemon.
public struct DeviceDefinition: Sendable, Equatable, Hashable {
    /// Unique among the daemon's devices; 1-64 characters of A-Z a-z 0-9 . _ -
    public var name: String
    public var target: TargetDefinition
    /// Capacity in bytes; a multiple of `blockSize`.
    public var sizeBytes: UInt64
    public var queues: Int
    public var queueDepth: Int
    /// Logical block size: 512 or 4096.
    public var blockSize: Int
    public var maxIOBytes: Int
    public var readOnly: Bool
    public var recovery: RecoveryMode
    public var ioMode: IOModePreference
    /// Pin each queue thread to the CPUs the driver suggests for its queue (`GET_QUEUE_AFFINITY`). Off lets the
    /// scheduler place them, e.g. where those CPUs are reserved for something else.
    public var pinQueues: Bool
    /// Threads serving each queue, every thread its own share of the tags (`UBLK_F_PER_IO_DAEMON`).
    public var queueThreads: Int
    /// Serve the queues with the batch command model (`UBLK_F_BATCH_IO`, kernel 7.0+); fixed at ADD_DEV.
    public var batchIO: Bool

    public init(name: String, target: TargetDefinition, sizeBytes: UInt64, queues: Int = Defaults.queues,
                queueDepth: Int = Defaults.queueDepth, blockSize: Int = Defaults.blockSize,
                maxIOBytes: Int = Defaults.maxIOBytes, readOnly: Bool = false,
                recovery: RecoveryMode = Defaults.recovery, ioMode: IOModePreference = Defaults.ioMode,
                pinQueues: Bool = true, queueThreads: Int = Defaults.queueThreads, batchIO: Bool = false) {
        self.name = name
        self.target = target
        self.sizeBytes = sizeBytes
        self.queues = queues
        self.queueDepth = queueDepth
        self.blockSize = blockSize
        self.maxIOBytes = maxIOBytes
        self.readOnly = readOnly
        self.recovery = recovery
        self.ioMode = ioMode
        self.pinQueues = pinQueues
        self.queueThreads = queueThreads
        self.batchIO = batchIO
    }

    /// What a field left out of a create takes.
    public enum Defaults {
        /// A create that leaves `queues` out gets one queue per CPU (`"queues": "auto"`) when this is true, else
        /// `queues`.
        public static let queuesPerCPU = false
        public static let queues = 1
        public static let queueDepth = 128
        public static let blockSize = 512
        public static let maxIOBytes = 512 * 1024
        public static let recovery = RecoveryMode.reissue
        public static let ioMode = IOModePreference.auto
        public static let queueThreads = 1
    }

    /// Limits of the format itself, whatever the host.
    public enum Limits {
        /// Far beyond any real disk, and within what SQLite's 64-bit integers hold.
        public static let maxSizeBytes: UInt64 = 1 << 60
        /// Per-request buffers are preallocated: a cap keeps queues x depth x max I/O within reason.
        public static let maxIOBytes = 4 * 1024 * 1024
        /// `UBLK_MAX_QUEUE_DEPTH`.
        public static let maxQueueDepth = 4096
        /// ublk device ids are below 2^20.
        public static let maxDeviceID: UInt32 = (1 << 20) - 1
        public static let nameLength = 1...64
    }
}
