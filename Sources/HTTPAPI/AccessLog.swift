import Logging

/// The access log: a line for each request an operator needs to see, and nothing for the rest. A dashboard polling
/// `/stats` of 100 devices once a second would otherwise write 100 lines a second, and formatting and writing them
/// would cost more than answering the polls.
struct AccessLog: Sendable {
    let logger: Logger

    /// A request that took at least this long is logged whatever it was.
    static let slow: Duration = .milliseconds(100)

    /// `.info` (shown at the default level) for errors, slow requests and every change (anything but a read);
    /// `.debug` for reads that succeeded in time.
    static func level(method: String, status: Int, duration: Duration) -> Logger.Level {
        if status >= 400 || duration >= slow { return .info }
        return method == "GET" || method == "HEAD" ? .debug : .info
    }

    func record(_ request: HTTPRequest, _ response: HTTPResponse, _ elapsed: Duration) {
        let level = Self.level(method: request.method, status: response.status, duration: elapsed)
        // Nothing below is built for a line that would not be written.
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["http.duration_ms": "\((elapsed.milliseconds * 1000).rounded() / 1000)"]
        if let id = Router.deviceID(inPath: request.path) { metadata["ublk.dev_id"] = "\(id)" }
        logger.log(level: level, "\(request.method) \(request.path) \(response.status)", metadata: metadata)
    }
}
