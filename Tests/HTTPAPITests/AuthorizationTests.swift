import HTTPAPI
import Testing

@Suite("Router: with a token configured, every request needs Authorization: Bearer <token>")
struct AuthorizationTests {
    static let token = "s3cr3t-T0ken"

    @Test("refused", arguments: [
        nil, "", "Bearer", "Bearer ", "s3cr3t-T0ken", "Bearer s3cr3t-T0ke", "Bearer s3cr3t-T0ken0",
        "Bearer s3cr3t-t0ken", "Bearer  s3cr3t-T0ken", "Bearer s3cr3t-T0ken ", "Basic czNjcjN0LVQwa2Vu",
        "Token s3cr3t-T0ken",
    ] as [String?])
    func wrongOrMissingTokenIsUnauthorized(_ header: String?) {
        let harness = RouterHarness(token: Self.token)
        let headers = header.map { ["authorization": $0] } ?? [:]
        for (method, path) in [("GET", "/health"), ("GET", "/devices"), ("DELETE", "/devices/0")] {
            expectError(harness.send(method, path, headers: headers), .unauthorized, "\(method) \(path)")
        }
        #expect(harness.service.calls.isEmpty)
    }

    @Test func rightTokenIsServed() {
        let harness = RouterHarness(token: Self.token)
        let headers = ["authorization": "Bearer \(Self.token)"]
        #expect(harness.send("GET", "/health", headers: headers).status == 200)
        #expect(harness.send("GET", "/devices/0/stats", headers: headers).status == 200)
        #expect(harness.send("DELETE", "/devices/0", headers: headers).status == 204)
        #expect(harness.service.calls == [.health, .statistics(0), .delete(0)])
    }

    /// Without the token nothing else is revealed: not which paths exist, not the body limit.
    @Test func unauthorizedComesBeforeEveryOtherError() {
        let harness = RouterHarness(token: Self.token)
        expectError(harness.send("GET", "/no/such/path"), .unauthorized)
        expectError(harness.send("PUT", "/devices"), .unauthorized)
        expectError(harness.send("POST", "/devices", body: "{", bodyTooLarge: true), .unauthorized)
        expectError(harness.send("POST", "/devices", body: "{"), .unauthorized)
        // With the token, the same requests get their real errors.
        let headers = ["authorization": "Bearer \(Self.token)"]
        expectError(harness.send("GET", "/no/such/path", headers: headers), .notFound)
        expectError(harness.send("PUT", "/devices", headers: headers), .methodNotAllowed)
        expectError(harness.send("POST", "/devices", headers: headers, body: "{", bodyTooLarge: true),
                    .payloadTooLarge)
        expectError(harness.send("POST", "/devices", headers: headers, body: "{"), .invalidJSON)
    }

    @Test func withoutATokenAnyAuthorizationHeaderIsIgnored() {
        let harness = RouterHarness(token: nil)
        #expect(harness.send("GET", "/health").status == 200)
        #expect(harness.send("GET", "/health", headers: ["authorization": "Bearer whatever"]).status == 200)
    }
}
