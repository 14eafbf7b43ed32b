import CoreMetrics
import DeviceModel
import Engine
import Foundation
import HTTPAPI
import Prometheus

/// Everything `/metrics` shows.
///
/// Two kinds of series live here. Events the daemon sees happen are counted the moment they happen: recoveries in
/// a swift-prometheus registry, API requests in per-CPU tallies of their own (`RequestTallies`: every request
/// counts, and a shared registry lock costs more than the poll it counts). Device I/O is not counted here at all:
/// the queue threads already keep relaxed atomics for `/stats`, so a scrape writes those same numbers straight into
/// the exposition, device by device, without a registry in between. The I/O path never learns that a scrape
/// happened, and `/metrics` and `/stats` cannot disagree.
public final class DaemonMetrics: Sendable {
    /// What a scrape needs of one device: its identity and what the engine counted (nil when not served now).
    struct DeviceSample: Sendable {
        var id: UInt32
        var name: String
        var target: String
        var state: RuntimeState.Kind
        var sizeBytes: UInt64
        var counters: IOCounters?
        /// A network target's connections (nil for the others, and while not served).
        var connection: ConnectionStatus? = nil
        /// Recoveries in the device's stored history (crash recovery, recreate, manual), and how long the last took.
        var recoveries = 0
        var lastRecoverySeconds = 0.0
    }

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let driver: Prometheus.Gauge
    /// The API's request series, counted per CPU (see `RequestTallies`).
    let requests = RequestTallies(bounds: requestBuckets, shards: max(1, sysconf(Int32(_SC_NPROCESSORS_CONF))))

    /// API calls range from microseconds (/stats) to seconds (a create that formats nothing but waits on START_DEV
    /// under an emulated CPU).
    static let requestBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    public init(version: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Recoveries take from tens of milliseconds (a quiesced device) to tens of seconds (waiting out EBUSY).
        factory.durationHistogramBuckets["ublkd_recovery_duration_seconds"] = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
        driver = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "ublkd", metricName: "driver", unitName: "available",
                helpText: "1 when /dev/ublk-control answers; 0 means device operations fail with 503."))
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "ublkd", metricName: "build", unitName: "info",
                helpText: "Always 1; the version label says which ublkd answers."),
            labels: [("version", version)]
        ).set(to: 1.0)
    }

    // MARK: events, counted as they happen

    /// One API request, labelled by its route pattern (never the raw path: ids would make series without end).
    public func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        requests.record(method: Self.methodLabel(method), route: route, status: status, duration: duration)
    }

    /// The method as labelled: those HTTP defines, and "other" for any other token a client sends, so that made-up
    /// methods cannot make series without end (the route is "unmatched" for them anyway).
    static func methodLabel(_ method: String) -> String {
        knownMethods.contains(method) ? method : "other"
    }

    static let knownMethods = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS", "TRACE", "CONNECT"]

    /// One attempt to bring a device back (crash recovery, recreate, manual recover, start), ok or failed.
    public func recordRecovery(kind: String, outcome: String, duration: Duration) {
        CoreMetrics.Counter(
            label: "ublkd_recoveries_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "ublkd_recovery_duration_seconds", dimensions: [("kind", kind), ("outcome", outcome)],
            factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

    // MARK: scraping

    /// The exposition text: the device families from `devices`, then the registry's series.
    func render(devices: [DeviceSample], driverAvailable: Bool) -> [UInt8] {
        driver.set(to: driverAvailable ? 1.0 : 0.0)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4 * 1024 + devices.count * 2 * 1024)
        DeviceFamilies.write(devices, into: &buffer)
        registry.emit(into: &buffer)
        requests.write(into: &buffer)
        return buffer
    }
}
