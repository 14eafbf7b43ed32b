import DeviceModel
import Engine

/// The per-device families of `/metrics`, written straight from a scrape's samples in the Prometheus text format
/// (0.0.4): each family's HELP and TYPE once, then one line per device (labels `id`, `name`, `target`). Counters
/// restart from zero when the device's queues do (a stop and start, a daemon restart), which Prometheus reads as
/// the counter reset it is.
enum DeviceFamilies {
    struct Family: Sendable {
        let name: String
        let type: String
        let help: String
        let source: Source
        /// Network targets only.
        var nbdOnly = false
        /// The value counts thousandths, written with three decimals (seconds to the millisecond).
        var thousandths = false
    }

    /// Where a family's value comes from in a device's sample. A switch, not a closure per family: a scrape reads
    /// every family of every device, and calling closures kept in an array retains and releases each one.
    enum Source: Sendable {
        case reads, writes, flushes, discards, writeZeroes, readBytes, writeBytes, errors, ringEnters, inFlight
        case size, recoveries, lastRecoveryMilliseconds, connected, disconnects, reconnects

        func value(of device: borrowing DaemonMetrics.DeviceSample) -> UInt64 {
            let counters = device.counters ?? IOCounters()
            switch self {
            case .reads: return counters.reads
            case .writes: return counters.writes
            case .flushes: return counters.flushes
            case .discards: return counters.discards
            case .writeZeroes: return counters.writeZeroes
            case .readBytes: return counters.readBytes
            case .writeBytes: return counters.writeBytes
            case .errors: return counters.errors
            case .ringEnters: return counters.ringEnters
            case .inFlight: return UInt64(max(0, counters.inFlight))
            case .size: return device.sizeBytes
            case .recoveries: return UInt64(max(0, device.recoveries))
            case .lastRecoveryMilliseconds: return UInt64(max(0, (device.lastRecoverySeconds * 1000).rounded()))
            case .connected: return device.connection?.state == .connected ? 1 : 0
            case .disconnects: return device.connection?.disconnects ?? 0
            case .reconnects: return device.connection?.reconnects ?? 0
            }
        }
    }

    private static func counter(_ name: String, _ help: String, _ source: Source) -> Family {
        Family(name: "ublkd_device_" + name, type: "counter", help: help, source: source)
    }

    static let families: [Family] = [
        counter("reads_total", "Read requests completed since the device's queues started.", .reads),
        counter("writes_total", "Write requests completed since the device's queues started.", .writes),
        counter("flushes_total", "Flush requests completed since the device's queues started.", .flushes),
        counter("discards_total", "Discard requests completed since the device's queues started.", .discards),
        counter("write_zeroes_total", "Write-zeroes requests completed since the device's queues started.",
                .writeZeroes),
        counter("read_bytes_total", "Bytes read since the device's queues started.", .readBytes),
        counter("written_bytes_total", "Bytes written since the device's queues started.", .writeBytes),
        counter("errors_total", "Requests completed with an error since the device's queues started.", .errors),
        counter("ring_enters_total",
                "io_uring_enter calls of the device's queue threads: divided by requests, the syscalls per I/O.",
                .ringEnters),
        Family(name: "ublkd_device_in_flight_requests", type: "gauge",
               help: "Requests the daemon holds now (taken from the driver, not done).", source: .inFlight),
        Family(name: "ublkd_device_size_bytes", type: "gauge", help: "Size of the device as defined.", source: .size),
        Family(name: "ublkd_device_recoveries_total", type: "counter",
               help: "Recoveries in the device's history: crash recoveries, recreates, manual ones.",
               source: .recoveries),
        Family(name: "ublkd_device_last_recovery_duration_seconds", type: "gauge",
               help: "How long the device's last recovery took.", source: .lastRecoveryMilliseconds, thousandths: true),
        Family(name: "ublkd_device_connected", type: "gauge",
               help: "1 while every connection to the NBD server is up, 0 otherwise.", source: .connected,
               nbdOnly: true),
        Family(name: "ublkd_device_disconnects_total", type: "counter",
               help: "NBD connections lost since the device's queues started.", source: .disconnects, nbdOnly: true),
        Family(name: "ublkd_device_reconnects_total", type: "counter",
               help: "NBD connections made again since the device's queues started.", source: .reconnects,
               nbdOnly: true),
    ]

    static let stateHelp = "1 for the state the device is in, 0 for the others."

    /// Each family's name, HELP and TYPE lines as bytes, in `families` order: the loops below only copy bytes.
    private static let names: [[UInt8]] = families.map { Array($0.name.utf8) }
    private static let headers: [[UInt8]] = families.map { family in
        var bytes: [UInt8] = []
        PrometheusText.header(family.name, family.type, family.help, into: &bytes)
        return bytes
    }
    private static let nbdOnly: [Bool] = families.map(\.nbdOnly)
    private static let thousandths: [Bool] = families.map(\.thousandths)
    private static let sources: [Source] = families.map(\.source)

