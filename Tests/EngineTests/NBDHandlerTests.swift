import DeviceModel
@testable import Engine
import Foundation
import Glibc
import Testing
import TestSupport
import UblkABI
import URing

/// The nbd target's queue handler on the host, without a ublk driver: requests handed to it as a queue would,
/// sent through libnbd to a real nbdkit on a unix socket, the socket watched by a real io_uring. The server is
/// killed and started again under it: the requests wait and are sent again; past the reconnect timeout they fail.
@Suite("NBD handler: real libnbd and nbdkit, the server going away and coming back", .serialized)
struct NBDHandlerTests {
    let directory = TemporaryDirectory(prefix: "ublkd-nbd")
    var socket: String { directory.file("nbd.sock") }
    var image: String { directory.file("export.img") }
    var uri: String { "nbd+unix:///?socket=\(socket)" }
    static let size: UInt64 = 16 << 20

    init() throws {
        #expect(FileManager.default.createFile(atPath: image, contents: nil))
        #expect(truncate(image, off_t(Self.size)) == 0)
    }

    /// nbdkit's file plugin over the image (what is written survives a restart of the server).
    func startServer() throws {
        unlink(socket)
        let outcome = try Shell.run(["nbdkit", "--unix", socket, "--pidfile", directory.file("pid"), "file", image])
        try #require(outcome.succeeded, "nbdkit: \(outcome.output)")
    }

    func stopServer() throws {
        let text = try String(contentsOfFile: directory.file("pid"), encoding: .utf8)
        let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
    }

    /// A queue's part, by hand: the ring, the handler's events, and what it finished.
    final class Driver {
        let ring: Ring
        var handler: NBDHandler
        var finished: [UInt16: Int32] = [:]
        let buffers: UnsafeMutableRawPointer

        init(_ handler: NBDHandler) throws {
            ring = try Ring(entries: 64)
            self.handler = handler
            buffers = UnsafeMutableRawPointer.allocate(byteCount: 8 * 65536, alignment: 4096)
            try self.handler.start(ring: ring, events: TargetEvents())
        }

        deinit {
            handler.release()
            buffers.deallocate()
        }

        func buffer(_ tag: UInt16) -> UnsafeMutableRawPointer { buffers + Int(tag) * 65536 }

        func request(_ tag: UInt16, _ operation: IOOperation, sector: UInt64, bytes: Int) -> Request {
            Request(tag: tag, descriptor: IODescriptor(opFlags: UInt32(operation.rawValue),
                                                       sectorCount: UInt32(bytes / 512), startSector: sector),
                    buffer: buffer(tag))
        }

        func serve(_ request: Request) {
            if case .complete(let result) = handler.serve(request, ring: ring, userData: 0) {
                finished[request.tag] = result
            }
        }

        /// Runs the ring until `tag` is finished or `limit` passes.
        func wait(for tag: UInt16, limit: Duration = .seconds(10)) throws -> Int32? {
            let deadline = ContinuousClock.now + limit
            while finished[tag] == nil && ContinuousClock.now < deadline { _ = try turn(timeout: .milliseconds(50)) }
            return finished.removeValue(forKey: tag)
        }

        /// Runs the ring once; the number of events the handler saw.
        func turn(timeout: Duration = .seconds(5)) throws -> Int {
            var events = 0
            try ring.submit()
            _ = try ring.wait(timeout: timeout)
            ring.drainCompletions { completion in
                guard completion.userData >> 16 == CompletionKind.targetEvent.rawValue else { return }
                events += 1
                handler.event(completion, ring: ring, events: TargetEvents()) { tag, result in
                    finished[tag] = result
                }
            }
            return events
        }
    }

    func handler(timeout: Int = 2) throws -> (NBDTarget, Driver) {
        let target = try NBDTarget(NBDExportDefinition(uri: uri, reconnectTimeoutSeconds: timeout),
                                   sizeBytes: Self.size, readOnly: false, queues: 1)
        return (target, try Driver(target.makeHandler(queue: 0, depth: 8)))
    }

