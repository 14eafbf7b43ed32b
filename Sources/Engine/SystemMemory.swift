import Glibc
import SystemPackage
import UblkABI

// SAFETY: the raw memory of the engine lives here. Each mapping is created and destroyed by one owner (a queue
// thread or a target), with the same length both times; nothing else frees it.

extension UnsafeMutableRawPointer {
    /// Page-aligned, zero-filled anonymous memory, or nil. Pages are only backed once touched.
    static func alignedPages(byteCount: Int) -> UnsafeMutableRawPointer? {
        let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { return nil }
        return mapped
    }

    func deallocatePages(byteCount: Int) {
        munmap(self, byteCount)
    }
}

/// The read-only window of one queue's I/O descriptors in `/dev/ublkcN`.
struct DescriptorWindow {
    let base: UnsafeRawPointer
    let length: Int

    init(charDevice: Int32, queue: Int, depth: Int) throws(EngineError) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = DescriptorMapping.length(depth: depth, pageSize: pageSize)
        let offset = DescriptorMapping.offset(queue: queue, pageSize: pageSize)
        let mapped = mmap(nil, length, PROT_READ, MAP_SHARED | MAP_POPULATE, charDevice, off_t(offset))
        guard let mapped, mapped != MAP_FAILED else {
            throw .system("mmap of the descriptors of queue \(queue)", errno: Errno(rawValue: errno))
        }
        base = UnsafeRawPointer(mapped)
        self.length = length
    }

    /// The driver writes a tag's descriptor before completing its fetch; we read it after that completion.
    @inline(__always)
    func descriptor(tag: Int) -> IODescriptor {
        base.load(fromByteOffset: tag * IODescriptor.stride, as: IODescriptor.self)
    }

    func unmap() {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
    }
}

