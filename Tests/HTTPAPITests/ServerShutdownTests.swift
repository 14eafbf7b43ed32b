import Foundation
import HTTPAPI
import Synchronization
import Testing

@Suite("HTTPServer: quiesce and stop", .serialized, .timeLimit(.minutes(1)))
struct ServerShutdownTests {
    @Test func stopClosesThePort() throws {
        let live = try LiveServer()
        let port = live.port
        #expect(try live.send("GET", "/health").status == 200)
        #expect(!connectionRefused(port: port))
        let before = ContinuousClock.now
        live.server.stop()
        #expect(ContinuousClock.now - before < .seconds(10))
        live.server.stop()  // a second stop (and deinit's) is harmless
        #expect(connectionRefused(port: port))
    }

    /// The Box the C callbacks use is released in stop(), so stop() must not return while a handler still runs.
    @Test func stopWaitsForARunningHandler() throws {
        let live = try LiveServer()
        let create = try InFlightCreate(on: live, delay: .seconds(1))
        live.server.stop()
        // The fake adds the device only after its delay: seeing it proves the handler ran to its end before stop
        // returned.
        #expect(try live.service.listDevices().map(\.definition.name).contains("slow"))
        _ = create.finish()
    }

    @Test func quiesceLetsARunningRequestFinish() throws {
        let live = try LiveServer()
        let create = try InFlightCreate(on: live, delay: .milliseconds(800))
        live.server.quiesce()
        #expect(create.finish() == 201)
        // No new request is served once quiesced.
        #expect(throws: LoopbackHTTPClient.Failure.self) {
            try LoopbackHTTPClient.send("GET", "/health", port: live.port, timeout: 1)
        }
        live.server.stop()
    }

    /// MHD_quiesce_daemon hands the listening socket to the caller ("the caller is responsible for closing the
    /// returned socket", microhttpd.h), and MHD_stop_daemon then leaves it alone. HTTPServer.quiesce() drops it,
    /// so after the daemon's own shutdown sequence (quiesce, then stop) the port still accepts connections that
    /// nobody will ever answer, and the descriptor leaks until the process exits.
    @Test func quiesceThenStopClosesThePort() throws {
        let live = try LiveServer()
        let port = live.port
        #expect(try live.send("GET", "/health").status == 200)
        live.server.quiesce()
        live.server.stop()
        #expect(connectionRefused(port: port))
    }
}
