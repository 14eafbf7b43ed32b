/// What serves a device's I/O, with what that target needs to be found again after a restart.
public enum TargetDefinition: Sendable, Equatable, Hashable {
    /// Completes every request at once; reads return whatever the buffer held.
    case null
    /// RAM-backed, as large as the device; gone when the daemon exits.
    case memory
    /// A regular file or block device, by absolute path.
    case file(path: String)

    public var kind: TargetKind {
        switch self {
        case .null: .null
        case .memory: .memory
        case .file: .file
        }
    }

    /// The backing path of a file target.
    public var path: String? {
        if case .file(let path) = self { return path }
        return nil
    }
}

/// The names of the targets, as the API, the store and the command lines spell them.
public enum TargetKind: String, DefinitionChoice {
    case null
    case file
    case memory

    public static let fieldName = "target"
}
