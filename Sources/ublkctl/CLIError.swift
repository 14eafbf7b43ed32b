/// Everything that ends a command early, with the exit status scripts can rely on:
/// 1 for an answer the API refused, 2 when there was no usable answer at all, 64 for a bad invocation.
enum CLIError: Error, Equatable {
    /// The daemon answered with an error body (4xx/5xx).
    case api(status: Int, code: String, message: String)
    /// The daemon answered, but not with something this client understands.
    case unexpectedAnswer(String)
    /// No connection, or the connection broke before a whole response arrived.
    case unreachable(url: String, reason: String, hint: String?)
    /// Wrong URL, unreadable token file and the like: nothing was sent.
    case usage(String)

    var exitCode: Int32 {
        switch self {
        case .api, .unexpectedAnswer: 1
        case .unreachable: 2
        case .usage: 64
        }
    }

    /// The single stderr line; the `code: message` shape mirrors the API's error body so it can be grepped for.
    var message: String {
        switch self {
        case .api(_, let code, let message):
            "ublkctl: \(code): \(message)"
        case .unexpectedAnswer(let detail):
            "ublkctl: unexpected answer: \(detail)"
        case .unreachable(let url, let reason, let hint):
            "ublkctl: cannot reach ublkd at \(url): \(reason)" + (hint.map { "\n\($0)" } ?? "")
        case .usage(let detail):
            "ublkctl: \(detail)"
        }
    }
}
