/// What serves a device's I/O, with what that target needs to be found again after a restart.
public enum TargetDefinition: Sendable, Equatable, Hashable {
    /// Completes every request at once; reads return whatever the buffer held.
    case null
    /// RAM-backed, as large as the device; gone when the daemon exits.
    case memory
    /// A regular file or block device, by absolute path.
    case file(path: String)
    /// An export of an NBD server, by its standard URI (nbd://, nbds://, nbd+unix://, nbds+unix://).
    case nbd(NBDExportDefinition)

    public var kind: TargetKind {
        switch self {
        case .null: .null
        case .memory: .memory
        case .file: .file
        case .nbd: .nbd
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
    case nbd

    public static let fieldName = "target"
}

/// Where an NBD device's data lives and how long its I/O waits for a server that went away.
public struct NBDExportDefinition: Sendable, Equatable, Hashable {
    public var uri: String
    /// While the connection is down, I/O waits (re-sent once it is back) for this long; then it fails with EIO.
    public var reconnectTimeoutSeconds: Int

    public init(uri: String, reconnectTimeoutSeconds: Int = Self.defaultReconnectTimeoutSeconds) {
        self.uri = uri
        self.reconnectTimeoutSeconds = reconnectTimeoutSeconds
    }

    /// Long enough for a server restart or a short network outage, short enough that a file system on a lost
    /// server sees errors (and can remount read-only) rather than hang for good.
    public static let defaultReconnectTimeoutSeconds = 30
    public static let reconnectTimeoutRange = 1...3600
    /// The schemes libnbd connects to (vsock and local commands left out: not the storage of a fleet).
    public static let schemes = ["nbd", "nbds", "nbd+unix", "nbds+unix"]

    /// The URI without credentials, for showing: a user name or password in the authority is dropped, and so are
    /// the query parameters that name TLS keys.
    public var displayURI: String {
        var text = uri
        if let (_, authorityStart) = Self.schemeEnd(text) {
            let authorityEnd = text[authorityStart...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
            if let at = text[authorityStart..<authorityEnd].lastIndex(of: "@") {
                text.removeSubrange(authorityStart...at)
            }
        }
        guard let query = text.firstIndex(of: "?") else { return text }
        let kept = text[text.index(after: query)...].split(separator: "&")
            .filter { !$0.hasPrefix("tls-psk-file=") && !$0.hasPrefix("tls-certificates=") }
        return String(text[..<query]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
    }

    /// Where "://" is: the scheme's end and the start of what follows.
    static func schemeEnd(_ text: String) -> (String.Index, String.Index)? {
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix("://") {
                return (index, text.index(index, offsetBy: 3))
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// The scheme is one of `schemes` and the rest has the shape of an NBD URI; libnbd parses it in full when it
    /// connects.
    public var uriProblem: String? {
        guard let (schemeEndIndex, restStart) = Self.schemeEnd(uri) else {
            return "uri must be an NBD URI such as nbd://host:10809/export or nbd+unix:///export?socket=/run/x.sock"
        }
        let scheme = String(uri[..<schemeEndIndex])
        guard Self.schemes.contains(scheme) else {
            return "uri scheme must be one of \(Self.schemes.joined(separator: ", ")), not \"\(scheme)\""
        }
        guard uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return "uri must be printable ASCII without spaces (percent-encode the rest)"
        }
        let rest = uri[restStart...]
        if scheme.hasSuffix("+unix") {
            guard rest.hasPrefix("/") || rest.hasPrefix("?"), uri.contains("socket=") else {
                return "a \(scheme) uri has no host and names its socket: \(scheme):///export?socket=/path"
            }
        } else {
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
            let host = hostPort.hasPrefix("[") ? hostPort : String(hostPort.prefix { $0 != ":" })
            guard !host.isEmpty else { return "an \(scheme) uri needs a host: \(scheme)://host:10809/export" }
            if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
                guard let port = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(port) else {
                    return "the port in uri must be a number from 1 to 65535"
                }
            }
        }
        return nil
    }
}
