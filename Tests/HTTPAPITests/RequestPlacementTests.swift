@testable import HTTPAPI
import Testing

@Suite("Where the transport runs each request, and which requests the access log keeps")
struct RequestPlacementTests {
    /// The routes a dashboard polls, answered from memory: nothing on them may wait.
    static let fromMemory: Set<String> = [
        "GET /", "GET /health", "GET /metrics", "GET /devices", "GET /devices/{id}", "GET /devices/{id}/stats",
    ]

    @Test("reads of memory run on the event loop, everything that may wait on a worker", arguments: Router.routes)
    func everyRouteIsPlaced(_ route: Router.Route) {
        let path = route.pattern.replacingOccurrences(of: "{id}", with: "12")
        let expected: HandlerPlacement = Self.fromMemory.contains("\(route.method) \(route.pattern)") ? .eventLoop
            : .worker
        #expect(Router.match(method: route.method, path: path).placement == expected)
    }

    @Test func requestsNoRouteTakesAreAnsweredOnTheEventLoop() {
        // 404 and 405 come from the router itself, without the service.
        for (method, path) in [("GET", "/nowhere"), ("PUT", "/devices"), ("POST", "/health"), ("GET", "/devices/1/x")] {
            #expect(Router.match(method: method, path: path).placement == .eventLoop, "\(method) \(path)")
        }
        #expect(Router.match(method: "DELETE", path: "/devices/abc").placement == .worker,
                "the router decides 404 there")
    }

    @Test func accessLogKeepsErrorsChangesAndSlowRequests() {
        let quick = Duration.milliseconds(2)
        #expect(AccessLog.level(method: "GET", status: 200, duration: quick) == .debug)
        #expect(AccessLog.level(method: "HEAD", status: 304, duration: quick) == .debug)
        #expect(AccessLog.level(method: "GET", status: 200, duration: AccessLog.slow) == .info)
        #expect(AccessLog.level(method: "GET", status: 404, duration: quick) == .info)
        #expect(AccessLog.level(method: "GET", status: 503, duration: quick) == .info)
        #expect(AccessLog.level(method: "POST", status: 201, duration: quick) == .info)
        #expect(AccessLog.level(method: "DELETE", status: 204, duration: quick) == .info)
        #expect(AccessLog.level(method: "PATCH", status: 200, duration: quick) == .info)
    }
}
