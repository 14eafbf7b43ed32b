import HTTPAPI
import Logging
import UblkdVersion

/// Everything the daemon is told at start, already checked.
public struct Configuration: Sendable {
    public var listen: ListenAddress
    public var stateDirectory: String
    public var logLevel: Logger.Level
    /// Required when `listen` is not a loopback address.
    public var apiToken: String?
    /// When not empty, a file device's backing path must resolve inside one of these directories.
    public var allowedDirectories: [String]
    public var controlPath: String
    /// Event loops of the API (see `HTTPServer`).
    public var apiThreads: Int
    /// How much the API's event loops lower their priority (`HTTPServer.eventLoopNiceness`; no flag sets it: the
    /// host benchmark's harness measures with 0, as the bare handler and wrk beside it run).
    public var apiNiceness: Int = HTTPServer.eventLoopNiceness

    public init(listen: ListenAddress, stateDirectory: String, logLevel: Logger.Level = .info, apiToken: String? = nil,
                allowedDirectories: [String] = [], controlPath: String = "/dev/ublk-control",
                apiThreads: Int = 1) {
        self.listen = listen
        self.stateDirectory = stateDirectory
        self.logLevel = logLevel
        self.apiToken = apiToken
        self.allowedDirectories = allowedDirectories
        self.controlPath = controlPath
        self.apiThreads = apiThreads
    }

    public var databasePath: String { Self.databasePath(in: stateDirectory) }

    public static func databasePath(in stateDirectory: String) -> String { stateDirectory + "/ublkd.sqlite" }

    public static let version = UblkdVersion.current
}
