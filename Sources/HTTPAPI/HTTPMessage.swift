/// A request as the router sees it: already read in full by the transport.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names in lower case. The transport hands over those in `headersRead`, the only ones the API reads.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Set by the transport when the body exceeded the limit (it keeps only the first bytes).
    public var bodyTooLarge: Bool
    /// The route, when the transport already matched it (to place the handler); nil: whoever needs it matches it.
    public var route: RouteMatch?

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], bodyTooLarge: Bool = false, route: RouteMatch? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.route = route
    }

    /// The headers the router looks at (lower case).
    public static let headersRead = ["authorization"]
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Headers beyond Content-Type, e.g. Allow on a 405.
    public var headers: [String: String]

    public init(status: Int, contentType: String = "application/json", body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Which route a request takes, matched once per request: the transport places the handler by it, the router runs
/// it, the metrics label the request with it.
public struct RouteMatch: Sendable, Equatable {
    /// The index in `Router.routes`; nil when no route takes the request (the router answers 404 or 405 itself).
    public let index: Int?
    public let placement: HandlerPlacement

    public init(index: Int?, placement: HandlerPlacement) {
        self.index = index
        self.placement = placement
    }

    /// The route's pattern, for metric labels: raw paths carry ids, which would make one series per device per
    /// route, and any path a scanner tries.
    public var label: String { index.map { Router.routes[$0].pattern } ?? "unmatched" }
}

/// Where the transport runs a request's handler.
public enum HandlerPlacement: Sendable, Equatable {
    /// On the event loop that read the request: for handlers that only read memory and never wait.
    case eventLoop
    /// On a thread of its own, the connection suspended meanwhile: for handlers that may wait (kernel, store, disk).
    case worker
}
