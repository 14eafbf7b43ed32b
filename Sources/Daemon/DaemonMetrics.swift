import CoreMetrics
import DeviceModel
import Engine
import Foundation
import HTTPAPI
import Prometheus
import Synchronization

/// Everything `/metrics` shows, kept in one Prometheus registry.
///
/// Two kinds of series live here. Events the daemon sees happen (HTTP requests, recoveries) are counted the
/// moment they happen through swift-metrics, backed by swift-prometheus. Device I/O is not counted here at all:
/// the queue threads already keep relaxed atomics for `/stats`, so a scrape copies those same numbers into the
/// registry. The I/O path never learns that a scrape happened, and `/metrics` and `/stats` cannot disagree.
public final class DaemonMetrics: Sendable {
    /// What a scrape needs of one device: its identity and what the engine counted (nil when not served now).
    struct DeviceSample: Sendable {
        var id: UInt32
        var name: String
        var target: String
        var state: String
        var sizeBytes: UInt64
        var counters: QueueStatistics?
        /// A network target's connections (nil for the others, and while not served).
        var connection: ConnectionStatus? = nil
        /// Recoveries in the device's stored history (crash recovery, recreate, manual), and how long the last took.
        var recoveries = 0
        var lastRecoverySeconds = 0.0
    }

    /// Every state a device can be shown in; each gets its own 0/1 series so a dashboard can count by state.
    public static let deviceStates = ["creating", "live", "quiesced", "recovering", "stopped", "failed"]

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// Serializes scrapes: a scrape rewrites the device series before emitting them, and two at once would
    /// interleave. The lock is the API's alone; queue threads never take it.
    private let scrape = Mutex<[UInt32: DeviceSeries]>([:])
    private let driver: Prometheus.Gauge

    public init(version: String) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Recoveries take from tens of milliseconds (a quiesced device) to tens of seconds (waiting out EBUSY).
        factory.durationHistogramBuckets["ublkd_recovery_duration_seconds"] = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        // API calls range from microseconds (/stats) to seconds (a create that formats nothing but waits on
        // START_DEV under an emulated CPU).
        factory.durationHistogramBuckets["ublkd_http_request_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(5),
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
        CoreMetrics.Counter(
            label: "ublkd_http_requests_total",
            dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "ublkd_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
            factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

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

    /// The exposition text: device series refreshed from `devices`, then the whole registry.
    func render(devices: [DeviceSample], driverAvailable: Bool) -> [UInt8] {
        scrape.withLock { series in
            let present = Set(devices.map(\.id))
            for (id, gone) in series where !present.contains(id) {
                gone.unregister(from: registry)
                series[id] = nil
            }
            for device in devices {
                if let existing = series[device.id], existing.identity == DeviceSeries.identity(of: device) {
                    existing.update(device)
                } else {
                    series[device.id]?.unregister(from: registry)
                    let made = DeviceSeries(device, registry: registry)
                    made.update(device)
                    series[device.id] = made
                }
            }
            driver.set(to: driverAvailable ? 1.0 : 0.0)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024 + devices.count * 4 * 1024)
            registry.emit(into: &buffer)
            return buffer
        }
    }
}

/// The series of one device. Counters are set to the engine's totals at each scrape: they restart from zero only
/// when the device's queues do (a stop and start in this process, or a daemon restart), which Prometheus reads as
/// the counter reset it is.
final class DeviceSeries: Sendable {
    let identity: [String]
    let reads, writes, flushes, discards, writeZeroes, readBytes, writtenBytes, errors, ringEnters: Prometheus.Counter
    let inFlight, size, lastRecovery: Prometheus.Gauge
    /// From the stored history, so it survives daemon restarts (unlike the I/O counters).
    let recoveries: Prometheus.Counter
    let states: [(String, Prometheus.Gauge)]
    /// Network targets only: whether the connections are up, and how often they went and came back.
    let connection: (connected: Prometheus.Gauge, disconnects: Prometheus.Counter, reconnects: Prometheus.Counter)?

    static func identity(of device: DaemonMetrics.DeviceSample) -> [String] {
        [String(device.id), device.name, device.target]
    }

