import Foundation
import UblkdVersion

/// ublkd's REST API as this tool sees it: a request goes out with the token, and either a 2xx body comes back or
/// the failure is already a `CLIError` with the right exit status.
struct APIClient: Sendable {
    let http: HTTPClient
    let token: String?

    /// The raw body of a successful answer, so `--json` can print exactly what the server sent.
    func call(_ method: String, _ target: String, json body: [UInt8]? = nil) throws(CLIError) -> [UInt8] {
        var headers = [("Accept", "application/json"), ("User-Agent", "ublkctl/\(UblkdVersion.current)")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response: HTTPResponse
        do {
            response = try http.send(method: method, target: target, headers: headers, body: body)
        } catch {
            throw Self.describe(error, url: http.server.description, timeout: http.timeout)
        }
        guard (200..<300).contains(response.status) else { throw Self.apiError(response) }
        return response.body
    }

    func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(CLIError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw .unexpectedAnswer("cannot read the server's \(type) JSON (\(Self.explain(error)))")
        }
    }

    func get<T: Decodable>(_ type: T.Type, _ target: String) throws(CLIError) -> (T, [UInt8]) {
        let body = try call("GET", target)
        return (try decode(type, from: body), body)
    }

    static func apiError(_ response: HTTPResponse) -> CLIError {
        struct ErrorBody: Decodable {
            struct Detail: Decodable {
                let code: String
                let message: String
            }
            let error: Detail
        }
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) {
            return .api(status: response.status, code: body.error.code, message: body.error.message)
        }
        // Not ublkd's error shape (a proxy, or some other server on that port): show what there is.
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = response.reason.isEmpty ? "" : " \(response.reason)"
        return .api(status: response.status, code: "http_\(response.status)",
                    message: text.isEmpty ? "HTTP \(response.status)\(reason)" : text)
    }

    static func describe(_ error: TransportError, url: String, timeout: Duration) -> CLIError {
        let hint = "Is ublkd running? Start it with `make run`, or point --url / UBLKD_URL at it."
        switch error {
        case .resolve(let reason), .connect(let reason):
            return .unreachable(url: url, reason: reason, hint: hint)
        case .timedOut:
            return .unreachable(url: url, reason: "no answer within \(timeout.formattedSeconds)", hint: nil)
        case .io(let reason):
            return .unreachable(url: url, reason: reason, hint: nil)
        case .protocolViolation(let reason):
            let reason = "malformed answer (\(reason)); is ublkd what listens there?"
            return .unreachable(url: url, reason: reason, hint: nil)
        }
    }

    static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _):
            "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            context.debugDescription
        default:
            "\(error)"
        }
    }
}

extension Duration {
    var formattedSeconds: String {
        let (seconds, attoseconds) = components
        return attoseconds == 0 ? "\(seconds)s" : String(format: "%.1fs", Double(seconds) + Double(attoseconds) / 1e18)
    }
}
