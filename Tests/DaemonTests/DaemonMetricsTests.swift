@testable import Daemon
import DeviceModel
import Engine
import Testing

/// The exposition a scrape produces, read back sample by sample: `name{labels} value` lines keyed by everything
/// before the value.
private func samples(_ bytes: [UInt8]) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            continue
        }
        result[String(line[..<space])] = value
    }
    return result
}

private func device(_ id: UInt32, name: String = "db", state: RuntimeState.Kind = .live, reads: UInt64 = 0,
                    written: UInt64 = 0) -> DaemonMetrics.DeviceSample {
    DaemonMetrics.DeviceSample(
        id: id, name: name, target: "file", state: state, sizeBytes: 1 << 30,
        counters: state == .live ? IOCounters(reads: reads, writeBytes: written, inFlight: 3, ringEnters: 6) : nil)
}

@Suite("DaemonMetrics: the Prometheus exposition")
struct DaemonMetricsTests {
    @Test func deviceCountersAreTheEnginesTotalsAtEachScrape() {
        let metrics = DaemonMetrics(version: "9.9.9")
        let first = samples(metrics.render(devices: [device(4, reads: 10, written: 4096)], driverAvailable: true))
        let labels = #"id="4",name="db",target="file""#
        #expect(first["ublkd_device_reads_total{\(labels)}"] == 10)
        #expect(first["ublkd_device_written_bytes_total{\(labels)}"] == 4096)
        #expect(first["ublkd_device_in_flight_requests{\(labels)}"] == 3)
        #expect(first["ublkd_device_ring_enters_total{\(labels)}"] == 6)
        #expect(first["ublkd_device_size_bytes{\(labels)}"] == Double(1 << 30))
        #expect(first["ublkd_device_state{\(labels),state=\"live\"}"] == 1)
        #expect(first["ublkd_device_state{\(labels),state=\"failed\"}"] == 0)
        #expect(first["ublkd_driver_available"] == 1)
        #expect(first["ublkd_build_info{version=\"9.9.9\"}"] == 1)

        let second = samples(metrics.render(devices: [device(4, reads: 25)], driverAvailable: false))
        #expect(second["ublkd_device_reads_total{\(labels)}"] == 25, "a scrape sets, it does not add")
        #expect(second["ublkd_driver_available"] == 0)
    }

    @Test func recoveriesPerDeviceComeFromTheHistory() {
        let metrics = DaemonMetrics(version: "1")
        var sample = device(2)
        sample.recoveries = 3
        sample.lastRecoverySeconds = 0.75
        let scraped = samples(metrics.render(devices: [sample], driverAvailable: true))
        let labels = #"id="2",name="db",target="file""#
        #expect(scraped["ublkd_device_recoveries_total{\(labels)}"] == 3)
        #expect(scraped["ublkd_device_last_recovery_duration_seconds{\(labels)}"] == 0.75)
    }

    @Test func deletedDevicesLeaveTheExposition() {
        let metrics = DaemonMetrics(version: "1")
        _ = metrics.render(devices: [device(1), device(2, name: "logs")], driverAvailable: true)
        let text = String(decoding: metrics.render(devices: [device(2, name: "logs")], driverAvailable: true),
                          as: UTF8.self)
        #expect(!text.contains(#"id="1""#))
        #expect(text.contains(#"id="2",name="logs""#))
    }

    @Test func stoppedDeviceShowsItsStateAndZeroCounters() {
        let metrics = DaemonMetrics(version: "1")
        let scraped = samples(metrics.render(devices: [device(7, state: .stopped)], driverAvailable: true))
        let labels = #"id="7",name="db",target="file""#
        #expect(scraped["ublkd_device_state{\(labels),state=\"stopped\"}"] == 1)
        #expect(scraped["ublkd_device_reads_total{\(labels)}"] == 0)
    }

    @Test func labelValuesAreEscaped() {
        let metrics = DaemonMetrics(version: "1")
        let text = String(decoding: metrics.render(devices: [device(3, name: "a\"b\\c")], driverAvailable: true),
                          as: UTF8.self)
        #expect(text.contains(#"name="a\"b\\c""#))
    }

    @Test func requestsAndRecoveriesAreCountedWithHistograms() {
        let metrics = DaemonMetrics(version: "1")
        metrics.recordRequest(method: "GET", route: "/devices/{id}/stats", status: 200, duration: .milliseconds(2))
        metrics.recordRequest(method: "GET", route: "/devices/{id}/stats", status: 200, duration: .milliseconds(7))
        metrics.recordRecovery(kind: "crash_recovery", outcome: "ok", duration: .milliseconds(700))
        let scraped = samples(metrics.render(devices: [], driverAvailable: true))
        let route = #"method="GET",route="/devices/{id}/stats""#
        #expect(scraped["ublkd_http_requests_total{\(route),status=\"200\"}"] == 2)
        #expect(scraped["ublkd_http_request_duration_seconds_count{\(route)}"] == 2)
        #expect(scraped["ublkd_http_request_duration_seconds_bucket{\(route),le=\"0.005\"}"] == 1)
        #expect(scraped["ublkd_recoveries_total{kind=\"crash_recovery\",outcome=\"ok\"}"] == 1)
        let recovery = #"kind="crash_recovery",outcome="ok""#
        #expect(scraped["ublkd_recovery_duration_seconds_bucket{\(recovery),le=\"0.5\"}"] == 0)
        #expect(scraped["ublkd_recovery_duration_seconds_bucket{\(recovery),le=\"1.0\"}"] == 1)
    }
}
