import DeviceModel
import Foundation
import HTTPAPI
import Testing

@Suite("Router: every route answers with its status and calls the service once, with the right id")
struct RouterRouteTests {
    static let createBody = #"{"name": "gamma", "target": "null", "size": "1GiB"}"#

    static func expectedStatus(_ route: Router.Route) -> Int {
        switch (route.method, route.pattern) {
        case ("POST", "/devices"): 201
        case ("DELETE", "/devices/{id}"): 204
        default: 200
        }
    }

    static func expectedCall(_ route: Router.Route, id: UInt32) -> FakeDeviceService.Call? {
        switch (route.method, route.pattern) {
        case ("GET", "/health"): .health
        case ("GET", "/metrics"): .metrics
        case ("GET", "/devices"): .list
        case ("POST", "/devices"): .create(CreateDeviceRequest(definition: DeviceDefinition(name: "gamma", target: .null, sizeBytes: 1 << 30)))
        case ("GET", "/devices/{id}"): .device(id)
        case ("DELETE", "/devices/{id}"): .delete(id)
        case ("PATCH", "/devices/{id}"): .resize(id, ResizeDeviceRequest(size: 2 << 30))
        case ("POST", "/devices/{id}/stop"): .stop(id)
        case ("POST", "/devices/{id}/start"): .start(id)
        case ("POST", "/devices/{id}/recover"): .recover(id)
        case ("GET", "/devices/{id}/stats"): .statistics(id)
        case ("GET", "/devices/{id}/events"): .events(id, limit: 50, before: nil)
        case ("GET", "/events"): .history(nil, limit: 50, before: nil)
        default: nil
        }
    }

    /// Routes that answer something other than JSON; each has its own test below.
    static let nonJSON: Set<String> = ["/", "/metrics"]

    @Test("success status, JSON body and the one service call",
          arguments: Router.routes.filter { !nonJSON.contains($0.pattern) })
    func routeSucceeds(_ route: Router.Route) throws {
        let harness = RouterHarness()
        let path = route.pattern.replacingOccurrences(of: "{id}", with: "3")
        let body: String? = switch (route.method, route.pattern) {
        case ("POST", "/devices"): Self.createBody
        case ("PATCH", "/devices/{id}"): #"{"size": "2GiB"}"#
        default: nil
        }
        let response = harness.send(route.method, path, body: body)

        #expect(response.status == Self.expectedStatus(route), "\(response.bodyText)")
        #expect(harness.service.calls == [try #require(Self.expectedCall(route, id: 3))])
        if response.status == 204 {
            #expect(response.body.isEmpty)
        } else {
            #expect(response.contentType == "application/json")
            let json = try response.json()
            #expect(!json.keys.isEmpty)
            // Keys are snake_case throughout (health's `devices` map is keyed by lower-case state names).
            let camel = json.allKeys.filter { $0.contains(where: \.isUppercase) }
            #expect(camel.isEmpty, "camelCase keys in \(path): \(camel.sorted())")
        }
    }

