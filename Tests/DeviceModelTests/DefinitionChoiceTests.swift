import DeviceModel
import Foundation
import Testing

@Suite("One parser for every name a definition field takes, and one wire form")
struct DefinitionChoiceTests {
    @Test func namesParseAndUnknownOnesNameTheField() throws {
        #expect(try RecoveryMode.parse("fail_io") == .failIO)
        #expect(try IOModePreference.parse("zero_copy") == .zeroCopy)
        #expect(try TargetKind.parse("file") == .file)
        #expect(throws: DefinitionError("recovery must be one of reissue, fail_io, none, not \"retry\"")) {
            try RecoveryMode.parse("retry")
        }
        #expect(throws: DefinitionError("target must be one of null, file, memory, nbd, not \"NULL\"")) {
            try TargetKind.parse("NULL")
        }
    }

    @Test func theWireFormRoundTrips() throws {
        let definition = DeviceDefinition(
            name: "db", target: .file(path: "/srv/db.img"), sizeBytes: 1 << 30, queues: 2, queueDepth: 64,
            blockSize: 4096, maxIOBytes: 1 << 20, readOnly: true, recovery: .failIO, ioMode: .copy, pinQueues: false,
            queueThreads: 2, batchIO: true)
        let json = try JSONEncoder().encode(definition)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(object.keys) == Set(DeviceDefinition.Field.allCases.map(\.rawValue)).subtracting(["uri", "reconnect_timeout"]))
        #expect(object["target"] as? String == "file" && object["path"] as? String == "/srv/db.img")
        #expect(object["io_mode"] as? String == "copy" && object["recovery"] as? String == "fail_io")
        #expect(try JSONDecoder().decode(DeviceDefinition.self, from: json) == definition)
    }

    @Test func fieldsOfLaterReleasesTakeTheirDefaultsWhenAbsent() throws {
        let old = #"""
            {"name": "n", "target": "null", "size": 4096, "queues": 1, "queue_depth": 8, "block_size": 512,
             "max_io_size": 4096, "read_only": false, "recovery": "reissue", "io_mode": "auto"}
            """#
        let definition = try JSONDecoder().decode(DeviceDefinition.self, from: Data(old.utf8))
        #expect(definition.target == .null && definition.pinQueues && definition.queueThreads == 1)
        #expect(!definition.batchIO)
    }
}

@Suite("NBD URIs: checked in shape, shown without credentials")
struct NBDExportDefinitionTests {
    @Test(arguments: [
        "nbd://localhost/disk", "nbd://127.0.0.1:10809/", "nbd://[::1]:10809/export", "nbds://user@host/e",
        "nbd+unix:///export?socket=/run/x.sock", "nbds+unix://?socket=/s&tls-psk-file=/k",
    ])
    func accepted(_ uri: String) {
        #expect(NBDExportDefinition(uri: uri).uriProblem == nil, "\(uri)")
    }

    @Test(arguments: [
        "", "localhost:10809", "http://host/e", "nbd://", "nbd://:10809/e", "nbd://host:99999/e", "nbd://host:x/e",
        "nbd+unix:///export", "nbd://host/exp ort", "nbd+vsock://1/e",
    ])
    func refused(_ uri: String) {
        #expect(NBDExportDefinition(uri: uri).uriProblem != nil, "\(uri)")
    }

    @Test func credentialsNeverShow() {
        #expect(NBDExportDefinition(uri: "nbds://alice:secret@host:10809/e").displayURI == "nbds://host:10809/e")
        #expect(NBDExportDefinition(uri: "nbds+unix:///e?socket=/s&tls-psk-file=/etc/k").displayURI
                == "nbds+unix:///e?socket=/s")
        #expect(NBDExportDefinition(uri: "nbd://host/e").displayURI == "nbd://host/e")
    }
}
