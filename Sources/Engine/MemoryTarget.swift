import Glibc
import SystemPackage
import UblkABI
import URing

/// A RAM disk: one anonymous mapping as large as the device, shared by all queues. Pages are allocated on first
/// write, and DISCARD gives them back.
public final class MemoryTarget: Target {
    // SAFETY: `region` is mapped in init and unmapped in close(), which the engine calls only after every queue
    // thread has exited; queues read and write disjoint or block-layer-ordered ranges of it.
    nonisolated(unsafe) let region: UnsafeMutableRawPointer
    let size: Int

    public init(sizeBytes: UInt64) throws(EngineError) {
        let mapped = mmap(nil, Int(sizeBytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                          -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw .system("mmap of \(sizeBytes) bytes for the memory target", errno: Errno(rawValue: errno))
        }
        region = mapped
        size = Int(sizeBytes)
    }

    public var ioDescription: String { "memory" }
    public var hasVolatileCache: Bool { false }
    /// A RAM disk copies by nature: it needs the data in its own memory.
    public var supportsZeroCopy: Bool { false }

    public func discardParams(logicalBlockSize: Int) -> DiscardParams? {
        DiscardParams(granularity: 4096, maxDiscardSectors: 1 << 21, maxWriteZeroesSectors: 1 << 21,
                      maxDiscardSegments: 1)
    }

    /// The mapping is sized once; moving it under running queues is not worth the risk for a RAM disk.
    public func prepareCapacity(_ bytes: UInt64) throws(EngineError) {
        if bytes > UInt64(size) { throw .invalidConfiguration("a memory device cannot grow; create a larger one") }
    }

    public func makeHandler(queue: Int, depth: Int) -> Handler { Handler(region: region, size: size) }

    public func close() { munmap(region, size) }

    public struct Handler: QueueHandler {
        let region: UnsafeMutableRawPointer
        let size: Int

        public var fixedFiles: [Int32] { [] }

        public mutating func serve(_ request: Request, ring: borrowing Ring, userData: UInt64) -> Disposition {
            let descriptor = request.descriptor
            let offset = Int(descriptor.byteOffset)
            let count = descriptor.byteCount
            guard offset >= 0, offset + count <= size, let buffer = request.buffer else { return .complete(-EIO) }
            switch descriptor.operation {
            case .read:
                buffer.copyMemory(from: region + offset, byteCount: count)
            case .write:
                (region + offset).copyMemory(from: buffer, byteCount: count)
            case .flush:
                break
            case .discard, .writeZeroes:
                zero(offset: offset, count: count)
            default:
                return .complete(-EOPNOTSUPP)
            }
            return .success(request)
        }

        /// Whole pages go back to the kernel (they read as zero afterwards); partial pages are cleared.
        func zero(offset: Int, count: Int) {
            let page = 4096
            let firstWhole = (offset + page - 1) / page * page
            let endWhole = (offset + count) / page * page
            guard firstWhole < endWhole else {
                memset(region + offset, 0, count)
                return
            }
            memset(region + offset, 0, firstWhole - offset)
            madvise(region + firstWhole, endWhole - firstWhole, MADV_DONTNEED)
            memset(region + endWhole, 0, offset + count - endWhole)
        }

        public mutating func complete(_ request: Request, result: Int32, ring: borrowing Ring,
                                      userData: UInt64) -> Disposition {
            .complete(result)
        }

        public mutating func release() {}
    }
}
