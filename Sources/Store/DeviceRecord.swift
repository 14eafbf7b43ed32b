import Foundation

/// One device definition as stored: a row of `devices`. Plain values only; the engine's types are converted by the
/// daemon, so the store never needs to change when the engine does.
///
/// Dates are kept to the millisecond. The store returns what it actually wrote, so a record handed back by
/// `insertDevice` equals the one read later.
public struct DeviceRecord: Sendable, Equatable, Codable {
    /// The ublk device id (`/dev/ublkb<id>`), below 2^20.
    public var id: UInt32
    /// Unique, 1 to 64 characters.
    public var name: String
    /// "null", "file" or "memory".
    public var target: String
    /// The backing file; required when `target` is "file".
    public var path: String?
    public var sizeBytes: UInt64
    /// 512 or 4096.
    public var blockSize: Int
    public var queues: Int
    public var queueDepth: Int
    public var maxIOBytes: Int
    public var readOnly: Bool
    /// "none", "reissue" or "fail_io".
    public var recovery: String
    /// "auto", "copy" or "zero_copy".
    public var ioMode: String
    /// Queue threads pinned to the driver's queue affinity.
    public var pinQueues: Bool
    /// Threads per queue, each serving its share of the tags.
    public var queueThreads: Int
    /// The batch command model (`UBLK_F_BATCH_IO`) instead of per-tag FETCH/COMMIT_AND_FETCH.
    public var batchIO: Bool
    public var desiredState: DesiredState
    /// Why the last attempt to reach `desiredState` failed, if it did.
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UInt32, name: String, target: String, path: String? = nil, sizeBytes: UInt64, blockSize: Int,
        queues: Int, queueDepth: Int, maxIOBytes: Int, readOnly: Bool = false, recovery: String,
        ioMode: String = "auto", pinQueues: Bool = true, queueThreads: Int = 1, batchIO: Bool = false, desiredState: DesiredState, lastError: String? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.target = target
        self.path = path
        self.sizeBytes = sizeBytes
        self.blockSize = blockSize
        self.queues = queues
        self.queueDepth = queueDepth
        self.maxIOBytes = maxIOBytes
        self.readOnly = readOnly
        self.recovery = recovery
        self.ioMode = ioMode
        self.pinQueues = pinQueues
        self.queueThreads = queueThreads
        self.batchIO = batchIO
        self.desiredState = desiredState
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
