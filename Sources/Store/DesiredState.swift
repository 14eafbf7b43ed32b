/// What the operator asked a device to be. The daemon converges the kernel towards it after a crash or reboot.
public enum DesiredState: String, Sendable, Equatable, Codable, CaseIterable {
    /// Written before the kernel device exists, so a crash halfway through creation is visible on restart.
    case creating
    case running
    case stopped
}
