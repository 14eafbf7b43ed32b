import Foundation

/// The REST API as a pure function from request to response: no sockets, so every route and error is testable
/// with a fake `DeviceService`. The transport below it only moves bytes.
public final class Router: Sendable {
    public struct Route: Sendable, Hashable {
        public let method: String
        /// Path with `{id}` for a device id, as in api/openapi.yaml.
        public let pattern: String
        /// What the route does: the router dispatches on it, never on the strings above.
        public let endpoint: Endpoint
        /// Answered from memory (devices, counters, health): on the event loop, never waiting on anything.
        public let fromMemory: Bool

        init(_ method: String, _ pattern: String, _ endpoint: Endpoint, fromMemory: Bool = false) {
            self.method = method
            self.pattern = pattern
            self.endpoint = endpoint
            self.fromMemory = fromMemory
        }
    }

    public enum Endpoint: Sendable, Hashable {
        case statusPage, health, metrics, listDevices, createDevice, device, deleteDevice, resizeDevice, stopDevice,
             startDevice, recoverDevice, statistics, deviceEvents, events
    }

    /// Every route the router answers; a test checks this list against api/openapi.yaml.
    public static let routes: [Route] = [
        Route("GET", "/", .statusPage, fromMemory: true),
        Route("GET", "/health", .health, fromMemory: true),
        Route("GET", "/metrics", .metrics, fromMemory: true),
        Route("GET", "/devices", .listDevices, fromMemory: true),
        Route("POST", "/devices", .createDevice),
        Route("GET", "/devices/{id}", .device, fromMemory: true),
        Route("DELETE", "/devices/{id}", .deleteDevice),
        Route("PATCH", "/devices/{id}", .resizeDevice),
        Route("POST", "/devices/{id}/stop", .stopDevice),
        Route("POST", "/devices/{id}/start", .startDevice),
        Route("POST", "/devices/{id}/recover", .recoverDevice),
        Route("GET", "/devices/{id}/stats", .statistics, fromMemory: true),
        Route("GET", "/devices/{id}/events", .deviceEvents),
        Route("GET", "/events", .events),
    ]

    /// Each route's pattern as the bytes of its segments, once; `{id}` is the empty one (no real segment is empty).
    private static let patternSegments: [[[UInt8]]] = routes.map { route in
        route.pattern.split(separator: "/").map { $0 == "{id}" ? [] : Array($0.utf8) }
    }

    /// The route `method` and `path` take, and where the transport runs it: on the event loop when the route reads
    /// only memory, and when no route matches (the router answers 404 or 405 itself); on a worker for anything that
    /// may wait (a create, a delete, a resize growing a file, a recovery, the store's history), so that no poller
    /// waits behind it.
    public static func match(method: String, path: String) -> RouteMatch {
        for index in routes.indices where routes[index].method == method && matches(index, path) {
            return RouteMatch(index: index, placement: routes[index].fromMemory ? .eventLoop : .worker)
        }
        return RouteMatch(index: nil, placement: .eventLoop)
    }

    /// The route the transport matched for `request`, or matched now (a request built without the transport).
    static func match(_ request: HTTPRequest) -> RouteMatch {
        request.route ?? match(method: request.method, path: request.path)
    }

    public static let maxBodyBytes = 64 * 1024

    let service: any DeviceService
    /// What a request's Authorization header must be when the API has a token ("Bearer <token>"), made once: a
    /// poll compares it in place.
    let expectedAuthorization: [UInt8]?
    let deviceList = DeviceListBody()

