@testable import Daemon
import Foundation
import Testing

@Suite("RequestTallies: the API's request series, counted per CPU and summed at a scrape")
struct RequestTalliesTests {
    private let bounds: [Duration] = [.milliseconds(1), .milliseconds(10)]

    private func exposition(_ tallies: RequestTallies) -> [String: String] {
        var buffer: [UInt8] = []
        tallies.write(into: &buffer)
        var lines: [String: String] = [:]
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let space = line.lastIndex(of: " ")!
            lines[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        return lines
    }

    @Test func threadsOnEveryCPUAddUpToEveryRequest() async {
        let tallies = RequestTallies(bounds: bounds, shards: 2)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in 0..<5_000 {
                        tallies.record(method: "GET", route: "/health", status: index % 5 == 0 ? 503 : 200,
                                       duration: .microseconds(worker * 100))
                    }
                }
            }
        }
        let lines = exposition(tallies)
        let series = #"method="GET",route="/health""#
        #expect(lines["ublkd_http_requests_total{\(series),status=\"200\"}"] == "16000")
        #expect(lines["ublkd_http_requests_total{\(series),status=\"503\"}"] == "4000")
        #expect(lines["ublkd_http_request_duration_seconds_count{\(series)}"] == "20000")
        #expect(lines["ublkd_http_request_duration_seconds_bucket{\(series),le=\"+Inf\"}"] == "20000")
        #expect(lines["ublkd_http_request_duration_seconds_bucket{\(series),le=\"0.001\"}"] == "20000")
        // 5,000 requests each of 0, 100, 200 and 300 µs.
        #expect(lines["ublkd_http_request_duration_seconds_sum{\(series)}"].flatMap(Double.init) == 3.0)
    }

    @Test func bucketsAreCumulativeAndABoundTakesItsOwnValue() {
        let tallies = RequestTallies(bounds: bounds, shards: 1)
        for duration: Duration in [.milliseconds(1), .milliseconds(2), .milliseconds(10), .seconds(3)] {
            tallies.record(method: "POST", route: "/devices", status: 201, duration: duration)
        }
        let lines = exposition(tallies)
        let series = #"method="POST",route="/devices""#
        for (bound, count) in [("0.001", "1"), ("0.01", "3"), ("+Inf", "4")] {
            #expect(lines["ublkd_http_request_duration_seconds_bucket{\(series),le=\"\(bound)\"}"] == count)
        }
        #expect(lines["ublkd_http_request_duration_seconds_count{\(series)}"] == "4")
    }

    @Test func madeUpMethodsShareOneLabel() {
        let metrics = DaemonMetrics(version: "1")
        for method in ["FOO", "BAR", "get", "DELETE"] {
            metrics.recordRequest(method: method, route: "unmatched", status: 404, duration: .microseconds(5))
        }
        let text = String(decoding: metrics.render(devices: [], driverAvailable: true), as: UTF8.self)
        #expect(text.contains(#"ublkd_http_requests_total{method="other",route="unmatched",status="404"} 3"#))
        #expect(text.contains(#"ublkd_http_requests_total{method="DELETE",route="unmatched",status="404"} 1"#))
        #expect(!text.contains("FOO"))
    }
}
