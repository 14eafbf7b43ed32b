import Foundation
@testable import ublkctl
import Testing

@Suite("stats --watch turns successive counters into per-second rates")
struct StatsRatesTests {
    static func sample(uptime: Double, reads: UInt64, writes: UInt64, errors: UInt64 = 0, inFlight: Int64 = 0,
                       since: String? = "2026-11-26T01:00:00Z") -> Stats {
        let total = Counters(reads: reads, writes: writes, flushes: 0, discards: 0, writeZeroes: 0,
                             readBytes: reads * 4096, writeBytes: writes * 1_048_576, errors: errors,
                             inFlight: inFlight)
        return Stats(id: 3, state: "live", since: since, uptimeSeconds: uptime, total: total, queues: [total])
    }

    @Test func ratesUseTheServersClock() throws {
        let rates = try #require(StatsRates(
            from: Self.sample(uptime: 10, reads: 1000, writes: 0),
            to: Self.sample(uptime: 12, reads: 5000, writes: 20, errors: 3, inFlight: 7), elapsed: 5))
        #expect(rates.seconds == 2)
        #expect(rates.readIOPS == 2000)
        #expect(rates.writeIOPS == 10)
        #expect(rates.readMiBPerSecond == 7.8125)
        #expect(rates.writeMiBPerSecond == 10)
        #expect(rates.inFlight == 7)
        #expect(rates.newErrors == 3)
    }

    @Test func fallsBackToTheClientsClockWithoutAnUptime() throws {
        let rates = try #require(StatsRates(
            from: Self.sample(uptime: 0, reads: 0, writes: 0, since: nil),
            to: Self.sample(uptime: 0, reads: 100, writes: 0, since: nil), elapsed: 0.5))
        #expect(rates.readIOPS == 200)
    }

    @Test func restartedCountersGiveNoRates() {
        #expect(StatsRates(from: Self.sample(uptime: 50, reads: 9000, writes: 0),
                           to: Self.sample(uptime: 1, reads: 10, writes: 0), elapsed: 1) == nil)
        #expect(StatsRates(from: Self.sample(uptime: 50, reads: 10, writes: 0),
                           to: Self.sample(uptime: 51, reads: 20, writes: 0, since: "2026-11-26T02:00:00Z"),
                           elapsed: 1) == nil)
    }

    @Test func decodesTheFlatTotalsOfTheAPI() throws {
        let json = """
            {"id": 3, "state": "live", "since": "2026-11-26T01:00:00Z", "uptime_seconds": 12.5,
             "reads": 4, "writes": 2, "flushes": 1, "discards": 0, "write_zeroes": 0, "read_bytes": 16384,
             "write_bytes": 8192, "errors": 0, "in_flight": 1,
             "queues": [{"reads": 4, "writes": 2, "flushes": 1, "discards": 0, "write_zeroes": 0,
                         "read_bytes": 16384, "write_bytes": 8192, "errors": 0, "in_flight": 1}]}
            """
        let stats = try JSONDecoder().decode(Stats.self, from: Data(json.utf8))
        #expect(stats.total.reads == 4 && stats.total.readBytes == 16384 && stats.total.inFlight == 1)
        #expect(stats.queues.count == 1 && stats.queues[0] == stats.total)
    }
}
