import CLinux
import Foundation
import SystemPackage
import Testing
import TestSupport
import URing

/// What the linked commit of the queues relies on, against the host's io_uring: a pair costs one completion when
/// the first operation succeeds in full, and only the first's completion when it fails or falls short; reserved
/// SQEs are kept out of the shared turn.
@Suite("Ring: linked pairs and reserved entries on the host")
struct RingLinkTests {
    let directory = TemporaryDirectory()

    func file(_ name: String, bytes: Int) throws -> Int32 {
        let fd = open(directory.file(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(fd >= 0, "open failed: errno \(errno)")
        let pattern = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
        #expect(pattern.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == bytes)
        return fd
    }

    func completions(_ ring: Ring) -> [Completion] {
        var seen: [Completion] = []
        ring.drainCompletions { seen.append($0) }
        return seen
    }

    @Test("a read that moves every byte runs the next entry and posts only the next one's completion")
    func fullReadRunsTheNext() throws {
        let fd = try file("full", bytes: 8192)
        defer { close(fd) }
        let ring = try Ring(entries: 8, reservedEntries: 2)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        try ring.prepareRead(.descriptor(fd), into: buffer, count: 4096, offset: 4096, userData: 1)
        ring.runNextOnlyOnSuccess()
        try ring.prepareNop(userData: 2)
        try ring.submitAndWait(1)
        #expect(completions(ring) == [Completion(userData: 2, result: 0)])
        #expect(buffer.load(as: UInt8.self) == UInt8(truncatingIfNeeded: 4096 &* 13 &+ 1))
    }

    @Test("a read that falls short posts its own completion and the next entry never runs nor completes")
    func shortReadBreaksTheLink() throws {
        let fd = try file("short", bytes: 6144)
        defer { close(fd) }
        let ring = try Ring(entries: 8)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        try ring.prepareRead(.descriptor(fd), into: buffer, count: 4096, offset: 4096, userData: 1)
        ring.runNextOnlyOnSuccess()
        try ring.prepareNop(userData: 2)
        try ring.submitAndWait(1)
        // The cancelled entry is reaped in the same task work; give a late completion a chance to show.
        _ = try ring.wait(timeout: .milliseconds(50))
        #expect(completions(ring) == [Completion(userData: 1, result: 2048)])
    }

    @Test("a failed operation posts its errno and cancels the next one silently")
    func failureBreaksTheLink() throws {
        let ring = try Ring(entries: 8)
        try ring.prepareRead(.descriptor(-1), into: UnsafeMutableRawPointer(bitPattern: 4096)!, count: 1, offset: 0,
                             userData: 1)
        ring.runNextOnlyOnSuccess()
        try ring.prepareNop(userData: 2)
        try ring.submitAndWait(1)
        _ = try ring.wait(timeout: .milliseconds(50))
        let seen = completions(ring)
        #expect(seen.map(\.userData) == [1])
        #expect(seen.first?.error == .badFileDescriptor)
    }

    @Test("reserved entries and the shared turn: many laps, every submission completes once with its own data")
    func reservedAndSharedEntries() throws {
        let ring = try Ring(entries: 8, reservedEntries: 3)
        var expected: [UInt64] = []
        var seen: [UInt64] = []
        for lap in 0..<20 {
            let base = UInt64(lap * 100)
            for index in 0..<3 {
                try ring.prepareCommand(.descriptor(-1), operation: 0, payload: UInt64(0),
                                        slot: .reserved(UInt32(index)), userData: base + UInt64(index))
                expected.append(base + UInt64(index))
            }
            // At most the shared turn's size (8 - 3) waits at once, reserved entries included.
            for extra in 0..<2 {
                try ring.prepareNop(userData: base + 10 + UInt64(extra))
                expected.append(base + 10 + UInt64(extra))
            }
            try ring.submitAndWait(5)
            ring.drainCompletions { seen.append($0.userData) }
        }
        #expect(seen.sorted() == expected.sorted())
    }

    @Test("the shared turn holds only the entries that are not reserved: EAGAIN past them until submitted")
    func sharedTurnIsSmaller() throws {
        let ring = try Ring(entries: 8, reservedEntries: 3)
        #expect(ring.freeSubmissionSlots == 5)
        for index in 0..<5 { try ring.prepareNop(userData: UInt64(index)) }
        #expect(throws: Errno.resourceTemporarilyUnavailable) { try ring.prepareNop(userData: 9) }
        #expect(try ring.submitAndWait(5) == 5)
        #expect(ring.drainCompletions { _ in } == 5)
        try ring.prepareNop(userData: 6)
        try ring.submitAndWait(1)
        #expect(try ring.waitCompletion().userData == 6)
    }

    @Test("reserving every entry is refused")
    func reservingEverything() {
        #expect(throws: Errno.invalidArgument) { try Ring(entries: 4, reservedEntries: 4) }
    }
}
