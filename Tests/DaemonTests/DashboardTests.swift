@testable import Daemon
import DeviceModel
import Engine
import Foundation
import Testing

/// dist/grafana/ublkd-dashboard.json against what the daemon really exports: the registry `/metrics` renders, filled
/// with a file and an nbd device, a recovery and a request, so that every family the daemon can show is there. Every
/// metric a dashboard query names must be one of those, with the labels it filters and groups by.
@Suite("The Grafana dashboard queries only metrics and labels the daemon exports")
struct DashboardTests {
    /// Exported sample names (histograms with their _bucket, _sum and _count) and the labels each carries.
    static func exported() -> [String: Set<String>] {
        let metrics = DaemonMetrics(version: "1")
        metrics.recordRecovery(kind: "crash_recovery", outcome: "ok", duration: .milliseconds(300))
        metrics.recordRequest(method: "GET", route: "/devices", status: 200, duration: .milliseconds(1))
        let file = DaemonMetrics.DeviceSample(
            id: 0, name: "db", target: "file", state: .live, sizeBytes: 1 << 30,
            counters: IOCounters(reads: 1, writeBytes: 4096, inFlight: 1), recoveries: 1,
            lastRecoverySeconds: 0.3)
        let nbd = DaemonMetrics.DeviceSample(
            id: 1, name: "vol", target: "nbd", state: .live, sizeBytes: 1 << 30, counters: IOCounters(),
            connection: ConnectionStatus(state: .connected, disconnects: 0, reconnects: 0))
        let text = String(decoding: metrics.render(devices: [file, nbd], driverAvailable: true), as: UTF8.self)
        var names: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let head = line.prefix { $0 != " " }
            let name = String(head.prefix { $0 != "{" })
            var labels = names[name] ?? []
            if let open = head.firstIndex(of: "{") {
                for pair in head[head.index(after: open)...].dropLast().split(separator: ",") {
                    labels.insert(String(pair.prefix { $0 != "=" }))
                }
            }
            names[name] = labels
        }
        return names
    }

    /// Every PromQL expression of the dashboard: panel targets and template variable queries.
    static func expressions() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("dist/grafana/ublkd-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var found: [String] = []
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { found.append(expr) }
            }
        }
        let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables {
            if let query = (variable["query"] as? [String: Any])?["query"] as? String { found.append(query) }
        }
        return found
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (0..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }

    @Test func everyQueriedMetricAndLabelIsExported() throws {
        let exported = Self.exported()
        let expressions = try Self.expressions()
        #expect(expressions.count > 10)
        for expr in expressions {
            let metrics = Self.matches(#"ublkd_[a-z_]+"#, in: expr).map { $0[0] }
            #expect(!metrics.isEmpty, "no ublkd metric in \(expr)")
            for metric in metrics {
                #expect(exported[metric] != nil, "\(metric) is not exported (in \(expr))")
            }
            // Labels in selectors belong to that metric; labels grouped by or read in label_values to one of the
            // expression's metrics.
            for selector in Self.matches(#"(ublkd_[a-z_]+)\{([^}]*)\}"#, in: expr) {
                for label in Self.matches(#"([a-z_]+)\s*(=~|!~|!=|=)"#, in: selector[2]).map({ $0[1] }) {
                    #expect(exported[selector[1]]?.contains(label) == true, "\(selector[1]) has no label \(label)")
                }
            }
            let inExpression = metrics.reduce(into: Set<String>()) { $0.formUnion(exported[$1] ?? []) }
            for grouping in Self.matches(#"by \(([^)]*)\)"#, in: expr) {
                for label in grouping[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    #expect(inExpression.contains(label), "no metric of \(expr) has the label \(label)")
                }
            }
            for read in Self.matches(#"label_values\((ublkd_[a-z_]+), *([a-z_]+)\)"#, in: expr) {
                #expect(exported[read[1]]?.contains(read[2]) == true, "\(read[1]) has no label \(read[2])")
            }
        }
    }

    /// What the dashboard is for: per device IOPS, bandwidth, in-flight requests, errors, recoveries and their
    /// duration, and the daemon's recovery histogram.
    @Test func theDashboardShowsWhatOperatorsWatch() throws {
        let used = Set(try Self.expressions().flatMap { Self.matches(#"ublkd_[a-z_]+"#, in: $0).map { $0[0] } })
        for metric in [
            "ublkd_device_reads_total", "ublkd_device_writes_total", "ublkd_device_read_bytes_total",
            "ublkd_device_written_bytes_total", "ublkd_device_in_flight_requests", "ublkd_device_errors_total",
            "ublkd_device_recoveries_total", "ublkd_device_last_recovery_duration_seconds",
            "ublkd_recoveries_total", "ublkd_recovery_duration_seconds_bucket",
        ] {
            #expect(used.contains(metric), "the dashboard does not show \(metric)")
        }
    }
}
