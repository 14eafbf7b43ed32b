/// Control commands sent to `/dev/ublk-control` as `IORING_OP_URING_CMD` on an SQE128 ring.
///
/// Values are the ioctl-encoded `UBLK_U_CMD_*` codes (`_IOR`/`_IOWR('u', nr, 32)`); the low byte is the legacy
/// opcode. A test pins each literal against the vendored header.
public enum ControlOpcode: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case getQueueAffinity = 0x8020_7501
    case getDeviceInfo = 0x8020_7502
    case addDevice = 0xC020_7504
    case deleteDevice = 0xC020_7505
    case startDevice = 0xC020_7506
    case stopDevice = 0xC020_7507
    case setParams = 0xC020_7508
    case getParams = 0x8020_7509
    case startUserRecovery = 0xC020_7510
    case endUserRecovery = 0xC020_7511
    case getDeviceInfo2 = 0x8020_7512
    case getFeatures = 0x8020_7513
    case deleteDeviceAsync = 0x8020_7514
    case updateSize = 0xC020_7515
    case quiesceDevice = 0xC020_7516
    case tryStopDevice = 0xC020_7517

    /// The pre-6.4 opcode: just the command number, for drivers without `UBLK_F_CMD_IOCTL_ENCODE`.
    public var legacyCode: UInt32 { rawValue & 0xFF }

    /// The code to put in `cmd_op`, given what the driver grants.
    public func code(ioctlEncoded: Bool) -> UInt32 { ioctlEncoded ? rawValue : legacyCode }

    public var description: String {
        switch self {
        case .getQueueAffinity: "GET_QUEUE_AFFINITY"
        case .getDeviceInfo: "GET_DEV_INFO"
        case .addDevice: "ADD_DEV"
        case .deleteDevice: "DEL_DEV"
        case .startDevice: "START_DEV"
        case .stopDevice: "STOP_DEV"
        case .setParams: "SET_PARAMS"
        case .getParams: "GET_PARAMS"
        case .startUserRecovery: "START_USER_RECOVERY"
        case .endUserRecovery: "END_USER_RECOVERY"
        case .getDeviceInfo2: "GET_DEV_INFO2"
        case .getFeatures: "GET_FEATURES"
        case .deleteDeviceAsync: "DEL_DEV_ASYNC"
        case .updateSize: "UPDATE_SIZE"
        case .quiesceDevice: "QUIESCE_DEV"
        case .tryStopDevice: "TRY_STOP_DEV"
        }
    }
}

/// Commands a queue thread sends on `/dev/ublkcN` (`_IOWR('u', nr, 16)`).
public enum IOCommandOpcode: UInt32, Sendable, CaseIterable {
    case fetchRequest = 0xC010_7520
    case commitAndFetchRequest = 0xC010_7521
    case needGetData = 0xC010_7522
    case registerIOBuffer = 0xC010_7523
    case unregisterIOBuffer = 0xC010_7524

    public var legacyCode: UInt32 { rawValue & 0xFF }
    public func code(ioctlEncoded: Bool) -> UInt32 { ioctlEncoded ? rawValue : legacyCode }
}

/// The operation of a request, `op_flags & 0xff` of its I/O descriptor.
public enum IOOperation: UInt8, Sendable {
    case read = 0
    case write = 1
    case flush = 2
    case discard = 3
    case writeSame = 4
    case writeZeroes = 5
    case zoneOpen = 10
    case zoneClose = 11
    case zoneFinish = 12
    case zoneAppend = 13
    case zoneResetAll = 14
    case zoneReset = 15
    case reportZones = 18
}

/// Flag bits of `op_flags` above the operation byte.
public struct IOFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let failFastDevice = IOFlags(rawValue: 1 << 8)
    public static let failFastTransport = IOFlags(rawValue: 1 << 9)
    public static let failFastDriver = IOFlags(rawValue: 1 << 10)
    public static let meta = IOFlags(rawValue: 1 << 11)
    public static let forceUnitAccess = IOFlags(rawValue: 1 << 13)
    public static let noUnmap = IOFlags(rawValue: 1 << 15)
    public static let swap = IOFlags(rawValue: 1 << 16)
    public static let needRegisterBuffer = IOFlags(rawValue: 1 << 17)
    public static let integrity = IOFlags(rawValue: 1 << 18)
    public static let sharedMemoryZeroCopy = IOFlags(rawValue: 1 << 19)
}

/// Result codes a fetch completion carries (`cqe.res`).
public enum IOResult {
    /// A request arrived for the tag.
    public static let ok: Int32 = 0
    /// NEED_GET_DATA: the server must hand a buffer before the write data arrives.
    public static let needGetData: Int32 = 1
    /// `UBLK_IO_RES_ABORT` (-ENODEV): the command was cancelled (stop, delete, quiesce); do not re-arm.
    public static let abort: Int32 = -19
}
