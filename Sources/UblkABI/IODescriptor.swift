/// `struct ublksrv_io_desc` (24 bytes), written by the driver into the queue's read-only shared mapping, one per tag.
public struct IODescriptor: Sendable, Equatable, BitwiseCopyable {
    public var opFlags: UInt32
    /// `nr_sectors` (or `nr_zones` for REPORT_ZONES).
    public var sectorCount: UInt32
    public var startSector: UInt64
    /// The server buffer the driver copied into (copy mode); not a buffer with zero copy.
    public var address: UInt64

    public init(opFlags: UInt32 = 0, sectorCount: UInt32 = 0, startSector: UInt64 = 0, address: UInt64 = 0) {
        self.opFlags = opFlags
        self.sectorCount = sectorCount
        self.startSector = startSector
        self.address = address
    }

    @inline(__always) public var operationCode: UInt8 { UInt8(truncatingIfNeeded: opFlags) }
    @inline(__always) public var operation: IOOperation? { IOOperation(rawValue: operationCode) }
    @inline(__always) public var flags: IOFlags { IOFlags(rawValue: opFlags & ~0xFF) }
    @inline(__always) public var byteCount: Int { Int(sectorCount) << 9 }
    @inline(__always) public var byteOffset: Int64 { Int64(bitPattern: startSector << 9) }

    /// Stride of descriptors in the mapping (io_desc_size 0 means the classic 24).
    public static let stride = 24
}

/// `struct ublksrv_io_cmd` (16 bytes): the payload of FETCH_REQ / COMMIT_AND_FETCH_REQ.
public struct IOCommand: Sendable, Equatable, BitwiseCopyable {
    public var queueID: UInt16
    public var tag: UInt16
    /// Bytes done, or a negative errno; only read by COMMIT.
    public var result: Int32
    /// The tag's buffer (copy mode), 0 with zero copy.
    public var address: UInt64

    public init(queueID: UInt16, tag: UInt16, result: Int32 = 0, address: UInt64 = 0) {
        self.queueID = queueID
        self.tag = tag
        self.result = result
        self.address = address
    }
}

/// Geometry of the descriptor mapping of `/dev/ublkcN`.
public enum DescriptorMapping {
    /// `UBLK_MAX_QUEUE_DEPTH`: each queue's window is sized for this many descriptors.
    public static let maxQueueDepth = 4096

    public static func offset(queue: Int, pageSize: Int) -> Int {
        queue * roundUp(maxQueueDepth * IODescriptor.stride, to: pageSize)
    }

    public static func length(depth: Int, pageSize: Int) -> Int {
        roundUp(depth * IODescriptor.stride, to: pageSize)
    }

    static func roundUp(_ value: Int, to multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }
}

/// The `addr` of a FETCH/COMMIT SQE with `UBLK_F_AUTO_BUF_REG`: which slot of the ring's buffer table the driver
/// fills with the request's pages (`struct ublk_auto_buf_reg`, packed into the u64).
public struct AutoBufferRegistration: Sendable, Equatable {
    public var index: UInt16
    public var fallback: Bool

    public init(index: UInt16, fallback: Bool = false) {
        self.index = index
        self.fallback = fallback
    }

    public var sqeAddress: UInt64 { UInt64(index) | (fallback ? 1 << 16 : 0) }
}
