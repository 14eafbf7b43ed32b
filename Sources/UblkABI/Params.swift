/// `struct ublk_params` as of the vendored 7.3.4 header (152 bytes). 6.12 knows only the first 112 bytes and caps
/// `len` there; 7.x reads it all. Fields are declared in C order with C alignment; a test checks every offset.
public struct Params: Sendable, Equatable, BitwiseCopyable {
    public var length: UInt32
    public var types: ParamTypes
    public var basic: BasicParams
    public var discard: DiscardParams
    public var devt: DevtParams
    public var zoned: ZonedParams
    public var dmaAlignment: DMAAlignParams
    public var segment: SegmentParams
    public var integrity: IntegrityParams

    public init(types: ParamTypes = [], basic: BasicParams = .init(), discard: DiscardParams = .init()) {
        self.length = UInt32(MemoryLayout<Params>.size)
        self.types = types
        self.basic = basic
        self.discard = discard
        self.devt = .init()
        self.zoned = .init()
        self.dmaAlignment = .init()
        self.segment = .init()
        self.integrity = .init()
    }
}

public struct ParamTypes: OptionSet, Sendable, Equatable, BitwiseCopyable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let basic = ParamTypes(rawValue: 1 << 0)
    public static let discard = ParamTypes(rawValue: 1 << 1)
    /// Read-only: filled by GET_PARAMS; SET_PARAMS with it fails with EINVAL.
    public static let devt = ParamTypes(rawValue: 1 << 2)
    public static let zoned = ParamTypes(rawValue: 1 << 3)
    public static let dmaAlignment = ParamTypes(rawValue: 1 << 4)
    public static let segment = ParamTypes(rawValue: 1 << 5)
    public static let integrity = ParamTypes(rawValue: 1 << 6)
}

/// `struct ublk_param_basic` (32 bytes).
public struct BasicParams: Sendable, Equatable, BitwiseCopyable {
    public var attributes: DeviceAttributes
    public var logicalBlockShift: UInt8
    public var physicalBlockShift: UInt8
    public var ioOptimalShift: UInt8
    public var ioMinimumShift: UInt8
    public var maxSectors: UInt32
    public var chunkSectors: UInt32
    /// Capacity in 512-byte sectors, whatever the logical block size.
    public var deviceSectors: UInt64
    public var virtualBoundaryMask: UInt64

    public init(attributes: DeviceAttributes = [], logicalBlockShift: UInt8 = 9, physicalBlockShift: UInt8 = 9,
                ioOptimalShift: UInt8 = 9, ioMinimumShift: UInt8 = 9, maxSectors: UInt32 = 0,
                chunkSectors: UInt32 = 0, deviceSectors: UInt64 = 0) {
        self.attributes = attributes
        self.logicalBlockShift = logicalBlockShift
        self.physicalBlockShift = physicalBlockShift
        self.ioOptimalShift = ioOptimalShift
        self.ioMinimumShift = ioMinimumShift
        self.maxSectors = maxSectors
        self.chunkSectors = chunkSectors
        self.deviceSectors = deviceSectors
        self.virtualBoundaryMask = 0
    }
}

public struct DeviceAttributes: OptionSet, Sendable, Equatable, BitwiseCopyable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readOnly = DeviceAttributes(rawValue: 1 << 0)
    public static let rotational = DeviceAttributes(rawValue: 1 << 1)
    /// Makes the block layer send FLUSH requests.
    public static let volatileCache = DeviceAttributes(rawValue: 1 << 2)
    /// Makes the block layer mark writes FUA instead of following them with a flush.
    public static let forceUnitAccess = DeviceAttributes(rawValue: 1 << 3)
}

/// `struct ublk_param_discard` (20 bytes).
public struct DiscardParams: Sendable, Equatable, BitwiseCopyable {
    public var alignment: UInt32
    public var granularity: UInt32
    public var maxDiscardSectors: UInt32
    public var maxWriteZeroesSectors: UInt32
    /// The driver accepts only 1.
    public var maxDiscardSegments: UInt16
    public var reserved0: UInt16

    public init(alignment: UInt32 = 0, granularity: UInt32 = 0, maxDiscardSectors: UInt32 = 0,
                maxWriteZeroesSectors: UInt32 = 0, maxDiscardSegments: UInt16 = 0) {
        self.alignment = alignment
        self.granularity = granularity
        self.maxDiscardSectors = maxDiscardSectors
        self.maxWriteZeroesSectors = maxWriteZeroesSectors
        self.maxDiscardSegments = maxDiscardSegments
        self.reserved0 = 0
    }
}

/// `struct ublk_param_devt` (16 bytes): the char and disk device numbers (disk only after START_DEV).
public struct DevtParams: Sendable, Equatable, BitwiseCopyable {
    public var charMajor: UInt32 = 0
    public var charMinor: UInt32 = 0
    public var diskMajor: UInt32 = 0
    public var diskMinor: UInt32 = 0
    public init() {}
}

/// `struct ublk_param_zoned` (32 bytes). ublkd serves no zoned targets; kept for the layout.
public struct ZonedParams: Sendable, Equatable, BitwiseCopyable {
    public var maxOpenZones: UInt32 = 0
    public var maxActiveZones: UInt32 = 0
    public var maxZoneAppendSectors: UInt32 = 0
    public var reserved: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0)
    public init() {}

    public static func == (lhs: ZonedParams, rhs: ZonedParams) -> Bool {
        lhs.maxOpenZones == rhs.maxOpenZones && lhs.maxActiveZones == rhs.maxActiveZones
            && lhs.maxZoneAppendSectors == rhs.maxZoneAppendSectors
    }
}

/// `struct ublk_param_dma_align` (8 bytes).
public struct DMAAlignParams: Sendable, Equatable, BitwiseCopyable {
    public var alignment: UInt32 = 0
    public var pad: UInt32 = 0
    public init() {}
}

/// `struct ublk_param_segment` (16 bytes).
public struct SegmentParams: Sendable, Equatable, BitwiseCopyable {
    public var segmentBoundaryMask: UInt64 = 0
    public var maxSegmentSize: UInt32 = 0
    public var maxSegments: UInt16 = 0
    public var pad: UInt16 = 0
    public init() {}
}

/// `struct ublk_param_integrity` (16 bytes). ublkd does not offer integrity metadata; kept for the layout.
public struct IntegrityParams: Sendable, Equatable, BitwiseCopyable {
    public var flags: UInt32 = 0
    public var maxIntegritySegments: UInt16 = 0
    public var intervalExponent: UInt8 = 0
    public var metadataSize: UInt8 = 0
    public var piOffset: UInt8 = 0
    public var checksumType: UInt8 = 0
    public var tagSize: UInt8 = 0
    public var pad: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
    public init() {}

    public static func == (lhs: IntegrityParams, rhs: IntegrityParams) -> Bool {
        lhs.flags == rhs.flags && lhs.maxIntegritySegments == rhs.maxIntegritySegments
            && lhs.intervalExponent == rhs.intervalExponent && lhs.metadataSize == rhs.metadataSize
    }
}
