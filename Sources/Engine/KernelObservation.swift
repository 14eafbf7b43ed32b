import UblkABI

/// What the driver holds under one device id, read with GET_DEV_INFO and GET_PARAMS: the facts the lifecycle
/// decides on, with nothing decided yet.
public enum KernelObservation: Sendable, Equatable {
    /// The driver has no device with this id.
    case absent
    case present(KernelDevice)
}

public struct KernelDevice: Sendable, Equatable {
    /// nil for a state this code does not know (a newer kernel).
    public var state: DeviceState?
    /// The flags the device was created with; they decide how it can be taken over, whatever is stored.
    public var flags: Features
    /// The pid the driver recorded for the device's server; -1 (or 0) when none.
    public var serverPID: Int32
    /// Whether a process with `serverPID` exists now (it may be this one, or an unrelated one that reused the pid).
    public var serverProcessExists: Bool
    /// The capacity the driver gives the disk, when its parameters are set.
    public var sizeBytes: UInt64?

    public init(state: DeviceState?, flags: Features, serverPID: Int32, serverProcessExists: Bool,
                sizeBytes: UInt64?) {
        self.state = state
        self.flags = flags
        self.serverPID = serverPID
        self.serverProcessExists = serverProcessExists
        self.sizeBytes = sizeBytes
    }
}
