import Foundation

/// `stats --watch`: one sample per interval, printed as rates against the sample before. Runs until the process
/// is interrupted; the default SIGINT action is the right way out, as nothing needs undoing.
struct StatsWatch {
    let api: APIClient
    let output: Output
    let id: UInt32
    let interval: Double
    /// Print each raw sample instead: rates are this tool's arithmetic, not the server's JSON.
    let json: Bool

    static let columns: [(String, Table.Alignment)] = [
        ("TIME", .left), ("READ IOPS", .right), ("WRITE IOPS", .right), ("READ MiB/s", .right),
        ("WRITE MiB/s", .right), ("IN FLIGHT", .right), ("ERRORS", .right), ("STATE", .left),
    ]

    func run() throws(CLIError) -> Never {
        var previous: (stats: Stats, at: ContinuousClock.Instant)?
        while true {
            let started = ContinuousClock.now
            let body = try api.call("GET", "/devices/\(id)/stats")
            let now = ContinuousClock.now
            if json {
                output.raw(body)
            } else {
                let stats = try api.decode(Stats.self, from: body)
                if previous == nil {
                    // Only once the device answered: an unknown id should print the error alone.
                    output.line("device \(id), every \(Duration.seconds(interval).formattedSeconds); Ctrl-C to stop")
                    output.line(Self.line(Self.columns.map(\.0)))
                }
                if let previous {
                    let elapsed = Self.seconds(previous.at.duration(to: now))
                    output.line(Self.row(from: previous.stats, to: stats, elapsed: elapsed))
                }
                previous = (stats, now)
            }
            // Sleep only what is left of the interval, so a slow answer does not make the sampling drift.
            let remaining = .seconds(interval) - started.duration(to: ContinuousClock.now)
            if remaining > .zero { Thread.sleep(forTimeInterval: Self.seconds(remaining)) }
        }
    }

    static func row(from previous: Stats, to current: Stats, elapsed: Double) -> String {
        let time = Format.localTime(Date(), format: "HH:mm:ss")
        guard let rates = StatsRates(from: previous, to: current, elapsed: elapsed) else {
            return "\(time)  counters restarted (\(current.state))"
        }
        return line([
            time, String(format: "%.0f", rates.readIOPS), String(format: "%.0f", rates.writeIOPS),
            String(format: "%.1f", rates.readMiBPerSecond), String(format: "%.1f", rates.writeMiBPerSecond),
            String(rates.inFlight), String(rates.newErrors), current.state,
        ])
    }

    /// Fixed widths: rows come one at a time, so the table cannot be measured in advance as `Table` does.
    static func line(_ cells: [String]) -> String {
        var text = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { text += "  " }
            let width = max(columns[index].0.count, 10)
            let pad = String(repeating: " ", count: max(width - cell.count, 0))
            let isLast = index == cells.count - 1
            text += columns[index].1 == .right ? pad + cell : (isLast ? cell : cell + pad)
        }
        return text
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
