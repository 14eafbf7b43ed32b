import SystemPackage
import UblkABI

/// Everything the engine can fail with. The daemon maps each case to an API error code once, at its edge.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// `/dev/ublk-control` is missing or cannot be opened: no driver, or not root.
    case kernelUnavailable(reason: String)
    /// The driver refused a control command.
    case controlCommand(ControlOpcode, deviceID: UInt32?, errno: Errno)
    /// A device definition that cannot work; refused before any kernel call.
    case invalidConfiguration(String)
    /// The backing store is missing, too small, or cannot be opened.
    case backingStore(path: String, reason: String)
    /// The backing path lies outside the directories the daemon may use (`--allow-dir`).
    case pathNotAllowed(path: String, reason: String)
    /// A network backing store (an NBD server) refused or could not be reached; `message` is the client library's.
    case network(what: String, message: String, errno: Errno)
    /// The kernel does not grant a feature the definition needs.
    case featureUnavailable(Features, reason: String)
    /// A system call of the engine's own failed (mmap, open of the char device, thread creation).
    case system(String, errno: Errno)
    /// A queue thread could not start serving.
    case queueSetup(queue: Int, String)

    public var description: String {
        switch self {
        case .kernelUnavailable(let reason):
            return "ublk kernel driver unavailable: \(reason)"
        case .controlCommand(let opcode, let deviceID, let errno):
            let device = deviceID.map { " for device \($0)" } ?? ""
            return "\(opcode)\(device) failed: \(errno) (errno \(errno.rawValue))"
        case .invalidConfiguration(let message):
            return message
        case .backingStore(let path, let reason):
            return "backing store \(path): \(reason)"
        case .network(let what, let message, _):
            return "\(what): \(message)"
        case .pathNotAllowed(let path, let reason):
            return "\(path) \(reason)"
        case .featureUnavailable(let features, let reason):
            return "kernel lacks UBLK_F_\(features.names.joined(separator: ", UBLK_F_")): \(reason)"
        case .system(let call, let errno):
            return "\(call) failed: \(errno) (errno \(errno.rawValue))"
        case .queueSetup(let queue, let message):
            return "queue \(queue): \(message)"
        }
    }

    /// The errno of a refused control command, if that is what this is.
    public var controlErrno: Errno? {
        if case .controlCommand(_, _, let errno) = self { return errno }
        return nil
    }
}
