/// Per-second rates between two stats samples of one device, for `stats --watch`.
struct StatsRates: Equatable {
    var readIOPS: Double
    var writeIOPS: Double
    var readMiBPerSecond: Double
    var writeMiBPerSecond: Double
    /// A gauge, not a rate: what the later sample saw.
    var inFlight: Int64
    /// Errors that happened between the samples, as a count: errors are rare, and 0.2/s would read as nothing.
    var newErrors: UInt64
    var seconds: Double

    /// nil when the counters went backwards or restarted (the daemon restarted, or the device was stopped and
    /// started again): there is no meaningful delta, and the caller starts over from `current`.
    /// `elapsed` is the client's own clock, used when the server's uptime cannot measure the gap.
    init?(from previous: Stats, to current: Stats, elapsed: Double) {
        let before = previous.total, after = current.total
        guard previous.since == current.since, after.reads >= before.reads, after.writes >= before.writes,
              after.readBytes >= before.readBytes, after.writeBytes >= before.writeBytes, after.errors >= before.errors
        else { return nil }
        // The server's uptime is stamped when each sample was taken, so it leaves out network and scheduling jitter.
        let uptimeGap = current.uptimeSeconds - previous.uptimeSeconds
        let seconds = uptimeGap > 0 && previous.since != nil ? uptimeGap : elapsed
        guard seconds > 0 else { return nil }
        self.seconds = seconds
        readIOPS = Double(after.reads - before.reads) / seconds
        writeIOPS = Double(after.writes - before.writes) / seconds
        readMiBPerSecond = Double(after.readBytes - before.readBytes) / seconds / 1_048_576
        writeMiBPerSecond = Double(after.writeBytes - before.writeBytes) / seconds / 1_048_576
        inFlight = after.inFlight
        newErrors = after.errors - before.errors
    }
}
