import Foundation
import HTTPAPI
import Logging
import Synchronization
import Testing

/// An HTTPServer on a free loopback port with a router over a fake service; stopped when released.
final class LiveServer: Sendable {
    let service: FakeDeviceService
    let server: HTTPServer
    let host: String
    var port: Int { server.port }

    /// Placed as the daemon places requests (`Router.match`): polls on the event loop, the rest on workers.
    init(listen: String = "127.0.0.1:0", token: String? = nil, threads: Int = 1,
         logger: Logger = Logger(label: "ublkd.test", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        let service = FakeDeviceService()
        let router = Router(service: service, token: token)
        self.service = service
        host = try ListenAddress(parsing: listen).host
        server = try HTTPServer(listen: ListenAddress(parsing: listen), threads: threads, logger: logger,
                                route: Router.match, handler: { router.handle($0) })
    }

    func send(_ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = [])
        throws -> LoopbackHTTPClient.Response
    {
        try LoopbackHTTPClient.send(method, target, host: host, port: port, headers: headers, body: body)
    }

    deinit { server.stop() }
}

/// Runs `body(index)` on `count` threads of its own (not the test's cooperative pool) and waits for all of them.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}

extension LoopbackHTTPClient.Response {
    var errorCode: String? {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(body)))?["error"]?["code"]?.string
    }
}

/// Starts `POST /devices` on a thread of its own against a fake whose create takes `delay`, and returns once the
/// create is inside the service; `finish()` waits for the client's answer (its status, or nil without one).
final class InFlightCreate: Sendable {
    let group = DispatchGroup()
    let answer = Mutex<(status: Int?, at: ContinuousClock.Instant)?>(nil)
    let started = ContinuousClock.now

    init(on live: LiveServer, delay: Duration) throws {
        live.service.delayCreate(by: delay)
        let port = live.port
        group.enter()
        Thread { [self] in
            let body = Array(#"{"name": "slow", "target": "null", "size": 4096}"#.utf8)
            let status = try? LoopbackHTTPClient.send("POST", "/devices", port: port, body: body).status
            answer.withLock { $0 = (status, ContinuousClock.now) }
            group.leave()
        }.start()
        let deadline = started + .seconds(5)
        while !live.service.calls.contains(where: { if case .create = $0 { true } else { false } }) {
            try #require(ContinuousClock.now < deadline, "the create never reached the service")
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    func finish() -> Int? {
        group.wait()
        return answer.withLock { $0?.status }
    }

    /// When the client had its answer (after `finish()`).
    var answeredAt: ContinuousClock.Instant? { answer.withLock { $0?.at } }
}

/// Whether a TCP connect to `port` on 127.0.0.1 is refused (nothing listening), as opposed to accepted.
func connectionRefused(port: Int, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    do {
        close(try LoopbackHTTPClient.connect(host: "127.0.0.1", port: port, timeout: 2))
        return false
    } catch LoopbackHTTPClient.Failure.socket("connect", let code) {
        return code == ECONNREFUSED
    } catch {
        Issue.record(error, sourceLocation: sourceLocation)
        return false
    }
}
