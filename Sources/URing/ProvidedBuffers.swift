import CURing
import Glibc
import SystemPackage

/// A provided-buffer ring (`IORING_REGISTER_PBUF_RING`): `count` equal buffers the kernel picks from for
/// submissions that select a buffer of `group`. Each completion names the buffer it used; the owner reads it and
/// hands it back with `recycle`, which is a store to shared memory, no syscall.
///
/// Owned by the ring's thread, like the ring. Keeps the ring alive, so the ring is still there to unregister from.
public final class ProvidedBuffers {
    public let group: UInt16
    public let count: Int
    public let bufferBytes: Int
    private let ring: Ring
    // SAFETY: `entries` (the ring shared with the kernel, page aligned as it requires) and `storage` are allocated
    // in init and freed in deinit, after the kernel was told to forget them; only the owning thread touches them.
    private let entries: UnsafeMutablePointer<io_uring_buf_ring>
    private let entriesBytes: Int
    private let storage: UnsafeMutableRawPointer
    private let mask: Int32

    /// - Precondition: `count` is a power of two, at most 32768.
    public init(ring: Ring, group: UInt16, count: Int, bufferBytes: Int) throws(Errno) {
        precondition(count > 0 && count & (count - 1) == 0 && count <= 32768, "buffer count must be a power of two")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        entriesBytes = (count * MemoryLayout<io_uring_buf>.stride + page - 1) / page * page
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, page, entriesBytes) == 0, let raw else { throw Errno.noMemory }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: entriesBytes)
        var data: UnsafeMutableRawPointer?
        guard posix_memalign(&data, 64, count * bufferBytes) == 0, let data else {
            free(raw)
            throw Errno.noMemory
        }
        self.ring = ring
        self.group = group
        self.count = count
        self.bufferBytes = bufferBytes
        self.entries = raw.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        self.storage = data
        self.mask = io_uring_buf_ring_mask(UInt32(count))
        io_uring_buf_ring_init(entries)
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: raw))
        registration.ring_entries = UInt32(count)
        registration.bgid = group
        let rc = io_uring_register_buf_ring(ring.ring, &registration, 0)
        guard rc == 0 else {
            free(raw)
            free(data)
            throw Errno(rawValue: -rc)
        }
        for id in 0..<count {
            io_uring_buf_ring_add(entries, storage + id * bufferBytes, UInt32(bufferBytes), UInt16(id), mask, Int32(id))
        }
        io_uring_buf_ring_advance(entries, Int32(count))
    }

    deinit {
        _ = io_uring_unregister_buf_ring(ring.ring, Int32(group))
        free(entries)
        free(storage)
    }

    /// The bytes of buffer `id`, as the kernel filled them.
    @inline(__always)
    public func buffer(_ id: UInt16) -> UnsafeRawPointer { UnsafeRawPointer(storage + Int(id) * bufferBytes) }

    /// Gives buffer `id` back to the kernel, once its contents were consumed.
    @inline(__always)
    public func recycle(_ id: UInt16) {
        io_uring_buf_ring_add(entries, storage + Int(id) * bufferBytes, UInt32(bufferBytes), id, mask, 0)
        io_uring_buf_ring_advance(entries, 1)
    }
}
