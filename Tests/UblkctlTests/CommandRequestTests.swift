import Foundation
@testable import ublkctl
import Testing

@Suite("Subcommands send what the user gave and nothing more")
struct CommandRequestTests {
    static func createBody(_ arguments: [String]) throws -> String {
        let command = try CreateCommand.parse(arguments)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(command.body), as: UTF8.self)
    }

    @Test func createSendsOnlyGivenFields() throws {
        #expect(try Self.createBody(["scratch", "--target", "memory", "--size", "256MiB"])
            == #"{"name":"scratch","size":"256MiB","target":"memory"}"#)
    }

    @Test func createMapsEveryOptionToItsWireName() throws {
        let body = try Self.createBody([
            "data", "--target", "file", "--path", "/srv/d.img", "--size", "10GiB", "--create", "--queues", "2",
            "--depth", "64", "--block-size", "4096", "--max-io-size", "1048576", "--read-only",
            "--recovery", "fail_io", "--io-mode", "zero_copy", "--no-pin-queues",
        ])
        #expect(body == #"{"block_size":4096,"create":true,"io_mode":"zero_copy","max_io_size":1048576,"#
            + #""name":"data","path":"/srv/d.img","pin_queues":false,"queue_depth":64,"queues":2,"read_only":true,"#
            + #""recovery":"fail_io","size":"10GiB","target":"file"}"#)
    }

    @Test func createSendsQueuesAutoAsTheAPISpellsIt() throws {
        #expect(try Self.createBody(["n", "--target", "null", "--size", "1GiB", "--queues", "auto"])
            == #"{"name":"n","queues":"auto","size":"1GiB","target":"null"}"#)
        #expect(throws: (any Error).self) { try CreateCommand.parse(["n", "--target", "null", "--queues", "many"]) }
    }

    @Test func createRefusesUnknownChoices() {
        #expect(throws: (any Error).self) { try CreateCommand.parse(["x", "--target", "bogus"]) }
        #expect(throws: (any Error).self) { try CreateCommand.parse(["x", "--target", "null", "--recovery", "x"]) }
    }

    @Test func eventsQueryCarriesOnlyGivenParameters() throws {
        #expect(try EventsCommand.parse([]).target == "/events")
        #expect(try EventsCommand.parse(["--limit", "2"]).target == "/events?limit=2")
        #expect(try EventsCommand.parse(["3"]).target == "/events?device_id=3")
        #expect(try EventsCommand.parse(["3", "--limit", "5"]).target == "/events?device_id=3&limit=5")
        #expect(try EventsCommand.parse(["3", "--limit", "5", "--before", "10"]).target
            == "/events?device_id=3&limit=5&before=10")
    }

    @Test func connectionOptionsWorkBeforeOrAfterTheSubcommand() throws {
        for arguments in [["--url", "http://h:1", "list", "--json"], ["list", "--url", "http://h:1", "--json"]] {
            let command = try UblkctlCommand.parseAsRoot(arguments)
            let list = try #require(command as? ListCommand)
            #expect(list.connection.url == "http://h:1")
            #expect(list.connection.json)
        }
    }

    @Test func environmentSuppliesURLAndToken() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ublkctl-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "  s3cret-token-value \n".write(toFile: tokenFile, atomically: true, encoding: .utf8)

        let options = try ConnectionOptions.parse([])
        let client = try options.client(environment: ["UBLKD_URL": "http://[::1]:7979", "UBLKD_TOKEN_FILE": tokenFile])
        #expect(client.http.server.authority == "[::1]:7979")
        #expect(client.token == "s3cret-token-value")
        #expect(try options.client(environment: [:]).http.server.description == "http://127.0.0.1:7878")
        #expect(try options.client(environment: [:]).token == nil)

        let flagged = try ConnectionOptions.parse(["--url", "http://10.0.0.1:1"])
        #expect(try flagged.client(environment: ["UBLKD_URL": "http://x:2"]).http.server.host == "10.0.0.1")
        #expect(throws: CLIError.self) {
            try ConnectionOptions.parse(["--token-file", directory.appendingPathComponent("none").path])
                .client(environment: [:])
        }
    }
}
