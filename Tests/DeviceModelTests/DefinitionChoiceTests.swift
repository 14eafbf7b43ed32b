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
        #expect(throws: DefinitionError("target must be one of null, file, memory, not \"NULL\"")) {
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
        #expect(Set(object.keys) == Set(DeviceDefinition.Field.allCases.map(\.rawValue)))
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
