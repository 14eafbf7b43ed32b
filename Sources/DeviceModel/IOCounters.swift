/// A device's or a queue's I/O counters at one moment: what the engine's queues count, what `/stats` shows per queue
/// and in total, and what `/metrics` exports.
public struct IOCounters: Codable, Sendable, Equatable {
    public var reads: UInt64 = 0
    public var writes: UInt64 = 0
    public var flushes: UInt64 = 0
    public var discards: UInt64 = 0
    public var writeZeroes: UInt64 = 0
    public var readBytes: UInt64 = 0
    public var writeBytes: UInt64 = 0
    public var errors: UInt64 = 0
    public var inFlight: Int64 = 0
    /// `io_uring_enter` calls of the queue loops: per request served, the syscalls an I/O costs.
    public var ringEnters: UInt64 = 0

    public init(reads: UInt64 = 0, writes: UInt64 = 0, flushes: UInt64 = 0, discards: UInt64 = 0,
                writeZeroes: UInt64 = 0, readBytes: UInt64 = 0, writeBytes: UInt64 = 0, errors: UInt64 = 0,
                inFlight: Int64 = 0, ringEnters: UInt64 = 0) {
        self.reads = reads
        self.writes = writes
        self.flushes = flushes
        self.discards = discards
        self.writeZeroes = writeZeroes
        self.readBytes = readBytes
        self.writeBytes = writeBytes
        self.errors = errors
        self.inFlight = inFlight
        self.ringEnters = ringEnters
    }

    /// Two sets of counters added up, e.g. a device's queues into its total.
    public static func + (lhs: IOCounters, rhs: IOCounters) -> IOCounters {
        IOCounters(
            reads: lhs.reads + rhs.reads, writes: lhs.writes + rhs.writes, flushes: lhs.flushes + rhs.flushes,
            discards: lhs.discards + rhs.discards, writeZeroes: lhs.writeZeroes + rhs.writeZeroes,
            readBytes: lhs.readBytes + rhs.readBytes, writeBytes: lhs.writeBytes + rhs.writeBytes,
            errors: lhs.errors + rhs.errors, inFlight: lhs.inFlight + rhs.inFlight,
            ringEnters: lhs.ringEnters + rhs.ringEnters)
    }
}
