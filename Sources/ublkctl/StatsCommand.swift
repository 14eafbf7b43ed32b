import ArgumentParser
import Foundation

struct StatsCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "I/O counters of a device, or live rates with --watch.",
        discussion: """
            Counters run from when this daemon process attached the device, so a daemon restart starts them at 0.
            --watch prints one line per interval until interrupted (Ctrl-C): read/write IOPS and MiB/s from the \
            counter deltas, requests in flight, and errors new in that interval. With --json, --watch prints each \
            raw sample instead.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id.") var id: UInt32
    @Flag(help: "Keep sampling and print rates.") var watch = false
    @Option(help: "Seconds between samples with --watch (default 1).") var interval: Double?

    func validate() throws {
        guard let interval else { return }
        guard watch else { throw ValidationError("--interval only applies with --watch") }
        guard interval > 0, interval.isFinite else { throw ValidationError("--interval must be a positive number") }
    }

    func run(with api: APIClient, output: Output) throws(CLIError) {
        if watch {
            try StatsWatch(api: api, output: output, id: id, interval: interval ?? 1, json: connection.json).run()
        }
        let (stats, body) = try api.get(Stats.self, "/devices/\(id)/stats")
        if connection.json { return output.raw(body) }
        var heading = "device \(stats.id): \(stats.state)"
        if let since = stats.since {
            heading += ", counting since \(Format.timestamp(since)) (\(Format.seconds(stats.uptimeSeconds)))"
        }
        output.line(heading)
        var table = Table([
            ("QUEUE", .left), ("READS", .right), ("WRITES", .right), ("READ", .right), ("WRITTEN", .right),
            ("FLUSHES", .right), ("DISCARDS", .right), ("WRITE-ZEROES", .right), ("ERRORS", .right),
            ("IN-FLIGHT", .right), ("RING-ENTERS", .right),
        ])
        table.append(Self.row("total", stats.total))
        for (index, queue) in stats.queues.enumerated() { table.append(Self.row(String(index), queue)) }
        table.render().forEach(output.line)
    }

    static func row(_ label: String, _ counters: Counters) -> [String] {
        [
            label, String(counters.reads), String(counters.writes), Format.bytes(counters.readBytes),
            Format.bytes(counters.writeBytes), String(counters.flushes), String(counters.discards),
            String(counters.writeZeroes), String(counters.errors), String(counters.inFlight),
            counters.ringEnters.map { String($0) } ?? "-",
        ]
    }
}
