import ArgumentParser
import Foundation

/// The options every subcommand shares: where the daemon is, how to authenticate, and how to print.
struct ConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("ublkd's address, http://HOST:PORT (env UBLKD_URL; default \(ServerURL.defaultText)).",
                               valueName: "url"))
    var url: String?

    @Option(name: .customLong("token-file"),
            help: ArgumentHelp("File holding the API token, sent as a bearer token (env UBLKD_TOKEN_FILE).",
                               valueName: "path"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Give up on a request after this many seconds.", valueName: "seconds"))
    var timeout: Double = 30

    @Flag(help: "Print the server's JSON unchanged instead of a table.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number") }
    }

    func client(environment: [String: String] = ProcessInfo.processInfo.environment) throws(CLIError) -> APIClient {
        let server = try ServerURL(parsing: url ?? environment["UBLKD_URL"] ?? ServerURL.defaultText)
        var token: String?
        if let path = tokenFile ?? environment["UBLKD_TOKEN_FILE"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .usage("cannot read the token file \(path)")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token?.isEmpty == false else { throw .usage("the token file \(path) is empty") }
        }
        return APIClient(http: HTTPClient(server: server, timeout: .milliseconds(Int64(timeout * 1000))), token: token)
    }
}

/// A subcommand that talks to the API. Its `run()` turns every `CLIError` into one stderr line and an exit status,
/// so the commands themselves only say what to ask and how to show it.
protocol APICommand: ParsableCommand {
    var connection: ConnectionOptions { get }
    func run(with api: APIClient, output: Output) throws(CLIError)
}

extension APICommand {
    mutating func run() throws {
        let output = Output()
        do {
            try run(with: try connection.client(), output: output)
        } catch {
            output.error(error.message)
            throw ExitCode(error.exitCode)
        }
    }
}
