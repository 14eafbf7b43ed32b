/// `struct ublksrv_ctrl_dev_info` (64 bytes): sent with ADD_DEV, written back by ADD_DEV and GET_DEV_INFO.
public struct DeviceInfo: Sendable, Equatable, BitwiseCopyable {
    public var queueCount: UInt16
    public var queueDepth: UInt16
    public var rawState: UInt16
    /// `pad0` on 6.12, `io_desc_size` on 7.x. Always sent as 0, which both read as the 24-byte stride.
    public var ioDescriptorSize: UInt16
    public var maxIOBufferBytes: UInt32
    public var deviceID: UInt32
    public var serverPID: Int32
    public var pad1: UInt32
    public var rawFlags: UInt64
    /// Opaque to the driver; ublkd does not use it.
    public var serverFlags: UInt64
    public var ownerUID: UInt32
    public var ownerGID: UInt32
    public var reserved1: UInt64
    public var reserved2: UInt64

    public init(queueCount: UInt16, queueDepth: UInt16, maxIOBufferBytes: UInt32, deviceID: UInt32,
                flags: Features) {
        self.queueCount = queueCount
        self.queueDepth = queueDepth
        self.rawState = 0
        self.ioDescriptorSize = 0
        self.maxIOBufferBytes = maxIOBufferBytes
        self.deviceID = deviceID
        // Kernels before 6.12.103 echo this field back after ADD_DEV; -1 reads as "no server".
        self.serverPID = -1
        self.pad1 = 0
        self.rawFlags = flags.rawValue
        self.serverFlags = 0
        self.ownerUID = 0
        self.ownerGID = 0
        self.reserved1 = 0
        self.reserved2 = 0
    }

    public static var zero: DeviceInfo {
        DeviceInfo(queueCount: 0, queueDepth: 0, maxIOBufferBytes: 0, deviceID: 0, flags: [])
    }

    public var flags: Features { Features(rawValue: rawFlags) }
    /// nil for a state this code does not know (a newer kernel).
    public var state: DeviceState? { DeviceState(rawValue: rawState) }
}
