import CLinux
import Foundation
import SystemPackage
import Testing
import TestSupport
import URing

@Suite("Ring: file I/O on the host")
struct RingFileIOTests {
    let directory = TemporaryDirectory()

    func openFile(_ name: String) throws -> Int32 {
        let fd = open(directory.file(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(fd >= 0, "open failed: errno \(errno)")
        return fd
    }

    @Test("write, fsync and read back a file through the ring")
    func writeSyncRead() throws {
        let fd = try openFile("data")
        defer { close(fd) }
        let ring = try Ring(entries: 8)
        let pattern = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

        try pattern.withUnsafeBytes { bytes in
            try ring.prepareWrite(.descriptor(fd), from: bytes.baseAddress!, count: bytes.count, offset: 4096,
                                  userData: 1)
        }
        try ring.submitAndWait(1)
        let written = try ring.waitCompletion()
        #expect(written == Completion(userData: 1, result: 8192))

        try ring.prepareSync(.descriptor(fd), dataOnly: true, userData: 2)
        try ring.submitAndWait(1)
        #expect(try ring.waitCompletion() == Completion(userData: 2, result: 0))

        var readBack = [UInt8](repeating: 0, count: 8192)
        try readBack.withUnsafeMutableBytes { bytes in
            try ring.prepareRead(.descriptor(fd), into: bytes.baseAddress!, count: bytes.count, offset: 4096,
                                 userData: 3)
        }
        try ring.submitAndWait(1)
        #expect(try ring.waitCompletion() == Completion(userData: 3, result: 8192))
        #expect(readBack == pattern)

        // The bytes are really in the file, not only in our buffer.
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: directory.file("data")))
        #expect(onDisk.count == 4096 + 8192)
        #expect(Array(onDisk.suffix(8192)) == pattern)
        #expect(onDisk.prefix(4096).allSatisfy { $0 == 0 })
    }

    @Test("a batch of reads through a registered file completes in one enter, in any order")
    func batchedFixedFileReads() throws {
        let fd = try openFile("batch")
        defer { close(fd) }
        let blocks = (0..<16).flatMap { block in [UInt8](repeating: UInt8(block), count: 512) }
        #expect(blocks.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == blocks.count)

        let ring = try Ring(entries: 16)
        try ring.registerFiles([fd])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 512, alignment: 4096)
        defer { buffer.deallocate() }
        for block in 0..<16 {
            try ring.prepareRead(.fixed(0), into: buffer.baseAddress! + block * 512, count: 512,
                                 offset: Int64(block * 512), userData: UInt64(block))
        }
        try ring.submitAndWait(16)
        var seen = Set<UInt64>()
        let drained = ring.drainCompletions { completion in
            #expect(completion.result == 512)
            seen.insert(completion.userData)
        }
        #expect(drained == 16)
        #expect(seen == Set(0..<16))
        for block in 0..<16 {
            #expect(buffer[block * 512] == UInt8(block) && buffer[block * 512 + 511] == UInt8(block))
        }
    }

    @Test("a full submission queue is EAGAIN until submitted")
    func fullRing() throws {
        let ring = try Ring(entries: 4)
        for tag in 0..<4 { try ring.prepareNop(userData: UInt64(tag)) }
        #expect(ring.freeSubmissionSlots == 0)
        #expect(throws: Errno.resourceTemporarilyUnavailable) { try ring.prepareNop(userData: 99) }
        #expect(try ring.submitAndWait(4) == 4)
        #expect(ring.drainCompletions { _ in } == 4)
        try ring.prepareNop(userData: 5)
        try ring.submitAndWait(1)
        #expect(try ring.waitCompletion().userData == 5)
    }

    @Test("a failing operation completes with its errno")
    func errorCompletion() throws {
        let fd = try openFile("readonly-target")
        close(fd)
        let readOnly = open(directory.file("readonly-target"), O_RDONLY | O_CLOEXEC)
        defer { close(readOnly) }
        let ring = try Ring(entries: 2)
        let bytes: [UInt8] = [1, 2, 3]
        try bytes.withUnsafeBytes { try ring.prepareWrite(.descriptor(readOnly), from: $0.baseAddress!, count: 3,
                                                          offset: 0, userData: 7) }
        try ring.submitAndWait(1)
        let completion = try ring.waitCompletion()
        #expect(completion.userData == 7)
        #expect(completion.error == .badFileDescriptor)

        try ring.prepareRead(.descriptor(-1), into: UnsafeMutableRawPointer(bitPattern: 4096)!, count: 1, offset: 0,
                             userData: 8)
        try ring.submitAndWait(1)
        #expect(try ring.waitCompletion().error == .badFileDescriptor)
    }

    @Test("fallocate punches a hole that reads back as zeroes")
    func punchHole() throws {
        let fd = try openFile("holes")
        defer { close(fd) }
        let ones = [UInt8](repeating: 0xFF, count: 16384)
        #expect(ones.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == 16384)
        let ring = try Ring(entries: 2)
        try ring.prepareFallocate(.descriptor(fd), mode: Int32(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE), offset: 4096,
                                  length: 8192, userData: 1)
        try ring.submitAndWait(1)
        let result = try ring.waitCompletion()
        try #require(result.error != .notSupported, "file system of the temp dir cannot punch holes")
        #expect(result.result == 0)
        var back = [UInt8](repeating: 0, count: 16384)
        #expect(back.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) } == 16384)
        #expect(back[0..<4096].allSatisfy { $0 == 0xFF })
        #expect(back[4096..<12288].allSatisfy { $0 == 0 })
        #expect(back[12288...].allSatisfy { $0 == 0xFF })
    }

    @Test("an SQE128 ring carries an 80-byte command payload")
    func sqe128Setup() throws {
        let ring = try Ring(entries: 4, options: [.sqe128])
        #expect(ring.submissionEntrySize == 128)
        // A URING_CMD on a regular file is refused by the kernel: proves the entry reached it intact.
        let fd = try openFile("cmd")
        defer { close(fd) }
        try ring.prepareCommand(.descriptor(fd), operation: 0x1234, payload: (UInt64(1), UInt64(2), UInt64(3)),
                                userData: 42)
        try ring.submitAndWait(1)
        let completion = try ring.waitCompletion()
        #expect(completion.userData == 42)
        #expect(completion.error == .notSupported || completion.error == .invalidArgument
                || completion.error == .badFileDescriptor)
    }
}