    init(_ device: DaemonMetrics.DeviceSample, registry: PrometheusCollectorRegistry) {
        identity = Self.identity(of: device)
        let labels = [("id", identity[0]), ("name", identity[1]), ("target", identity[2])]
        func counter(_ name: String, _ unit: String, _ help: String) -> Prometheus.Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "ublkd", subsystem: "device", metricName: name, unitName: unit, helpText: help),
                labels: labels)
        }
        func gauge(_ name: String, _ unit: String, _ help: String, _ extra: [(String, String)] = []) -> Prometheus.Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "ublkd", subsystem: "device", metricName: name, unitName: unit, helpText: help),
                labels: labels + extra)
        }
        reads = counter("reads", "total", "Read requests completed since the device's queues started.")
        writes = counter("writes", "total", "Write requests completed since the device's queues started.")
        flushes = counter("flushes", "total", "Flush requests completed since the device's queues started.")
        discards = counter("discards", "total", "Discard requests completed since the device's queues started.")
        writeZeroes = counter(
            "write_zeroes", "total", "Write-zeroes requests completed since the device's queues started.")
        readBytes = counter("read", "bytes_total", "Bytes read since the device's queues started.")
        writtenBytes = counter("written", "bytes_total", "Bytes written since the device's queues started.")
        errors = counter("errors", "total", "Requests completed with an error since the device's queues started.")
        ringEnters = counter(
            "ring_enters", "total",
            "io_uring_enter calls of the device's queue threads: divided by requests, the syscalls per I/O.")
        inFlight = gauge("in_flight", "requests", "Requests the daemon holds now (taken from the driver, not done).")
        size = gauge("size", "bytes", "Size of the device as defined.")
        recoveries = counter(
            "recoveries", "total", "Recoveries in the device's history: crash recoveries, recreates, manual ones.")
        lastRecovery = gauge("last_recovery_duration", "seconds", "How long the device's last recovery took.")
        states = DaemonMetrics.deviceStates.map { state in
            (state, gauge("state", "", "1 for the state the device is in, 0 for the others.", [("state", state)]))
        }
        connection = device.target != TargetKind.nbd.rawValue ? nil : (
            connected: gauge("connected", "", "1 while every connection to the NBD server is up, 0 otherwise."),
            disconnects: counter("disconnects", "total", "NBD connections lost since the device's queues started."),
            reconnects: counter("reconnects", "total", "NBD connections made again since the device's queues started."))
    }

    func update(_ device: DaemonMetrics.DeviceSample) {
        let counters = device.counters ?? QueueStatistics()
        for (counter, value) in [
            (reads, counters.reads), (writes, counters.writes), (flushes, counters.flushes),
            (discards, counters.discards), (writeZeroes, counters.writeZeroes), (readBytes, counters.readBytes),
            (writtenBytes, counters.writtenBytes), (errors, counters.errors), (ringEnters, counters.ringEnters),
            (recoveries, UInt64(max(device.recoveries, 0))),
        ] {
            counter.reset()
            counter.increment(by: Int64(clamping: value))
        }
        inFlight.set(to: Double(counters.inFlight))
        size.set(to: Double(device.sizeBytes))
        lastRecovery.set(to: device.lastRecoverySeconds)
        for (state, gauge) in states { gauge.set(to: state == device.state ? 1.0 : 0.0) }
        if let connection {
            let status = device.connection
            connection.connected.set(to: status?.state == .connected ? 1.0 : 0.0)
            for (counter, value) in [(connection.disconnects, status?.disconnects ?? 0),
                                     (connection.reconnects, status?.reconnects ?? 0)] {
                counter.reset()
                counter.increment(by: Int64(clamping: value))
            }
        }
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        for counter in [reads, writes, flushes, discards, writeZeroes, readBytes, writtenBytes, errors, ringEnters,
                        recoveries] {
            registry.unregisterCounter(counter)
        }
        for gauge in [inFlight, size, lastRecovery] + states.map(\.1) { registry.unregisterGauge(gauge) }
        if let connection {
            registry.unregisterGauge(connection.connected)
            registry.unregisterCounter(connection.disconnects)
            registry.unregisterCounter(connection.reconnects)
        }
    }
}