    public init(service: any DeviceService, token: String?) {
        self.service = service
        expectedAuthorization = token.map { Array("Bearer \($0)".utf8) }
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try route(request)
        } catch {
            var response = Self.errorResponse(error)
            if error.code == .methodNotAllowed {
                // RFC 9110: a 405 names the methods the resource has.
                response.headers["Allow"] = Self.allowedMethods(path: request.path).joined(separator: ", ")
            }
            return response
        }
    }

    func route(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let index = Self.match(request).index
        let endpoint = index.map { Self.routes[$0].endpoint }
        // The status page holds no data of its own: it asks for the token and sends it with every call it makes.
        if endpoint != .statusPage {
            try authorize(request)
            if request.bodyTooLarge {
                throw APIError(.payloadTooLarge, "request bodies are limited to \(Self.maxBodyBytes) bytes")
            }
        }
        guard let index, let endpoint else {
            let allowed = Self.allowedMethods(path: request.path)
            guard !allowed.isEmpty else { throw .notFound("no such resource: \(request.path)") }
            throw APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.path) (allowed: "
                           + "\(allowed.joined(separator: ", ")))")
        }
        let id = Self.patternSegments[index].count > 1 ? Self.secondSegment(request.path) : nil
        switch endpoint {
        case .statusPage:
            return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: Array(StatusPage.html.utf8))
        case .health:
            return try Self.json(200, service.health())
        case .metrics:
            return HTTPResponse(status: 200, contentType: Self.prometheusContentType, body: service.metricsExposition())
        case .listDevices:
            let devices = try service.listDevices()
            do {
                return HTTPResponse(status: 200, body: try deviceList.body(devices))
            } catch {
                throw APIError(.internal, "could not encode the response")
            }
        case .createDevice:
            let body = try JSONValue.object(from: request.body)
            return try Self.json(201, service.createDevice(try CreateDeviceRequest(json: body)))
        case .device:
            return try Self.json(200, service.device(id: try Self.deviceID(id)))
        case .deleteDevice:
            try service.deleteDevice(id: try Self.deviceID(id))
            return HTTPResponse(status: 204, body: [])
        case .resizeDevice:
            let id = try Self.deviceID(id)
            let body = try JSONValue.object(from: request.body)
            return try Self.json(200, service.resizeDevice(id: id, try ResizeDeviceRequest(json: body)))
        case .stopDevice:
            return try Self.json(200, service.stopDevice(id: try Self.deviceID(id)))
        case .startDevice:
            return try Self.json(200, service.startDevice(id: try Self.deviceID(id)))
        case .recoverDevice:
            return try Self.json(200, service.recoverDevice(id: try Self.deviceID(id)))
        case .statistics:
            return try Self.json(200, service.statistics(id: try Self.deviceID(id)))
        case .deviceEvents:
            let (limit, before) = try Self.eventPageQuery(request)
            return try Self.json(200, service.events(id: try Self.deviceID(id), limit: limit, before: before))
        case .events:
            let (limit, before) = try Self.eventPageQuery(request)
            let device = try Self.integerQuery(request, "device_id", range: 0...Int(UInt32.max)).map(UInt32.init)
            return try Self.json(200, service.history(deviceID: device, limit: limit, before: before))
        }
    }

    static func allowedMethods(path: String) -> [String] {
        routes.indices.filter { matches($0, path) }.map { routes[$0].method }
    }

    /// The Prometheus text format, version 0.0.4, which every scraper reads.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The label of the route `request` takes (`RouteMatch.label`).
    public static func routeLabel(_ request: HTTPRequest) -> String { match(request).label }

    func authorize(_ request: HTTPRequest) throws(APIError) {
        guard let expectedAuthorization else { return }
        var presented = request.headers["authorization"] ?? ""
        guard presented.withUTF8({ Self.constantTimeEqual($0, expectedAuthorization) }) else {
            throw APIError(.unauthorized, "send the API token as \"Authorization: Bearer <token>\"")
        }
    }

    /// Takes as long whatever the first difference: a guessed token tells nothing by how fast it is refused.
    static func constantTimeEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// The second segment of a path (the id in /devices/{id}/...), found without splitting the path.
    static func secondSegment(_ path: String) -> String? {
        let slash = UInt8(ascii: "/")
        var bytes = path.utf8[...]
        for index in 0..<2 {
            bytes = bytes.drop { $0 == slash }
            let segment = bytes.prefix { $0 != slash }
            if segment.isEmpty { return nil }
            if index == 1 { return String(segment) }
            bytes = bytes[segment.endIndex...]
        }
        return nil
    }

    /// Whether `path`'s segments (empty ones skipped) are those of route `index`'s pattern, `{id}` taking any one;
    /// compared in place.
    static func matches(_ index: Int, _ path: String) -> Bool {
        let pattern = patternSegments[index]
        var path = path
        return path.withUTF8 { bytes in
            let slash = UInt8(ascii: "/")
            var position = 0
            var segment = 0
            while true {
                while position < bytes.count && bytes[position] == slash { position += 1 }
                guard position < bytes.count else { return segment == pattern.count }
                let start = position
                while position < bytes.count && bytes[position] != slash { position += 1 }
                guard segment < pattern.count else { return false }
                let expected = pattern[segment]
                if !expected.isEmpty {
                    guard position - start == expected.count,
                          expected.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress! + start,
                                                                   expected.count) == 0 })
                    else { return false }
                }
                segment += 1
            }
        }
    }

    static func deviceID(_ segment: String?) throws(APIError) -> UInt32 {
        guard let segment, let id = UInt32(segment), String(id) == segment else {
            throw .notFound("no device with id \(segment ?? "")")
        }
        return id
    }

    /// The device id a request path is about, for log metadata.
    public static func deviceID(inPath path: String) -> UInt32? {
        let segments = path.split(separator: "/")
        guard segments.count >= 2, segments[0] == "devices" else { return nil }
        return UInt32(segments[1])
    }

    /// `limit` and `before` of the two event listings.
    static func eventPageQuery(_ request: HTTPRequest) throws(APIError) -> (limit: Int, before: Int64?) {
        let limit = try integerQuery(request, "limit", range: 1...1000) ?? 50
        let before = try integerQuery(request, "before", range: 1...Int(Int64.max)).map(Int64.init)
        return (limit, before)
    }

    static func integerQuery(_ request: HTTPRequest, _ name: String, range: ClosedRange<Int>) throws(APIError)
        -> Int?
    {
        guard let text = request.query[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .validation("query parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    // MARK: encoding

    /// A polled view: the same bytes, written field by field.
    static func json<T: JSONFields>(_ status: Int, _ value: T) throws(APIError) -> HTTPResponse {
        try json(status) { try JSONBodyEncoder.encode(value) }
    }

    static func json<T: Encodable>(_ status: Int, _ value: T) throws(APIError) -> HTTPResponse {
        try json(status) { try JSONBodyEncoder.encode(value) }
    }

    private static func json(_ status: Int, _ encode: () throws -> [UInt8]) throws(APIError) -> HTTPResponse {
        do {
            var body = try encode()
            body.append(UInt8(ascii: "\n"))
            return HTTPResponse(status: status, body: body)
        } catch {
            throw APIError(.internal, "could not encode the response")
        }
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }

    public static func errorResponse(_ error: APIError) -> HTTPResponse {
        let body = ErrorBody(error: .init(code: error.code.rawValue, message: error.message))
        let bytes = (try? JSONBodyEncoder.encode(body)).map { $0 + [UInt8(ascii: "\n")] } ?? []
        return HTTPResponse(status: error.code.status, body: bytes)
    }
}
