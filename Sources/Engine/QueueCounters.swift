import DeviceModel
import Synchronization

/// Counters of one queue. Only its queue thread writes them (`bump`: relaxed loads and stores, no lock, no fence,
/// no locked instruction on the I/O path); any thread may read them at any time.
public final class QueueCounters: Sendable {
    public let reads = Atomic<UInt64>(0)
    public let writes = Atomic<UInt64>(0)
    public let flushes = Atomic<UInt64>(0)
    public let discards = Atomic<UInt64>(0)
    public let writeZeroes = Atomic<UInt64>(0)
    public let readBytes = Atomic<UInt64>(0)
    public let writeBytes = Atomic<UInt64>(0)
    public let errors = Atomic<UInt64>(0)
    public let inFlight = Atomic<Int64>(0)
    /// Calls into the kernel (`io_uring_enter`) by the request loop: divided by the requests served, the syscalls
    /// each I/O costs, which batching drives below one.
    public let ringEnters = Atomic<UInt64>(0)

    public init() {}

    public func snapshot() -> IOCounters {
        IOCounters(
            reads: reads.load(ordering: .relaxed), writes: writes.load(ordering: .relaxed),
            flushes: flushes.load(ordering: .relaxed), discards: discards.load(ordering: .relaxed),
            writeZeroes: writeZeroes.load(ordering: .relaxed), readBytes: readBytes.load(ordering: .relaxed),
            writeBytes: writeBytes.load(ordering: .relaxed), errors: errors.load(ordering: .relaxed),
            inFlight: max(0, inFlight.load(ordering: .relaxed)), ringEnters: ringEnters.load(ordering: .relaxed))
    }
}

extension Atomic where Value == UInt64 {
    /// Adds `amount` as the counter's only writer: a relaxed load and store, which readers see whole, without the
    /// locked read-modify-write of `add` on every request.
    @inline(__always)
    func bump(_ amount: UInt64 = 1) { store(load(ordering: .relaxed) &+ amount, ordering: .relaxed) }
}

extension Atomic where Value == Int64 {
    /// Changes the gauge by `amount` as its only writer (see the `UInt64` `bump`).
    @inline(__always)
    func bump(_ amount: Int64) { store(load(ordering: .relaxed) &+ amount, ordering: .relaxed) }
}