    static func write(_ devices: [DaemonMetrics.DeviceSample], into buffer: inout [UInt8]) {
        guard !devices.isEmpty else { return }
        // `{id="4",name="db",target="file"`, once per device: every family repeats it. One array for all, and the
        // values in one array too, so the loops below copy bytes without touching reference counts.
        var labels: [UInt8] = []
        var labelRanges: [Range<Int>] = []
        for device in devices {
            let start = labels.count
            labels.append(contentsOf: #"{id=""#.utf8)
            labels.appendDecimal(device.id)
            labels.append(contentsOf: #"",name=""#.utf8)
            PrometheusText.appendLabelValue(device.name, to: &labels)
            labels.append(contentsOf: #"",target=""#.utf8)
            PrometheusText.appendLabelValue(device.target, to: &labels)
            labels.append(UInt8(ascii: "\""))
            labelRanges.append(start..<labels.count)
        }
        var values: [UInt64] = []
        values.reserveCapacity(devices.count * families.count)
        for device in devices {
            for source in sources { values.append(source.value(of: device)) }
        }
        let nbd = devices.map { $0.target == TargetKind.nbd.rawValue }
        labels.withUnsafeBufferPointer { labelBytes in
            for column in families.indices {
                let onlyNBD = nbdOnly[column]
                if onlyNBD && !nbd.contains(true) { continue }
                buffer.append(contentsOf: headers[column])
                let inThousandths = thousandths[column]
                names[column].withUnsafeBufferPointer { name in
                    for row in devices.indices where !onlyNBD || nbd[row] {
                        let label = UnsafeBufferPointer(rebasing: labelBytes[labelRanges[row]])
                        let value = values[row * families.count + column]
                        // One line in one append: name, labels, value (seconds: whole, point, three decimals).
                        // SAFETY: the bound counts name and labels, "} ", two integers' worst case, the point,
                        // the three decimals and the line feed.
                        buffer.appendInPlace(maxBytes: name.count + label.count + 2 * TextBytes.maxDecimalBytes + 8) {
                            line in
                            var at = TextBytes.copy(name, to: line)
                            at += TextBytes.copy(label, to: line + at)
                            line[at] = UInt8(ascii: "}")
                            line[at + 1] = UInt8(ascii: " ")
                            at += 2
                            if inThousandths {
                                at += TextBytes.decimal(value / 1000, at: line + at)
                                line[at] = UInt8(ascii: ".")
                                let fraction = value % 1000
                                line[at + 1] = UInt8(ascii: "0") + UInt8(fraction / 100)
                                line[at + 2] = UInt8(ascii: "0") + UInt8(fraction / 10 % 10)
                                line[at + 3] = UInt8(ascii: "0") + UInt8(fraction % 10)
                                at += 4
                            } else {
                                at += TextBytes.decimal(value, at: line + at)
                            }
                            line[at] = UInt8(ascii: "\n")
                            return at + 1
                        }
                    }
                }
            }
        }
        PrometheusText.header("ublkd_device_state", "gauge", stateHelp, into: &buffer)
        let shown = devices.map(\.state)
        let kinds = RuntimeState.Kind.allCases, suffixes = stateLines.suffixes
        labels.withUnsafeBufferPointer { labelBytes in
            stateLines.bytes.withUnsafeBufferPointer { lines in
                let prefix = UnsafeBufferPointer(rebasing: lines[stateLines.name])
                for row in devices.indices {
                    let label = UnsafeBufferPointer(rebasing: labelBytes[labelRanges[row]])
                    for (kind, range) in zip(kinds, suffixes) {
                        let suffix = UnsafeBufferPointer(rebasing: lines[range])
                        // SAFETY: the line's two parts around the labels, the 0 or 1 and the line feed.
                        buffer.appendInPlace(maxBytes: prefix.count + label.count + suffix.count + 2) { target in
                            var at = TextBytes.copy(prefix, to: target)
                            at += TextBytes.copy(label, to: target + at)
                            at += TextBytes.copy(suffix, to: target + at)
                            target[at] = UInt8(ascii: kind == shown[row] ? "1" : "0")
                            target[at + 1] = UInt8(ascii: "\n")
                            return at + 2
                        }
                    }
                }
            }
        }
    }

    /// The pieces of the `ublkd_device_state` lines, in one array so that the loop above copies from it without
    /// retaining an array per line: the family's name, then for every state a device can be shown in (one line per
    /// state, so that a dashboard can count by state) `,state="live"} ` to follow the device's labels.
    private struct StateLines {
        let bytes: [UInt8]
        let name: Range<Int>
        /// In `RuntimeState.Kind.allCases` order.
        let suffixes: [Range<Int>]

        init() {
            var bytes = Array("ublkd_device_state".utf8)
            name = 0..<bytes.count
            var suffixes: [Range<Int>] = []
            for kind in RuntimeState.Kind.allCases {
                let start = bytes.count
                bytes += Array(#",state=""#.utf8) + Array(kind.name.utf8) + Array("\"} ".utf8)
                suffixes.append(start..<bytes.count)
            }
            self.bytes = bytes
            self.suffixes = suffixes
        }
    }

    private static let stateLines = StateLines()
}
