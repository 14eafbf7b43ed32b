import DeviceModel
import Foundation
@testable import HTTPAPI
import Logging
import Synchronization
import TestSupport
import Testing

// Serialized: the timing test below should not share the CPU with the 200-request burst.
@Suite("HTTPServer: real sockets on loopback", .serialized, .timeLimit(.minutes(1)))
struct LiveServerTests {
    @Test func healthAnswersJSON() throws {
        let live = try LiveServer()
        #expect(live.port > 0)
        let response = try live.send("GET", "/health")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["cache-control"] == "no-store")
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(response.body))
        #expect(json["status"]?.string == "ok")
        #expect(json["unmanaged_devices"]?.array == [.integer(7)])
        #expect(live.service.calls == [.health])
    }

    @Test func statusesAndQueryPassThroughTheTransport() throws {
        let live = try LiveServer()
        let deleted = try live.send("DELETE", "/devices/3")
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        #expect(try live.send("PUT", "/devices").errorCode == "method_not_allowed")
        #expect(try live.send("GET", "/devices/007").errorCode == "not_found")
        let events = try live.send("GET", "/devices/0/events?limit=7&before=41")
        #expect(events.status == 200)
        #expect(try live.send("GET", "/devices/0/events?limit=0").status == 400)
        let created = try live.send("POST", "/devices", body: Array(#"{"name":"n","target":"null","size":"1G"}"#.utf8))
        #expect(created.status == 201)
        #expect(try live.send("POST", "/devices", body: Array("{".utf8)).errorCode == "invalid_json")
        #expect(live.service.calls == [
            .delete(3), .events(0, limit: 7, before: 41),
            .create(CreateDeviceRequest(definition: DeviceDefinition(name: "n", target: .null, sizeBytes: 1 << 30))),
        ])
    }

    @Test func tokenIsReadFromTheAuthorizationHeader() throws {
        let live = try LiveServer(token: "t0k")
        let missing = try live.send("GET", "/health")
        #expect(missing.status == 401)
        #expect(missing.errorCode == "unauthorized")
        #expect(try live.send("GET", "/health", headers: ["Authorization": "Bearer nope"]).status == 401)
        #expect(try live.send("GET", "/health", headers: ["Authorization": "Bearer t0k"]).status == 200)
        #expect(try live.send("GET", "/health", headers: ["AUTHORIZATION": "Bearer t0k"]).status == 200)
        #expect(live.service.calls == [.health, .health])
    }

    @Test func bodyOver64KiBIsRefusedAndTheServerKeepsServing() throws {
        let live = try LiveServer()
        let tooLarge = try live.send("POST", "/devices", body: [UInt8](repeating: UInt8(ascii: "x"), count: 70 * 1024))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.errorCode == "payload_too_large")
        #expect(try live.send("GET", "/health").status == 200)

        // The limit is inclusive: a valid body padded to exactly 64 KiB is read and served, one byte more is not.
        let json = Array(#"{"name": "edge", "target": "null", "size": 4096}"#.utf8)
        let padded = json + [UInt8](repeating: UInt8(ascii: " "), count: Router.maxBodyBytes - json.count)
        #expect(padded.count == 65536)
        #expect(try live.send("POST", "/devices", body: padded).status == 201)
        #expect(try live.send("POST", "/devices", body: padded + [UInt8(ascii: " ")]).status == 413)
        #expect(live.service.calls.count == 2)
    }

    /// The connection's memory pool is smaller than libmicrohttpd's default (`HTTPServer.connectionMemoryBytes`):
    /// 6 KiB of headers (a browser's with many cookies) still fit, and longer ones get a 4xx, not a hang or a reset.
    @Test func longHeadersFitTheConnectionPoolAndLongerOnesAreRefused() throws {
        let live = try LiveServer(token: "t0k")
        let filler = String(repeating: "c", count: 6 * 1024)
        let fits = try live.send("GET", "/health", headers: ["Authorization": "Bearer t0k", "Cookie": filler])
        #expect(fits.status == 200)
        let tooLong = String(repeating: "c", count: HTTPServer.connectionMemoryBytes)
        let refused = try live.send("GET", "/health", headers: ["Authorization": "Bearer t0k", "Cookie": tooLong])
        #expect((400..<500).contains(refused.status))
        #expect(try live.send("GET", "/health", headers: ["Authorization": "Bearer t0k"]).status == 200)
        #expect(live.service.calls == [.health, .health])
    }

    @Test(arguments: [1, 2])
    func burstOf200RequestsFrom16ThreadsIsAnsweredCorrectly(eventLoops: Int) throws {
        let live = try LiveServer(threads: eventLoops)
        let port = live.port
        // (method, target, status, error code): device 9 does not exist, so its stats come back from the service.
        let kinds: [(String, String, Int, String?)] = [
            ("GET", "/devices", 200, nil),
            ("GET", "/devices/0/stats", 200, nil),
            ("GET", "/devices/3/stats", 200, nil),
            ("GET", "/devices/9/stats", 404, "not_found"),
            ("GET", "/devices/abc", 404, "not_found"),
            ("PUT", "/devices", 405, "method_not_allowed"),
            ("GET", "/nowhere", 404, "not_found"),
        ]
        let failures = Mutex<[String]>([])
        let answered = Atomic<Int>(0)
        onThreads(16) { thread in
            for request in stride(from: thread, to: 200, by: 16) {
                let (method, target, status, code) = kinds[request % kinds.count]
                do {
                    let response = try LoopbackHTTPClient.send(method, target, port: port)
                    let json = try JSONDecoder().decode(JSONValue.self, from: Data(response.body))
                    var wrong = response.status != status || json["error"]?["code"]?.string != code
                    if target.hasSuffix("/stats") && status == 200 {
                        wrong = wrong || json["id"]?.number != Double(target.split(separator: "/")[1])
                    }
                    if method == "GET" && target == "/devices" { wrong = wrong || json["devices"]?.array?.count != 2 }
                    if wrong {
                        let what = "#\(request) \(method) \(target): \(response.status) \(response.bodyText)"
                        failures.withLock { $0.append(what) }
                    }
                    answered.add(1, ordering: .relaxed)
                } catch {
                    failures.withLock { $0.append("#\(request) \(method) \(target): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(answered.load(ordering: .relaxed) == 200)
        // Each request reached the service exactly once if it should, and the router answered the bad routes itself.
        var expected: [String: Int] = [:]
        for request in 0..<200 where request % kinds.count < 4 {
            expected[kinds[request % kinds.count].1, default: 0] += 1
        }
        var seen: [String: Int] = [:]
        for call in live.service.calls {
            switch call {
            case .list: seen["/devices", default: 0] += 1
            case .statistics(let id): seen["/devices/\(id)/stats", default: 0] += 1
            default: seen["\(call)", default: 0] += 1
            }
        }
        #expect(seen == expected)
        #expect(try live.send("GET", "/health").status == 200)
    }

    @Test func slowCreateDoesNotHoldUpHealth() throws {
        let live = try LiveServer()
        // Returns once the create is inside the service, so the health check below really overlaps it.
        let create = try InFlightCreate(on: live, delay: .seconds(2))
        let healthStart = ContinuousClock.now
        let health = try live.send("GET", "/health")
        let healthDone = ContinuousClock.now
        #expect(health.status == 200)
        #expect(healthDone - healthStart < .milliseconds(1500), "health took \(healthDone - healthStart)")

        #expect(create.finish() == 201)
        let answeredAt = try #require(create.answeredAt)
        #expect(answeredAt - create.started >= .milliseconds(1900), "the create was not slow: the test proves nothing")
        #expect(healthDone < answeredAt, "health should answer while the create is still in flight")
    }

    @Test func pollsAreAnsweredWhileSlowOperationsRunOnWorkers() throws {
        let live = try LiveServer()
        let port = live.port
        live.service.delayCreate(by: .seconds(2))
        let creates = Mutex<[ContinuousClock.Instant]>([])
        let group = DispatchGroup()
        for index in 0..<3 {
            group.enter()
            Thread {
                let body = Array(#"{"name": "slow\#(index)", "target": "null", "size": 4096}"#.utf8)
                if (try? LoopbackHTTPClient.send("POST", "/devices", port: port, body: body).status) == 201 {
                    creates.withLock { $0.append(ContinuousClock.now) }
                }
                group.leave()
            }.start()
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while live.service.calls.count < 3 {
            try #require(ContinuousClock.now < deadline, "the creates never reached the service")
            Thread.sleep(forTimeInterval: 0.01)
        }
        // Three handlers are blocked in the service now; the event loop must still answer every poll.
        var polled: [ContinuousClock.Instant] = []
        for _ in 0..<20 {
            #expect(try live.send("GET", "/devices/0/stats").status == 200)
            #expect(try live.send("GET", "/metrics").status == 200)
            polled.append(ContinuousClock.now)
        }
        group.wait()
        let answered = creates.withLock { $0 }
        #expect(answered.count == 3, "every create is answered once its worker is done")
        let firstCreate = try #require(answered.min())
        #expect(polled.allSatisfy { $0 < firstCreate }, "a poll waited for a create")
    }

    /// A live server whose log keeps what reaches `level`.
    static func logged(at level: Logger.Level) throws -> (LiveServer, LogRecords) {
        let records = LogRecords()
        var handler = records.handler
        handler.logLevel = level
        return (try LiveServer(logger: Logger(label: "ublkd.test", factory: { _ in handler })), records)
    }

    @Test func accessLogWritesErrorsChangesAndSlowRequestsOnly() throws {
        let (live, records) = try Self.logged(at: .info)
        #expect(try live.send("GET", "/health").status == 200)
        #expect(try live.send("GET", "/devices/0/stats").status == 200)
        #expect(records.all.isEmpty, "quick reads are not logged at info: \(records.all.map(\.message))")
        #expect(try live.send("GET", "/devices/9/stats").status == 404)
        #expect(try live.send("DELETE", "/devices/3").status == 204)
        live.service.delayCreate(by: AccessLog.slow + .milliseconds(20))
        #expect(try live.send("POST", "/devices", body: Array(#"{"name":"n","target":"null","size":4096}"#.utf8))
            .status == 201)
        let lines = records.all
        #expect(lines.map(\.message) == ["GET /devices/9/stats 404", "DELETE /devices/3 204", "POST /devices 201"])
        #expect(lines.allSatisfy { $0.level == .info && $0.metadata["http.duration_ms"] != nil })
        #expect(lines.first?.metadata["ublk.dev_id"] == "9")
        let slow = Double(lines.last.map { "\($0.metadata["http.duration_ms"]!)" } ?? "") ?? 0
        #expect(slow >= AccessLog.slow.milliseconds)
    }

    @Test func accessLogWritesEveryRequestAtDebug() throws {
        let (live, records) = try Self.logged(at: .debug)
        #expect(try live.send("GET", "/health").status == 200)
        #expect(records.all.map(\.message) == ["GET /health 200"])
        #expect(records.all.first?.level == .debug)
    }

    @Test func addressInUseOrNotOfThisHostIsRefused() throws {
        let live = try LiveServer()
        for text in ["127.0.0.1:\(live.port)", "192.0.2.1:0"] {
            let error = #expect(throws: ListenAddress.Error.self, "\(text)") {
                _ = try HTTPServer(listen: ListenAddress(parsing: text), logger: Logger(label: "ublkd.test"),
                                   route: { _, _ in RouteMatch(index: nil, placement: .eventLoop) },
                                   handler: { _ in HTTPResponse(status: 200, body: []) })
            }
            guard case .cannotListen(let address)? = error else { continue }
            #expect(address == text)
        }
        // The first server is unharmed.
        #expect(try live.send("GET", "/health").status == 200)
    }

    @Test(.enabled(if: LiveServerTests.ipv6LoopbackAvailable, "no ::1 on this host"))
    func servesOnIPv6Loopback() throws {
        let live = try LiveServer(listen: "[::1]:0")
        #expect(live.host == "::1")
        let response = try live.send("GET", "/devices/0")
        #expect(response.status == 200)
        #expect(response.errorCode == nil)
    }

    static var ipv6LoopbackAvailable: Bool {
        let probe = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }
}
