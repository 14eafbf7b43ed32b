import HTTPAPI
import Testing

@Suite("GET /devices/{id}/events: limit and before are checked integers, passed through as given")
struct EventsQueryTests {
    @Test("refused", arguments: [
        ["limit": "0"], ["limit": "1001"], ["limit": "abc"], ["limit": "-5"], ["limit": ""], ["limit": "1.5"],
        ["limit": "99999999999999999999"], ["before": "0"], ["before": "-1"], ["before": "abc"], ["before": ""],
        ["before": "9223372036854775808"], ["limit": "10", "before": "x"], ["limit": "x", "before": "10"],
    ])
    func badQueryIsValidationFailed(_ query: [String: String]) {
        let harness = RouterHarness()
        let response = harness.send("GET", "/devices/3/events", query: query)
        expectError(response, .validationFailed, "\(query)")
        #expect(harness.service.calls.isEmpty)
    }

    @Test("passed through", arguments: [
        ([:], 50, nil),
        (["limit": "1"], 1, nil),
        (["limit": "1000"], 1000, nil),
        (["before": "1"], 50, 1),
        (["limit": "7", "before": "41"], 7, 41),
        (["before": "9223372036854775807"], 50, Int64.max),
        (["other": "ignored"], 50, nil),
    ] as [([String: String], Int, Int64?)])
    func goodQueryReachesTheService(_ query: [String: String], _ limit: Int, _ before: Int64?) throws {
        let harness = RouterHarness()
        let response = harness.send("GET", "/devices/3/events", query: query)
        #expect(response.status == 200, "\(response.bodyText)")
        #expect(harness.service.calls == [.events(3, limit: limit, before: before)])
        #expect(try response.json()["next_before"]?.number == 41)
    }

    @Test func queryOnOtherRoutesIsIgnored() {
        let harness = RouterHarness()
        #expect(harness.send("GET", "/devices", query: ["limit": "0"]).status == 200)
        #expect(harness.send("GET", "/devices/3/stats", query: ["before": "abc"]).status == 200)
    }
}
