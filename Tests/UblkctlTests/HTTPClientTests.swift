import Foundation
@testable import ublkctl
import Testing

@Suite("The socket client against a real loopback listener")
struct HTTPClientTests {
    static func client(_ port: UInt16, timeout: Duration = .seconds(5), token: String? = nil) throws -> APIClient {
        APIClient(http: HTTPClient(server: try ServerURL(parsing: "http://127.0.0.1:\(port)"), timeout: timeout),
                  token: token)
    }

    @Test func sendsTheRequestAndReadsAChunkedAnswer() throws {
        let server = try OneShotServer(answer: Array(
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n5\r\n\":1}\n\r\n0\r\n\r\n".utf8))
        let body = try Self.client(server.port, token: "t0ken").call("POST", "/devices", json: Array("{}".utf8))
        #expect(String(decoding: body, as: UTF8.self) == "{\"a\":1}\n")
        let request = server.request()
        #expect(request.hasPrefix("POST /devices HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nConnection: close\r\n"))
        #expect(request.contains("\r\nAuthorization: Bearer t0ken\r\n"))
        #expect(request.contains("\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))
    }

    @Test func getCarriesNoContentLength() throws {
        let server = try OneShotServer(answer: Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".utf8))
        _ = try Self.client(server.port).call("GET", "/health")
        let request = server.request()
        #expect(!request.lowercased().contains("content-length"))
        #expect(!request.contains("Authorization"))
    }

    @Test func apiErrorsKeepTheirCode() throws {
        let server = try OneShotServer(answer: Array((
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 63\r\n\r\n"
                + #"{"error":{"code":"kernel_unavailable","message":"no ublk_drv"}}"#).utf8))
        #expect(throws: CLIError.api(status: 503, code: "kernel_unavailable", message: "no ublk_drv")) {
            try Self.client(server.port).call("POST", "/devices/1/start")
        }
        _ = server.request()
    }

    @Test func foreignErrorBodiesAreShownAsTheyAre() throws {
        let server = try OneShotServer(answer: Array("HTTP/1.1 502 Bad Gateway\r\n\r\n<h1>upstream</h1>".utf8))
        #expect(throws: CLIError.api(status: 502, code: "http_502", message: "<h1>upstream</h1>")) {
            try Self.client(server.port).call("GET", "/devices")
        }
        _ = server.request()
    }

    @Test func aSilentServerTimesOut() throws {
        let server = try OneShotServer(answer: nil)
        let started = ContinuousClock.now
        do {
            _ = try Self.client(server.port, timeout: .milliseconds(300)).call("GET", "/devices")
            Issue.record("expected a timeout")
        } catch let error as CLIError {
            guard case .unreachable(_, let reason, _) = error else { throw error }
            #expect(reason.contains("no answer within"))
            #expect(error.exitCode == 2)
        }
        #expect(started.duration(to: .now) < .seconds(2))
    }

    @Test func aClosedPortIsUnreachable() throws {
        let server = try OneShotServer(answer: Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
        _ = try Self.client(server.port).call("DELETE", "/devices/1")
        _ = server.request()
        // The listener is closed now, so the same port refuses.
        do {
            _ = try Self.client(server.port).call("GET", "/health")
            Issue.record("expected connection refused")
        } catch let error as CLIError {
            guard case .unreachable(let url, _, let hint) = error else { throw error }
            #expect(url == "http://127.0.0.1:\(server.port)")
            #expect(hint?.contains("make run") == true)
            #expect(error.message.hasPrefix("ublkctl: cannot reach ublkd at http://127.0.0.1:\(server.port): "))
        }
    }
}
