import CLinux
import Glibc
import SystemPackage
import UblkABI
import URing

/// A regular file or a block device as backing store, read and written through the queue's own ring.
///
/// Opened with O_DIRECT when the file system takes the device's block size at that alignment (no double caching,
/// and data is on the device when the write completes); buffered otherwise, where FLUSH (`fdatasync`) and FUA
/// (`RWF_DSYNC`) provide durability. Either way a write acknowledged to the kernel has left the daemon's memory,
/// so it survives the daemon's death.
public final class FileTarget: Target {
    public let path: String
    public let descriptor: Int32
    public let directIO: Bool
    public let isBlockDevice: Bool
    /// Bytes the backing store holds now.
    public let capacity: UInt64
    public let readOnly: Bool
    let discardableBlockDevice: Bool
    /// The file lives on tmpfs (or ramfs): its page cache is the storage.
    public let memoryBacked: Bool

    /// Opens the backing store (through `paths`, so it is confined where directories are allowed) and checks it
    /// on the descriptor itself: what was checked is what gets served.
    public init(path: String, readOnly: Bool, logicalBlockSize: Int, paths: BackingPaths = .anywhere)
        throws(EngineError)
    {
        self.path = path
        self.readOnly = readOnly
        let access = readOnly ? O_RDONLY : O_RDWR
        var fd: Int32
        do {
            fd = try paths.open(path, flags: access | clinux_o_direct())
        } catch .system(_, .invalidArgument) {
            // The file system takes no O_DIRECT at all.
            fd = try Self.reopen(path, flags: access, paths: paths)
        } catch {
            throw Self.openFailure(error, path: path, readOnly: readOnly)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = Errno(rawValue: errno)
            Glibc.close(fd)
            throw .backingStore(path: path, reason: "cannot stat: \(error)")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG || kind == S_IFBLK else {
            Glibc.close(fd)
            throw .backingStore(path: path, reason: "is neither a regular file nor a block device")
        }
        isBlockDevice = kind == S_IFBLK
        var direct = fcntl(fd, F_GETFL) & clinux_o_direct() != 0
        if direct, !Self.directIOWorks(fd: fd, blockSize: logicalBlockSize) {
            // O_DIRECT can be turned off on the open descriptor: no second lookup of the path.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~clinux_o_direct())
            direct = false
        }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let error = Errno(rawValue: errno)
            Glibc.close(fd)
            throw .backingStore(path: path, reason: "cannot find its size: \(error)")
        }
        descriptor = fd
        directIO = direct
        capacity = UInt64(end)
        discardableBlockDevice = isBlockDevice && Self.blockDeviceDiscards(info.st_rdev)
        memoryBacked = !isBlockDevice && Self.onMemoryFileSystem(fd)
    }

    static func reopen(_ path: String, flags: Int32, paths: BackingPaths) throws(EngineError) -> Int32 {
        do {
            return try paths.open(path, flags: flags)
        } catch {
            throw openFailure(error, path: path, readOnly: flags & O_ACCMODE == O_RDONLY)
        }
    }

    static func openFailure(_ error: EngineError, path: String, readOnly: Bool) -> EngineError {
        guard case .system(_, let code) = error else { return error }
        if code == .noSuchFileOrDirectory { return .backingStore(path: path, reason: "does not exist") }
        return .backingStore(path: path, reason: "cannot open \(readOnly ? "read-only" : "read-write"): \(code)")
    }

    static func onMemoryFileSystem(_ fd: Int32) -> Bool {
        // TMPFS_MAGIC, RAMFS_MAGIC
        [0x0102_1994, 0x8584_58F6].contains(clinux_file_system_type(fd))
    }