    @Test func theExportIsProbed() throws {
        try startServer()
        defer { try? stopServer() }
        let export = try NBDTarget.probe(uri: uri)
        #expect(export.sizeBytes == Self.size && !export.readOnly)
        #expect(export.canFlush && export.canTrim && export.canZero)
        #expect(throws: EngineError.self) { _ = try NBDTarget.probe(uri: "nbd+unix:///?socket=\(socket).absent") }
        #expect(throws: EngineError.self) {
            _ = try NBDTarget(NBDExportDefinition(uri: uri), sizeBytes: Self.size * 2, readOnly: false, queues: 1)
        }
    }

    @Test func writesAndReadsGoThroughTheSocket() throws {
        try startServer()
        defer { try? stopServer() }
        let (target, driver) = try handler()
        memset(driver.buffer(1), 0xA5, 65536)
        driver.serve(driver.request(1, .write, sector: 128, bytes: 65536))
        #expect(try driver.wait(for: 1) == 65536)
        driver.serve(driver.request(2, .flush, sector: 0, bytes: 0))
        #expect(try driver.wait(for: 2) == 0)
        driver.serve(driver.request(3, .read, sector: 128, bytes: 65536))
        #expect(try driver.wait(for: 3) == 65536)
        #expect(memcmp(driver.buffer(1), driver.buffer(3), 65536) == 0)
        #expect(target.connectionStatus?.state == .connected)
    }

    /// More than the socket's buffer at once: sends that cannot finish wait for the socket to drain.
    @Test func aFullQueueOfLargeWritesCompletes() throws {
        try startServer()
        defer { try? stopServer() }
        let (_, driver) = try handler()
        for tag in UInt16(0)..<8 {
            memset(driver.buffer(tag), Int32(tag) + 1, 65536)
            driver.serve(driver.request(tag, .write, sector: UInt64(tag) * 128, bytes: 65536))
        }
        for tag in UInt16(0)..<8 { #expect(try driver.wait(for: tag) == 65536, "write \(tag)") }
        for tag in UInt16(0)..<8 { driver.serve(driver.request(tag, .read, sector: UInt64(7 - tag) * 128, bytes: 65536)) }
        for tag in UInt16(0)..<8 {
            #expect(try driver.wait(for: tag) == 65536, "read \(tag)")
            #expect(driver.buffer(tag).load(as: UInt8.self) == UInt8(8 - tag))
        }
    }

    /// libnbd finishes one reply per notification; the replies already in the socket all finish in the turn that
    /// saw it readable, not one turn each.
    @Test func repliesInTheSocketFinishInOneTurn() throws {
        try startServer()
        defer { try? stopServer() }
        let (_, driver) = try handler()
        for tag in UInt16(0)..<8 { driver.serve(driver.request(tag, .read, sector: UInt64(tag) * 8, bytes: 4096)) }
        // nbdkit answers all eight meanwhile; their replies wait in the socket.
        usleep(300_000)
        #expect(try driver.turn() == 1)
        #expect(driver.finished.count == 8)
        #expect(driver.finished.values.allSatisfy { $0 == 4096 })
    }

    @Test func aRequestWaitsForAServerThatComesBack() throws {
        try startServer()
        let (target, driver) = try handler(timeout: 10)
        memset(driver.buffer(1), 0x5A, 4096)
        try stopServer()
        // Sent on a connection that is gone: it waits, then goes again on the next one.
        driver.serve(driver.request(1, .write, sector: 8, bytes: 4096))
        #expect(try driver.wait(for: 1, limit: .milliseconds(800)) == nil, "waits while the server is down")
        try startServer()
        defer { try? stopServer() }
        let started = ContinuousClock.now
        #expect(try driver.wait(for: 1) == 4096)
        #expect(ContinuousClock.now - started < .seconds(5))
        let status = try #require(target.connectionStatus)
        #expect(status.state == .connected && status.disconnects == 1 && status.reconnects == 1)
        driver.serve(driver.request(2, .read, sector: 8, bytes: 4096))
        #expect(try driver.wait(for: 2) == 4096)
        #expect(memcmp(driver.buffer(1), driver.buffer(2), 4096) == 0, "the write reached the file")
    }

    @Test func pastTheTimeoutRequestsFail() throws {
        try startServer()
        let (target, driver) = try handler(timeout: 1)
        try stopServer()
        let started = ContinuousClock.now
        driver.serve(driver.request(1, .read, sector: 0, bytes: 4096))
        #expect(try driver.wait(for: 1) == -EIO)
        let took = ContinuousClock.now - started
        #expect(took >= .milliseconds(900) && took < .seconds(4), "failed after \(took)")
        #expect(target.connectionStatus?.state == .failing)
        // Failing fast now, until the server is back; then serving again.
        driver.serve(driver.request(2, .read, sector: 0, bytes: 4096))
        #expect(try driver.wait(for: 2, limit: .milliseconds(100)) == -EIO)
        try startServer()
        defer { try? stopServer() }
        for _ in 0..<100 where target.connectionStatus?.state != .connected {
            _ = try driver.wait(for: 999, limit: .milliseconds(50))
        }
        #expect(target.connectionStatus?.state == .connected)
        driver.serve(driver.request(3, .read, sector: 0, bytes: 4096))
        #expect(try driver.wait(for: 3) == 4096)
    }
}
