import HTTPAPI
import Testing

@Suite("Router: unknown paths, wrong methods, oversized and malformed bodies are refused before the service")
struct RouterRequestErrorTests {
    @Test("unknown path, or a device id that is not a canonical UInt32", arguments: [
        ("GET", "/nope"), ("GET", "/health/x"), ("GET", "/devices/0/nope"), ("GET", "/metrics/x"),
        ("GET", "/devices/0/stats/extra"), ("DELETE", "/devices/0/stop/now"), ("GET", "/devices/abc"),
        ("GET", "/devices/-1"), ("GET", "/devices/4294967296"), ("GET", "/devices/007"), ("GET", "/devices/+1"),
        ("GET", "/devices/1.0"), ("GET", "/devices/%31"), ("GET", "/devices/0x1"), ("GET", "/devices/ 1"),
        ("DELETE", "/devices/abc"), ("GET", "/devices/abc/stats"), ("POST", "/devices/-1/stop"),
        ("POST", "/devices/4294967296/start"), ("POST", "/devices/007/recover"),
        ("GET", "/devices/99999999999999999999/events"),
    ])
    func unknownPathIsNotFound(_ method: String, _ path: String) {
        let harness = RouterHarness()
        expectError(harness.send(method, path), .notFound, "\(method) \(path)")
        #expect(harness.service.calls.isEmpty)
    }

    @Test func unknownDeviceIsNotFoundFromTheService() {
        let harness = RouterHarness()
        expectError(harness.send("GET", "/devices/5"), .notFound)
        #expect(harness.service.calls == [.device(5)])
    }

    @Test("known path, wrong method", arguments: [
        ("PUT", "/devices", ["GET", "POST"]), ("DELETE", "/devices", ["GET", "POST"]),
        ("PUT", "/devices/0", ["GET", "DELETE", "PATCH"]), ("POST", "/devices/0", ["GET", "DELETE", "PATCH"]),
        ("POST", "/health", ["GET"]), ("DELETE", "/health", ["GET"]), ("POST", "/", ["GET"]),
        ("POST", "/metrics", ["GET"]), ("GET", "/devices/0/stop", ["POST"]),
        ("GET", "/devices/0/start", ["POST"]), ("GET", "/devices/0/recover", ["POST"]),
        ("POST", "/devices/0/stats", ["GET"]), ("DELETE", "/devices/0/events", ["GET"]), ("get", "/health", ["GET"]),
    ])
    func wrongMethodIsNotAllowed(_ method: String, _ path: String, _ allowed: [String]) throws {
        let harness = RouterHarness()
        let response = harness.send(method, path, body: "{}")
        expectError(response, .methodNotAllowed, "\(method) \(path)")
        // The response carries no Allow header, so the message is the only place that says what would work.
        let message = try #require(try response.json()["error"]?["message"]?.string)
        #expect(allowed.allSatisfy { message.contains($0) }, "\(message)")
        #expect(harness.service.calls.isEmpty)
    }

    @Test func oversizedBodyIsRefusedBeforeParsing() {
        let harness = RouterHarness()
        let valid = #"{"name": "d", "target": "null", "size": 4096}"#
        expectError(harness.send("POST", "/devices", body: valid, bodyTooLarge: true), .payloadTooLarge)
        // Whatever the transport kept of the body is not looked at: truncated JSON is still "too large".
        expectError(harness.send("POST", "/devices", body: "{\"name\": \"d", bodyTooLarge: true), .payloadTooLarge)
        #expect(harness.service.calls.isEmpty)
        #expect(harness.send("POST", "/devices", body: valid).status == 201)
    }

    @Test("body that is not one JSON object", arguments: [
        "", " ", "{", "}", #"{"name": "d",,}"#, "{'name': 'd'}", "{name: 1}", #"{"size": NaN}"#, "[]",
        #"[{"name": "d"}]"#, #""text""#, "42", "null", "true", "\u{FEFF}", #"{"name": "d"} {"name": "e"}"#,
    ])
    func malformedBodyIsInvalidJSON(_ body: String) {
        let harness = RouterHarness()
        expectError(harness.send("POST", "/devices", body: body), .invalidJSON, "\(body)")
        #expect(harness.service.calls.isEmpty)
    }

    @Test func invalidUTF8IsInvalidJSON() {
        let harness = RouterHarness()
        let body = Array(#"{"name": ""#.utf8) + [0xFF, 0xFE] + Array(#"", "target": "null"}"#.utf8)
        let request = HTTPRequest(method: "POST", path: "/devices", body: body)
        expectError(harness.router.handle(request), .invalidJSON)
        #expect(harness.service.calls.isEmpty)
    }

    /// Foundation's JSONDecoder takes trailing commas, which RFC 8259 does not allow; the contract promises
    /// invalid_json for a body that is not JSON, and clients that test against ublkd would send bodies that
    /// other servers (and the spec's own validators) refuse.
    @Test func trailingCommaIsInvalidJSON() {
        let harness = RouterHarness()
        expectError(harness.send("POST", "/devices", body: #"{"name": "d", "target": "null", "size": 4096,}"#),
                    .invalidJSON)
        expectError(harness.send("POST", "/devices", body: #"{"name": "d", "target": "null", "size": [4096,]}"#),
                    .invalidJSON)
    }
}
