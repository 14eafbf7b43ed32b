/// The `UBLK_F_*` feature bits: asked for at ADD_DEV, granted in the returned device info, and offered by
/// GET_FEATURES. Kernels silently clear bits they do not know, so code checks what was granted, never a version.
public struct Features: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let supportZeroCopy = Features(rawValue: 1 << 0)
    public static let uringCmdCompletionInTask = Features(rawValue: 1 << 1)
    public static let needGetData = Features(rawValue: 1 << 2)
    public static let userRecovery = Features(rawValue: 1 << 3)
    public static let userRecoveryReissue = Features(rawValue: 1 << 4)
    public static let unprivilegedDevice = Features(rawValue: 1 << 5)
    public static let commandIoctlEncode = Features(rawValue: 1 << 6)
    public static let userCopy = Features(rawValue: 1 << 7)
    public static let zoned = Features(rawValue: 1 << 8)
    public static let userRecoveryFailIO = Features(rawValue: 1 << 9)
    public static let updateSize = Features(rawValue: 1 << 10)
    public static let autoBufferRegistration = Features(rawValue: 1 << 11)
    public static let quiesce = Features(rawValue: 1 << 12)
    public static let perIODaemon = Features(rawValue: 1 << 13)
    public static let bufferRegistrationOffDaemon = Features(rawValue: 1 << 14)
    public static let batchIO = Features(rawValue: 1 << 15)
    public static let integrity = Features(rawValue: 1 << 16)
    public static let safeStopDevice = Features(rawValue: 1 << 17)
    public static let noAutoPartitionScan = Features(rawValue: 1 << 18)
    public static let sharedMemoryZeroCopy = Features(rawValue: 1 << 19)
    public static let ioDescriptorSize = Features(rawValue: 1 << 20)

    /// Every bit the vendored header names, with the header's name (without `UBLK_F_`), lowest bit first.
    public static let named: [(name: String, flag: Features)] = [
        ("SUPPORT_ZERO_COPY", .supportZeroCopy),
        ("URING_CMD_COMP_IN_TASK", .uringCmdCompletionInTask),
        ("NEED_GET_DATA", .needGetData),
        ("USER_RECOVERY", .userRecovery),
        ("USER_RECOVERY_REISSUE", .userRecoveryReissue),
        ("UNPRIVILEGED_DEV", .unprivilegedDevice),
        ("CMD_IOCTL_ENCODE", .commandIoctlEncode),
        ("USER_COPY", .userCopy),
        ("ZONED", .zoned),
        ("USER_RECOVERY_FAIL_IO", .userRecoveryFailIO),
        ("UPDATE_SIZE", .updateSize),
        ("AUTO_BUF_REG", .autoBufferRegistration),
        ("QUIESCE", .quiesce),
        ("PER_IO_DAEMON", .perIODaemon),
        ("BUF_REG_OFF_DAEMON", .bufferRegistrationOffDaemon),
        ("BATCH_IO", .batchIO),
        ("INTEGRITY", .integrity),
        ("SAFE_STOP_DEV", .safeStopDevice),
        ("NO_AUTO_PART_SCAN", .noAutoPartitionScan),
        ("SHMEM_ZC", .sharedMemoryZeroCopy),
        ("IO_DESC_SIZE", .ioDescriptorSize),
    ]

    private static let known = named.reduce(Features()) { $0.union($1.flag) }

    /// Header names of the bits set; unknown bits appear as `BIT_n` so nothing the kernel says is hidden.
    public var names: [String] {
        var result: [String] = []
        for entry in Self.named where contains(entry.flag) { result.append(entry.name) }
        let unknown = rawValue & ~Self.known.rawValue
        for bit in 0..<64 where unknown & (1 << UInt64(bit)) != 0 {
            result.append("BIT_\(bit)")
        }
        return result
    }

    public var description: String {
        "0x" + String(rawValue, radix: 16) + " [" + names.joined(separator: ", ") + "]"
    }
}

/// `UBLK_S_DEV_*`: the driver's view of a device, from GET_DEV_INFO.
public enum DeviceState: UInt16, Sendable, CustomStringConvertible {
    case dead = 0
    case live = 1
    case quiesced = 2
    case failIO = 3

    public var description: String {
        switch self {
        case .dead: "DEAD"
        case .live: "LIVE"
        case .quiesced: "QUIESCED"
        case .failIO: "FAIL_IO"
        }
    }
}