    /// Creates a sparse regular file of `size` bytes; refuses to touch an existing one.
    public static func createSparse(path: String, size: UInt64, paths: BackingPaths = .anywhere)
        throws(EngineError)
    {
        let fd: Int32
        do {
            fd = try paths.open(path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        } catch {
            guard case .system(_, let code) = error else { throw error }
            throw .backingStore(path: path, reason: "cannot create: \(code)")
        }
        defer { Glibc.close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            let error = Errno(rawValue: errno)
            try? paths.remove(path)
            throw .backingStore(path: path, reason: "cannot size to \(size) bytes: \(error)")
        }
    }

    /// O_DIRECT needs offsets aligned to the file system's block; a read at one block of our size shows whether
    /// our block size is enough.
    static func directIOWorks(fd: Int32, blockSize: Int) -> Bool {
        guard let buffer = UnsafeMutableRawPointer.alignedPages(byteCount: 2 * blockSize) else { return false }
        defer { buffer.deallocatePages(byteCount: 2 * blockSize) }
        return pread(fd, buffer, blockSize, off_t(blockSize)) >= 0
    }

    static func blockDeviceDiscards(_ device: dev_t) -> Bool {
        let path = "/sys/dev/block/\(gnu_dev_major(device)):\(gnu_dev_minor(device))/queue/discard_max_bytes"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        let text = String(decoding: bytes[0..<count], as: UTF8.self).trimmingWhitespace
        return (UInt64(text) ?? 0) > 0
    }

    public var ioDescription: String { directIO ? "direct" : "buffered" }
    /// Even with O_DIRECT, the file system's metadata and the disk's own cache need a flush to be durable.
    public var hasVolatileCache: Bool { true }
    public var supportsZeroCopy: Bool { true }

    public func discardParams(logicalBlockSize: Int) -> DiscardParams? {
        if readOnly { return nil }
        return DiscardParams(granularity: UInt32(max(logicalBlockSize, 4096)),
                             maxDiscardSectors: !isBlockDevice || discardableBlockDevice ? 1 << 21 : 0,
                             maxWriteZeroesSectors: 1 << 21, maxDiscardSegments: 1)
    }

    /// A regular file grows (sparsely) to the new size; a block device must already be large enough. The file is
    /// never shrunk: the bytes past a smaller device stay, in case the shrink was a mistake.
    public func prepareCapacity(_ bytes: UInt64) throws(EngineError) {
        let end = lseek(descriptor, 0, SEEK_END)
        guard end >= 0 else {
            throw .backingStore(path: path, reason: "cannot find its size: \(Errno(rawValue: errno))")
        }
        guard UInt64(end) < bytes else { return }
        if isBlockDevice {
            throw .backingStore(path: path, reason: "holds \(end) bytes, less than the new size \(bytes)")
        }
        if readOnly { throw .backingStore(path: path, reason: "is open read-only and cannot grow") }
        guard ftruncate(descriptor, off_t(bytes)) == 0 else {
            throw .backingStore(path: path, reason: "cannot grow to \(bytes) bytes: \(Errno(rawValue: errno))")
        }
    }

    public func makeHandler(queue: Int, depth: Int) -> Handler {
        Handler(descriptor: descriptor, readOnly: readOnly, copyInThread: memoryBacked, depth: depth)
    }

    public func close() { Glibc.close(descriptor) }

    public struct Handler: QueueHandler {
        let descriptor: Int32
        let readOnly: Bool
        /// io_uring cannot issue a tmpfs read or write without blocking (tmpfs takes no IOCB_NOWAIT), so it hands
        /// every one to an io-wq worker: a thread hop per request, measured as most of the daemon's cost on tmpfs.
        /// A memory copy in the queue thread costs less, and tmpfs never waits on a device. Copy mode only: with
        /// zero copy the data is reachable through the ring alone.
        let copyInThread: Bool
        /// Per tag: bytes done so far (short transfers are continued) and which fallback a WRITE_ZEROES is on.
        let progress: UnsafeMutablePointer<Int32>
        let zeroingByPunch: UnsafeMutablePointer<Bool>

        static let backing = FileReference.fixed(1)
        static let punchHole = Int32(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
        static let zeroRange = Int32(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE)

        init(descriptor: Int32, readOnly: Bool, copyInThread: Bool, depth: Int) {
            self.descriptor = descriptor
            self.readOnly = readOnly
            self.copyInThread = copyInThread
            progress = .allocate(capacity: depth)
            progress.initialize(repeating: 0, count: depth)
            zeroingByPunch = .allocate(capacity: depth)
            zeroingByPunch.initialize(repeating: false, count: depth)
        }

        public var fixedFiles: [Int32] { [descriptor] }

        public mutating func serve(_ request: Request, ring: borrowing Ring, userData: UInt64) -> Disposition {
            let descriptor = request.descriptor
            let tag = Int(request.tag)
            progress[tag] = 0
            do {
                switch descriptor.operation {
                case .read:
                    if copyInThread, let buffer = request.buffer { return copyNow(request, buffer: buffer) }
                    try transfer(request, done: 0, ring: ring, userData: userData)
                case .write:
                    if readOnly { return .complete(-EROFS) }
                    if copyInThread, let buffer = request.buffer { return copyNow(request, buffer: buffer) }
                    try transfer(request, done: 0, ring: ring, userData: userData)
                case .flush:
                    try ring.prepareSync(Self.backing, dataOnly: true, userData: userData)
                case .discard:
                    if readOnly { return .complete(-EROFS) }
                    try ring.prepareFallocate(Self.backing, mode: Self.punchHole,
                                              offset: descriptor.byteOffset, length: Int64(descriptor.byteCount),
                                              userData: userData)
                case .writeZeroes:
                    if readOnly { return .complete(-EROFS) }
                    zeroingByPunch[tag] = false
                    try ring.prepareFallocate(Self.backing, mode: Self.zeroRange,
                                              offset: descriptor.byteOffset, length: Int64(descriptor.byteCount),
                                              userData: userData)
                default:
                    return .complete(-EOPNOTSUPP)
                }
            } catch {
                // The queue sizes its ring so that every tag always has a free entry; reaching this is a bug.
                return .complete(-EIO)
            }
            // One operation serves the request, and its full success (a read or write that moves every byte, a
            // sync or fallocate that returns 0) is the request's.
            guard request.commitMayFollow else { return .pending }
            ring.runNextOnlyOnSuccess()
            return .linked
        }

        public mutating func complete(_ request: Request, result: Int32, ring: borrowing Ring,
                                      userData: UInt64) -> Disposition {
            let descriptor = request.descriptor
            let tag = Int(request.tag)
            switch descriptor.operation {
            case .read, .write:
                if result == -EAGAIN || result == -EINTR { return resubmitRest(request, ring: ring, userData: userData) }
                if result < 0 { return .complete(result) }
                // A read that ends early hit the end of a backing file that shrank under us.
                if result == 0 { return .complete(-EIO) }
                progress[tag] += result
                if Int(progress[tag]) < descriptor.byteCount {
                    return resubmitRest(request, ring: ring, userData: userData)
                }
                return .success(request)
            case .writeZeroes where result == -EOPNOTSUPP && !zeroingByPunch[tag]:
                // tmpfs and some file systems cannot zero a range; a punched hole reads back as zeroes too.
                zeroingByPunch[tag] = true
                do {
                    try ring.prepareFallocate(Self.backing, mode: Self.punchHole,
                                              offset: descriptor.byteOffset, length: Int64(descriptor.byteCount),
                                              userData: userData)
                } catch {
                    return .complete(-EIO)
                }
                return .pending
            default:
                return .complete(result < 0 ? result : 0)
            }
        }

        mutating func resubmitRest(_ request: Request, ring: borrowing Ring, userData: UInt64) -> Disposition {
            do {
                try transfer(request, done: Int(progress[Int(request.tag)]), ring: ring, userData: userData)
            } catch {
                return .complete(-EIO)
            }
            return .pending
        }

        /// The whole read or write with plain syscalls on this thread. FUA needs nothing more on tmpfs, whose
        /// writes are as durable as they will ever be once copied.
        func copyNow(_ request: Request, buffer: UnsafeMutableRawPointer) -> Disposition {
            let descriptor = request.descriptor
            let reading = descriptor.operation == .read
            var done = 0
            while done < descriptor.byteCount {
                let offset = off_t(descriptor.byteOffset) + off_t(done)
                let count = reading
                    ? pread(self.descriptor, buffer + done, descriptor.byteCount - done, offset)
                    : pwrite(self.descriptor, buffer + done, descriptor.byteCount - done, offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return .complete(-errno)
                }
                // A read that ends early hit the end of a backing file that shrank under us.
                if count == 0 { return .complete(-EIO) }
                done += count
            }
            return .success(request)
        }

        /// Reads or writes the part of the request after `done` bytes: through the tag's buffer in copy mode, or
        /// through the request's own pages (ring buffer slot = tag, addressed from 0) with zero copy.
        func transfer(_ request: Request, done: Int, ring: borrowing Ring, userData: UInt64) throws(Errno) {
            let descriptor = request.descriptor
            let count = descriptor.byteCount - done
            let offset = descriptor.byteOffset + Int64(done)
            let forceUnitAccess = descriptor.flags.contains(.forceUnitAccess)
            switch (descriptor.operation == .read, request.buffer) {
            case (true, let buffer?):
                try ring.prepareRead(Self.backing, into: buffer + done, count: count, offset: offset, userData: userData)
            case (false, let buffer?):
                try ring.prepareWrite(Self.backing, from: buffer + done, count: count, offset: offset,
                                      forceUnitAccess: forceUnitAccess, userData: userData)
            case (true, nil):
                try ring.prepareReadFixed(Self.backing, bufferIndex: request.tag, bufferOffset: UInt64(done),
                                          count: count, offset: offset, userData: userData)
            case (false, nil):
                try ring.prepareWriteFixed(Self.backing, bufferIndex: request.tag, bufferOffset: UInt64(done),
                                           count: count, offset: offset, forceUnitAccess: forceUnitAccess,
                                           userData: userData)
            }
        }

        public mutating func release() {
            progress.deallocate()
            zeroingByPunch.deallocate()
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        return String(scalars)
    }
}
