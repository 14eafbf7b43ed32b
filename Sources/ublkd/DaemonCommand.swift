import ArgumentParser
import Daemon
import Foundation
import HTTPAPI
import Logging

/// `ublkd` itself: the long-running daemon. Every flag has an environment fallback (UBLKD_LISTEN, ...).
struct DaemonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon", abstract: "Run the daemon: REST API, state store, and every stored device.")

    @Option(help: "HOST:PORT to listen on (env UBLKD_LISTEN; default 127.0.0.1:7878).")
    var listen: String?
    @Option(name: .customLong("state-dir"), help: "Holds ublkd.sqlite (env UBLKD_STATE_DIR; default /var/lib/ublkd).")
    var stateDir: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env UBLKD_LOG_LEVEL).")
    var logLevel: String?
    @Option(name: .customLong("token-file"), help: "File holding the API token (env UBLKD_TOKEN_FILE).")
    var tokenFile: String?
    @Option(name: .customLong("allow-dir"),
            help: "Backing files must lie inside this directory; repeatable (env UBLKD_ALLOW_DIRS, colon-separated).")
    var allowDirs: [String] = []
    @Option(name: .customLong("api-threads"),
            help: "Event loops serving the REST API (env UBLKD_API_THREADS; default 1).")
    var apiThreads: Int?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let levelName = logLevel ?? environment["UBLKD_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("unknown log level \(levelName)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ublkd")
        StartupPhases(logger: logger).reached("logging")

        let address: ListenAddress
        do {
            address = try ListenAddress(parsing: listen ?? environment["UBLKD_LISTEN"] ?? "127.0.0.1:7878")
        } catch {
            throw ValidationError("\(error)")
        }
        var token: String?
        if let path = tokenFile ?? environment["UBLKD_TOKEN_FILE"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read the token file \(path)")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let token, token.count >= 16 else { throw ValidationError("the API token must be 16+ characters") }
        }
        if !address.isLoopback && token == nil {
            throw ValidationError("listening on \(address) (not loopback) needs --token-file")
        }
        var directories = allowDirs
        if directories.isEmpty, let fromEnvironment = environment["UBLKD_ALLOW_DIRS"] {
            directories = fromEnvironment.split(separator: ":").map(String.init)
        }
        let resolved = try directories.map { directory -> String in
            guard let real = realpath(directory, nil) else {
                throw ValidationError("--allow-dir \(directory) does not exist")
            }
            defer { free(real) }
            return String(cString: real)
        }
        let threads = apiThreads ?? environment["UBLKD_API_THREADS"].flatMap { Int($0) } ?? 1
        guard (1...64).contains(threads) else { throw ValidationError("--api-threads must be 1...64") }
        let configuration = Configuration(
            listen: address, stateDirectory: stateDir ?? environment["UBLKD_STATE_DIR"] ?? "/var/lib/ublkd",
            logLevel: level, apiToken: token, allowedDirectories: resolved, apiThreads: threads)
        do {
            try DaemonRunner.run(configuration, logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
    }
}
