/// What the operator asked a device to be. The daemon converges the kernel towards it, after a request and after a
/// crash or a reboot alike; each is written before the kernel change that serves it.
public enum DesiredState: String, Sendable, Equatable, Codable, CaseIterable {
    /// Written before the kernel device exists: a create cut short is undone at the next start.
    case creating
    case running
    case stopped
    /// Written before a delete touches the kernel: a delete cut short is finished at the next start.
    case deleting
}
