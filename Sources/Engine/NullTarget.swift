import UblkABI
import URing

/// Completes every request at once without touching data: the engine's own overhead, measurable.
public final class NullTarget: Target {
    public init() {}

    public var ioDescription: String { "none" }
    public var hasVolatileCache: Bool { false }
    public var supportsZeroCopy: Bool { true }

    public func discardParams(logicalBlockSize: Int) -> DiscardParams? {
        DiscardParams(granularity: UInt32(logicalBlockSize), maxDiscardSectors: 1 << 21,
                      maxWriteZeroesSectors: 1 << 21, maxDiscardSegments: 1)
    }

    public func prepareCapacity(_ bytes: UInt64) {}
    public func makeHandler(queue: Int, depth: Int) -> Handler { Handler() }
    public func close() {}

    public struct Handler: QueueHandler {
        public var fixedFiles: [Int32] { [] }

        @inline(__always)
        public mutating func serve(_ request: Request, ring: borrowing Ring, userData: UInt64) -> Disposition {
            .success(request)
        }

        public mutating func complete(_ request: Request, result: Int32, ring: borrowing Ring,
                                      userData: UInt64) -> Disposition {
            .complete(result)
        }

        public mutating func release() {}
    }
}
