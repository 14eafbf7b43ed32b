/// `struct ublksrv_ctrl_cmd` (32 bytes): the payload of a control command, at byte 48 of an SQE128 entry.
/// Declared field by field in C order so its layout equals the header's; a test checks every offset.
public struct ControlCommand: Sendable, Equatable, BitwiseCopyable {
    public var deviceID: UInt32
    /// Must be `0xFFFF` for commands that are not about one queue (ADD_DEV checks it).
    public var queueID: UInt16
    public var length: UInt16
    public var address: UInt64
    public var data: UInt64
    public var devicePathLength: UInt16
    public var pad: UInt16
    public var reserved: UInt32

    public static let noQueue: UInt16 = 0xFFFF
    /// `dev_id` that asks ADD_DEV to pick a free id.
    public static let anyDevice: UInt32 = 0xFFFF_FFFF

    public init(deviceID: UInt32, queueID: UInt16 = noQueue, length: UInt16 = 0, address: UInt64 = 0,
                data: UInt64 = 0) {
        self.deviceID = deviceID
        self.queueID = queueID
        self.length = length
        self.address = address
        self.data = data
        self.devicePathLength = 0
        self.pad = 0
        self.reserved = 0
    }
}
