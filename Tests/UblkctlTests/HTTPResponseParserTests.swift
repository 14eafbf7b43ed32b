@testable import ublkctl
import Testing

@Suite("HTTP responses are framed by Content-Length, chunked encoding, or the server closing")
struct HTTPResponseParserTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func contentLengthStopsAtTheDeclaredLength() throws {
        let wire = Self.bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        let response = try #require(try HTTPResponseParser.parse(wire, atEOF: false))
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response.header("content-type") == "application/json")
        #expect(response.body == Self.bytes("{}"))
    }

    @Test func waitsForTheRestOfTheBody() throws {
        let wire = Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\"")
        #expect(try HTTPResponseParser.parse(wire, atEOF: false) == nil)
        #expect(throws: HTTPParseError.truncated) { try HTTPResponseParser.parse(wire, atEOF: true) }
    }

    @Test func joinsChunksAndIgnoresExtensionsAndTrailers() throws {
        let wire = Self.bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4;x=y\r\n{\"de\r\nA\r\nvices\": []\r\n1\r\n}\r\n0\r\nX-T: 1\r\n\r\n")
        let response = try #require(try HTTPResponseParser.parse(wire, atEOF: false))
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"devices\": []}")
    }

    @Test func chunkedBodiesArriveInAnySplit() throws {
        let wire = Self.bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        for cut in 0..<wire.count {
            #expect(try HTTPResponseParser.parse(Array(wire[..<cut]), atEOF: false) == nil, "cut at \(cut)")
        }
        let response = try #require(try HTTPResponseParser.parse(wire, atEOF: false))
        #expect(response.body == Self.bytes("hello world"))
    }

    @Test func aBodyWithoutFramingRunsToEOF() throws {
        let wire = Self.bytes("HTTP/1.1 200 OK\r\n\r\nsome body")
        #expect(try HTTPResponseParser.parse(wire, atEOF: false) == nil)
        #expect(try HTTPResponseParser.parse(wire, atEOF: true)?.body == Self.bytes("some body"))
    }

    @Test func noContentHasNoBody() throws {
        let wire = Self.bytes("HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n")
        let response = try #require(try HTTPResponseParser.parse(wire, atEOF: false))
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
    }

    @Test func interimAnswersAreSkipped() throws {
        let wire = Self.bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx")
        let response = try #require(try HTTPResponseParser.parse(wire, atEOF: false))
        #expect(response.status == 201)
        #expect(response.body == Self.bytes("x"))
    }

    @Test func somethingThatIsNotHTTPIsMalformed() {
        #expect(throws: HTTPParseError.malformed("not HTTP/1.x")) {
            try HTTPResponseParser.parse(Self.bytes("SSH-2.0-OpenSSH_9.6\r\n"), atEOF: true)
        }
        #expect(throws: HTTPParseError.self) {
            try HTTPResponseParser.parse(Self.bytes("HTTP/1.1 OK\r\n\r\n"), atEOF: true)
        }
        #expect(throws: HTTPParseError.self) {
            try HTTPResponseParser.parse(
                Self.bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), atEOF: false)
        }
        #expect(throws: HTTPParseError.truncated) { try HTTPResponseParser.parse([], atEOF: true) }
    }
}