    @Test func statusPageIsOneSelfContainedDocumentAndNeedsNoToken() {
        let harness = RouterHarness(token: "0123456789abcdef-token")
        let response = harness.send("GET", "/")
        #expect(response.status == 200)
        #expect(response.contentType == "text/html; charset=utf-8")
        #expect(harness.service.calls.isEmpty, "the page itself reads nothing")
        let page = response.bodyText
        #expect(page.hasPrefix("<!doctype html>"))
        // Self-contained: no script, style sheet or image comes from anywhere else.
        for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "<link"] {
            #expect(!page.contains(external), "the page loads \(external)")
        }
        #expect(page.contains("Authorization: \"Bearer \" + token"))
        // Everything else still wants the token.
        #expect(harness.send("GET", "/health").status == 401)
        #expect(harness.send("GET", "/metrics").status == 401)
        #expect(harness.send("POST", "/").status == 401)
    }

    @Test func metricsAnswerThePrometheusTextFormat() {
        let harness = RouterHarness()
        let response = harness.send("GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(harness.service.calls == [.metrics])
        #expect(response.bodyText.contains("ublkd_build_info"))
    }

    @Test("metric labels name the route pattern, never the raw path", arguments: [
        ("GET", "/devices/17/stats", "/devices/{id}/stats"), ("GET", "/", "/"), ("GET", "/metrics", "/metrics"),
        ("DELETE", "/devices/3", "/devices/{id}"), ("GET", "/wp-admin", "unmatched"),
        ("PUT", "/devices", "unmatched"),
    ])
    func routeLabels(method: String, path: String, label: String) {
        #expect(Router.match(method: method, path: path).label == label)
    }

    @Test func historyFiltersByDeviceIdAndPages() {
        let harness = RouterHarness()
        let query = ["device_id": "9", "limit": "3", "before": "77"]
        #expect(harness.send("GET", "/events", query: query).status == 200)
        #expect(harness.service.calls == [.history(9, limit: 3, before: 77)])
        #expect(harness.send("GET", "/events", query: ["device_id": "-1"]).status == 400)
        #expect(harness.send("GET", "/events", query: ["device_id": "4294967296"]).status == 400)
    }

    @Test func routeListIsTheDocumentedFourteen() {
        #expect(Router.routes.count == 14)
        #expect(Set(Router.routes).count == Router.routes.count, "duplicate routes")
    }

    @Test func deviceShowsSnakeCaseKeysAndOmitsAbsentOnes() throws {
        let harness = RouterHarness()
        let live = try harness.send("GET", "/devices/0").json()
        #expect(live["id"]?.number == 0)
        #expect(live["block_device"]?.string == "/dev/ublkb0")
        #expect(live["queue_depth"]?.number == 64)
        #expect(live["block_size"]?.number == 4096)
        #expect(live["max_io_size"]?.number == 1_048_576)
        #expect(live["read_only"]?.bool == false)
        #expect(live["desired_state"]?.string == "running")
        #expect(live["io_mode"]?.string == "copy")
        #expect(live["pin_queues"]?.bool == true)
        #expect(live["backing_io"]?.string == "none")
        #expect(live["size"]?.number == 1_073_741_824)
        #expect(live["created_at"]?.string == "2023-11-14T22:13:20Z")
        #expect(live["updated_at"]?.string == "2023-11-14T22:23:20Z")
        // nil optionals are left out, not sent as null: the spec has no nullable fields.
        #expect(live["path"] == nil && live["error"] == nil && live["last_recovery"] == nil)

        let failed = try harness.send("GET", "/devices/3").json()
        #expect(failed.keys == [
            "id", "name", "target", "path", "size", "block_size", "queues", "queue_depth", "max_io_size",
            "read_only", "recovery", "state", "desired_state", "io_mode", "pin_queues", "queue_threads", "batch_io",
            "backing_io",
            "error",
            "recoveries",
            "last_recovery", "created_at", "updated_at",
        ])
        #expect(failed["path"]?.string == "/var/lib/ublkd/beta.img")
        #expect(failed["pin_queues"]?.bool == false)
        #expect(failed["last_recovery"]?["device_id"]?.number == 3)
        #expect(failed["last_recovery"]?["duration_ms"]?.number == 600_000)
        #expect(failed["last_recovery"]?["device_name"]?.string == "beta.disk-1")
    }

    @Test func listHoldsEveryDeviceInIDOrder() throws {
        let json = try RouterHarness().send("GET", "/devices").json()
        #expect(json.keys == ["devices"])
        #expect(json["devices"]?.array?.compactMap { $0["id"]?.number } == [0, 3])
    }

    @Test func statisticsUseSnakeCaseCounters() throws {
        let json = try RouterHarness().send("GET", "/devices/0/stats").json()
        #expect(json["id"]?.number == 0)
        #expect(json["state"]?.string == "live")
        #expect(json["read_bytes"]?.number == 81920)
        #expect(json["write_bytes"]?.number == 81920)
        #expect(json["write_zeroes"]?.number == 5)
        #expect(json["in_flight"]?.number == 2)
        #expect(json["ring_enters"]?.number == 14)
        #expect(json["queues"]?[0]?["ring_enters"]?.number == 7)
        #expect(json["uptime_seconds"]?.number == 12.5)
        #expect(json["since"]?.string == "2023-11-14T22:13:20Z")
        #expect(json["queues"]?.array?.count == 2)
        #expect(json["queues"]?[1]?["read_bytes"]?.number == 40960)
    }

    @Test func eventsCarryNextBefore() throws {
        let json = try RouterHarness().send("GET", "/devices/3/events").json()
        #expect(json["next_before"]?.number == 41)
        #expect(json["events"]?.array?.compactMap { $0["id"]?.number } == [42, 41])
        #expect(json["events"]?[0]?["started_at"]?.string == "2023-11-14T22:13:20Z")
        #expect(json["events"]?[0]?["finished_at"]?.string == "2023-11-14T22:23:20Z")
        #expect(json["events"]?[0]?["device_id"]?.number == 3)
    }

    @Test func healthUsesSnakeCaseKeys() throws {
        let json = try RouterHarness().send("GET", "/health").json()
        #expect(json["status"]?.string == "ok")
        #expect(json["unmanaged_devices"]?.array == [.integer(7)])
        #expect(json["kernel"]?["feature_bits"]?.string == "0x42")
        #expect(json["kernel"]?["features"]?.array?.count == 2)
        #expect(json["last_start"]?["duration_ms"]?.number == 15)
        #expect(json["last_start"]?["started_at"]?.string == "2023-11-14T22:13:20Z")
        #expect(json["devices"]?["live"]?.number == 1)
    }

    @Test func createAnswersTheNewDeviceAndListShowsIt() throws {
        let harness = RouterHarness()
        let response = harness.send("POST", "/devices", body: Self.createBody)
        #expect(response.status == 201)
        let json = try response.json()
        #expect(json["id"]?.number == 4)
        #expect(json["name"]?.string == "gamma")
        #expect(json["block_device"]?.string == "/dev/ublkb4")
        let list = try harness.send("GET", "/devices").json()
        #expect(list["devices"]?.array?.compactMap { $0["id"]?.number } == [0, 3, 4])
    }

    @Test func deleteAnswersNoContentAndTheDeviceIsGone() {
        let harness = RouterHarness()
        let response = harness.send("DELETE", "/devices/3")
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        expectError(harness.send("GET", "/devices/3"), .notFound)
    }

    @Test func stopAndStartAnswerTheChangedDevice() throws {
        let harness = RouterHarness()
        let stopped = try harness.send("POST", "/devices/0/stop").json()
        #expect(stopped["state"]?.string == "stopped")
        #expect(stopped["block_device"] == nil)
        let started = try harness.send("POST", "/devices/0/start").json()
        #expect(started["state"]?.string == "live")
        #expect(started["block_device"]?.string == "/dev/ublkb0")
    }

    /// Ids are whatever fits a UInt32; the largest must reach the service, not be refused by the router.
    @Test func largestDeviceIDReachesTheService() {
        let harness = RouterHarness()
        expectError(harness.send("POST", "/devices/4294967295/start"), .notFound)
        #expect(harness.service.calls == [.start(4_294_967_295)])
    }

    /// A trailing slash or doubled slash still names the same resource (empty segments are dropped).
    @Test func emptyPathSegmentsAreIgnored() {
        let harness = RouterHarness()
        #expect(harness.send("GET", "/devices/").status == 200)
        #expect(harness.send("GET", "//devices//0/stats").status == 200)
        #expect(harness.service.calls == [.list, .statistics(0)])
    }

    /// The transport tags its log line with the device a path is about.
    @Test func deviceIDForLogMetadata() {
        #expect(Router.deviceID(inPath: "/devices/3") == 3)
        #expect(Router.deviceID(inPath: "/devices/4294967295/events") == 4_294_967_295)
        #expect(Router.deviceID(inPath: "/devices") == nil)
        #expect(Router.deviceID(inPath: "/health") == nil)
        #expect(Router.deviceID(inPath: "/devices/abc/stats") == nil)
        #expect(Router.deviceID(inPath: "/other/3") == nil)
    }
}
