import CLinux
import Synchronization

/// The API's own series, `ublkd_http_requests_total` (by method, route pattern and status) and
/// `ublkd_http_request_duration_seconds` (by method and route pattern), kept in one shard per CPU.
///
/// Two event loops answering polls side by side would otherwise write the same lock and the same counters on every
/// request, and under load that moving of cache lines between CPUs cost more than the rest of the metrics did. A
/// request writes only its own CPU's shard (a thread moved between CPUs meanwhile only meets that shard's lock); a
/// scrape sums the shards.
final class RequestTallies: Sendable {
    /// One route as the histogram labels it.
    struct Series: Hashable, Comparable {
        var method: String
        var route: String

        static func < (lhs: Series, rhs: Series) -> Bool { (lhs.method, lhs.route) < (rhs.method, rhs.route) }
    }

    /// What one shard counted for a series.
    struct Tally {
        /// Requests by status, in the order first seen (a route answers with a few statuses at most).
        var statuses: [(status: Int, count: UInt64)] = []
        /// Requests that took at most bound i and more than bound i - 1; the last one counts the slower.
        var buckets: [UInt64]
        var nanoseconds: Int64 = 0

        init(buckets: Int) { self.buckets = Array(repeating: 0, count: buckets + 1) }

        mutating func add(status: Int, bucket: Int, nanoseconds: Int64) {
            count(status, 1)
            buckets[bucket] += 1
            self.nanoseconds &+= nanoseconds
        }

        mutating func merge(_ other: Tally) {
            for (status, count) in other.statuses { self.count(status, count) }
            for index in buckets.indices { buckets[index] += other.buckets[index] }
            nanoseconds &+= other.nanoseconds
        }

        private mutating func count(_ status: Int, _ requests: UInt64) {
            if let index = statuses.firstIndex(where: { $0.status == status }) {
                statuses[index].count += requests
            } else {
                statuses.append((status, requests))
            }
        }
    }

    /// A shard's tallies, with room after them so that two shards never share a cache line.
    final class Shard: Sendable {
        let tallies = Mutex<[Series: Tally]>([:])
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// The histogram's upper bounds, ascending.
    private let boundNanoseconds: [Int64]
    /// Each bucket's `le` label: the bound in seconds, then "+Inf".
    private let bucketLabels: [String]
    private let shards: [Shard]

    init(bounds: [Duration], shards: Int) {
        boundNanoseconds = bounds.map(\.nanoseconds)
        bucketLabels = bounds.map { String(Double($0.nanoseconds) / 1e9) } + ["+Inf"]
        self.shards = (0..<max(1, shards)).map { _ in Shard() }
    }

    func record(method: String, route: String, status: Int, duration: Duration) {
        let nanoseconds = duration.nanoseconds
        let bucket = boundNanoseconds.firstIndex { nanoseconds <= $0 } ?? boundNanoseconds.count
        let cpu = Int(sched_getcpu())
        let shard = shards[cpu >= 0 ? cpu % shards.count : 0]
        let buckets = boundNanoseconds.count
        shard.tallies.withLock { tallies in
            tallies[Series(method: method, route: route), default: Tally(buckets: buckets)]
                .add(status: status, bucket: bucket, nanoseconds: nanoseconds)
        }
    }

    /// Every shard's tallies summed, by series.
    func summed() -> [Series: Tally] {
        var total: [Series: Tally] = [:]
        let buckets = boundNanoseconds.count
        for shard in shards {
            // Summed under the lock, not copied out: a copy would make the shard's next request copy its whole
            // table (copy on write).
            shard.tallies.withLock { tallies in
                for (series, tally) in tallies { total[series, default: Tally(buckets: buckets)].merge(tally) }
            }
        }
        return total
    }

    static let requestsName = "ublkd_http_requests_total"
    static let requestsHelp = "API requests answered, by method, route pattern and status."
    static let durationName = "ublkd_http_request_duration_seconds"
    static let durationHelp = "Time the daemon took to answer an API request, by method and route pattern."

    /// Both families in the Prometheus text format: the counter, then the histogram (cumulative buckets, `le` in
    /// seconds, then `_sum` and `_count`).
    func write(into buffer: inout [UInt8]) {
        let series = summed().sorted { $0.key < $1.key }
        PrometheusText.header(Self.requestsName, "counter", Self.requestsHelp, into: &buffer)
        for (key, tally) in series {
            for (status, count) in tally.statuses.sorted(by: { $0.status < $1.status }) {
                buffer.append(contentsOf: Self.requestsName.utf8)
                labels(key, into: &buffer)
                buffer.append(contentsOf: #",status=""#.utf8)
                buffer.appendDecimal(status)
                buffer.append(contentsOf: "\"} ".utf8)
                buffer.appendDecimal(count)
                buffer.append(UInt8(ascii: "\n"))
            }
        }
        PrometheusText.header(Self.durationName, "histogram", Self.durationHelp, into: &buffer)
        for (key, tally) in series {
            var cumulative: UInt64 = 0
            for (limit, count) in zip(bucketLabels, tally.buckets) {
                cumulative += count
                buffer.append(contentsOf: (Self.durationName + "_bucket").utf8)
                labels(key, into: &buffer)
                buffer.append(contentsOf: #",le=""#.utf8)
                buffer.append(contentsOf: limit.utf8)
                buffer.append(contentsOf: "\"} ".utf8)
                buffer.appendDecimal(cumulative)
                buffer.append(UInt8(ascii: "\n"))
            }
            buffer.append(contentsOf: (Self.durationName + "_sum").utf8)
            labels(key, into: &buffer)
            buffer.append(contentsOf: "} \(Double(tally.nanoseconds) / 1e9)\n".utf8)
            buffer.append(contentsOf: (Self.durationName + "_count").utf8)
            labels(key, into: &buffer)
            buffer.append(contentsOf: "} ".utf8)
            buffer.appendDecimal(cumulative)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// `{method="GET",route="/devices/{id}/stats"`, left open for the family's own labels.
    private func labels(_ series: Series, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: #"{method=""#.utf8)
        PrometheusText.appendLabelValue(series.method, to: &buffer)
        buffer.append(contentsOf: #"",route=""#.utf8)
        PrometheusText.appendLabelValue(series.route, to: &buffer)
        buffer.append(UInt8(ascii: "\""))
    }
}
