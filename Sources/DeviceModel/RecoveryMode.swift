/// How a device behaves while no server serves it (daemon crash or restart).
public enum RecoveryMode: String, DefinitionChoice {
    /// I/O is held, and requests the old server had taken are issued again to the new one.
    case reissue
    /// I/O fails at once while no server runs (kernel 6.13+).
    case failIO = "fail_io"
    /// The device dies with the server.
    case none

    public static let fieldName = "recovery"
}
