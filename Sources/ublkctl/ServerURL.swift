/// Where ublkd listens, from `--url` or UBLKD_URL. Only plain `http://HOST:PORT` because the daemon speaks
/// nothing else; a bracketed IPv6 literal (`http://[::1]:7878`) is accepted.
struct ServerURL: Sendable, Equatable, CustomStringConvertible {
    static let defaultText = "http://127.0.0.1:7878"

    let host: String
    let port: UInt16

    init(parsing text: String) throws(CLIError) {
        let invalid = CLIError.usage("invalid URL \"\(text)\": expected http://HOST:PORT")
        guard text.lowercased().hasPrefix("http://") else {
            if text.lowercased().hasPrefix("https://") {
                throw .usage("invalid URL \"\(text)\": ublkd speaks plain http only (http://HOST:PORT)")
            }
            throw invalid
        }
        var rest = Substring(text.dropFirst("http://".count))
        // A bare trailing slash is what people paste from browsers; any other path would be silently ignored.
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/"), !rest.contains("?"), !rest.contains("@") else { throw invalid }

        let hostPart: Substring
        let portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.isEmpty {
                portPart = nil
            } else {
                guard after.hasPrefix(":") else { throw invalid }
                portPart = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        } else {
            hostPart = rest
            portPart = nil
        }
        guard !hostPart.isEmpty, !hostPart.contains(" ") else { throw invalid }
        if let portPart {
            guard let port = UInt16(portPart), port > 0 else { throw invalid }
            self.port = port
        } else {
            port = 80
        }
        host = String(hostPart)
    }

    /// The Host header value, with brackets back around IPv6 literals.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var description: String { "http://\(authority)" }
}
