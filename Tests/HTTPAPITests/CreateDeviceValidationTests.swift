import DeviceModel
import HTTPAPI
import Testing

@Suite("POST /devices: the body is checked field by field, and nothing wrong reaches the service")
struct CreateDeviceValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let why: String
        let body: String
        var testDescription: String { why }

        init(_ why: String, _ body: String) {
            self.why = why
            self.body = body
        }
    }

    static let refused: [Case] = [
        Case("unknown field", #"{"name": "d", "target": "null", "size": 4096, "colour": "red"}"#),
        Case("camelCase spelling", #"{"name": "d", "target": "null", "size": 4096, "queueDepth": 8}"#),
        Case("string for queues", #"{"name": "d", "target": "null", "size": 4096, "queues": "2"}"#),
        Case("bool for queues", #"{"name": "d", "target": "null", "size": 4096, "queues": true}"#),
        Case("number for name", #"{"name": 5, "target": "null", "size": 4096}"#),
        Case("array for target", #"{"name": "d", "target": ["null"], "size": 4096}"#),
        Case("1.5 for queue_depth", #"{"name": "d", "target": "null", "size": 4096, "queue_depth": 1.5}"#),
        Case("huge queue_depth", #"{"name": "d", "target": "null", "size": 4096, "queue_depth": 1e300}"#),
        Case("string for block_size", #"{"name": "d", "target": "null", "size": 4096, "block_size": "512"}"#),
        Case("number for read_only", #"{"name": "d", "target": "null", "size": 4096, "read_only": 1}"#),
        Case("string for create", #"{"name": "d", "target": "file", "path": "/x", "size": 4096, "create": "yes"}"#),
        Case("number for path", #"{"name": "d", "target": "file", "path": 5}"#),
        Case("true for size", #"{"name": "d", "target": "null", "size": true}"#),
        Case("array for size", #"{"name": "d", "target": "null", "size": [4096]}"#),
        Case("object for size", #"{"name": "d", "target": "null", "size": {"bytes": 4096}}"#),
        Case("zero size", #"{"name": "d", "target": "null", "size": 0}"#),
        Case("zero size as string", #"{"name": "d", "target": "memory", "size": "0GiB"}"#),
        Case("negative size", #"{"name": "d", "target": "null", "size": -4096}"#),
        Case("fractional size", #"{"name": "d", "target": "null", "size": 4096.5}"#),
        Case("size past UInt64", #"{"name": "d", "target": "null", "size": 1e30}"#),
        Case("size not a multiple of 512", #"{"name": "d", "target": "null", "size": 1000}"#),
        Case("1KB is 1000 bytes", #"{"name": "d", "target": "null", "size": "1KB"}"#),
        Case("size not a multiple of 4096",
             #"{"name": "d", "target": "memory", "size": 4608, "block_size": 4096}"#),
        Case("file size not a multiple of the block size",
             #"{"name": "d", "target": "file", "path": "/x", "size": 513}"#),
        Case("missing name", #"{"target": "null", "size": 4096}"#),
        Case("null name", #"{"name": null, "target": "null", "size": 4096}"#),
        Case("null for an optional field", #"{"name": "d", "target": "null", "size": 4096, "queue_threads": null}"#),
        Case("null path of a null device", #"{"name": "d", "target": "null", "size": 4096, "path": null}"#),
        Case("missing target", #"{"name": "d", "size": 4096}"#),
        Case("empty name", #"{"name": "", "target": "null", "size": 4096}"#),
        Case("space in name", #"{"name": "my disk", "target": "null", "size": 4096}"#),
        Case("slash in name", #"{"name": "a/b", "target": "null", "size": 4096}"#),
        Case("bang in name", #"{"name": "disk!", "target": "null", "size": 4096}"#),
        Case("newline in name", #"{"name": "disk\n", "target": "null", "size": 4096}"#),
        Case("non-ASCII letter in name", #"{"name": "dïsk", "target": "null", "size": 4096}"#),
        Case("fullwidth digit in name", #"{"name": "disk１", "target": "null", "size": 4096}"#),
        Case("65-character name",
             #"{"name": "\#(String(repeating: "a", count: 65))", "target": "null", "size": 4096}"#),
        Case("unknown target", #"{"name": "d", "target": "nvme", "size": 4096}"#),
        Case("target in capitals", #"{"name": "d", "target": "NULL", "size": 4096}"#),
        Case("unknown recovery", #"{"name": "d", "target": "null", "size": 4096, "recovery": "retry"}"#),
        Case("string for pin_queues", #"{"name": "d", "target": "null", "size": 4096, "pin_queues": "no"}"#),
        Case("string for queue_threads", #"{"name": "d", "target": "null", "size": 4096, "queue_threads": "2"}"#),
        Case("string for batch_io", #"{"name": "d", "target": "null", "size": 4096, "batch_io": "yes"}"#),
        Case("number for batch_io", #"{"name": "d", "target": "null", "size": 4096, "batch_io": 1}"#),
        Case("fraction for queue_threads", #"{"name": "d", "target": "null", "size": 4096, "queue_threads": 1.5}"#),
        Case("unknown io_mode", #"{"name": "d", "target": "null", "size": 4096, "io_mode": "zerocopy"}"#),
        Case("file without path", #"{"name": "d", "target": "file", "size": 4096}"#),
        Case("file with relative path", #"{"name": "d", "target": "file", "path": "disks/d.img"}"#),
        Case("file with empty path", #"{"name": "d", "target": "file", "path": ""}"#),
        Case("file create without size", #"{"name": "d", "target": "file", "path": "/x", "create": true}"#),
        Case("null target with path", #"{"name": "d", "target": "null", "path": "/x", "size": 4096}"#),
        Case("memory target with path", #"{"name": "d", "target": "memory", "path": "/x", "size": 4096}"#),
        Case("null target with create", #"{"name": "d", "target": "null", "size": 4096, "create": true}"#),
        Case("null target without size", #"{"name": "d", "target": "null"}"#),
        Case("memory target without size", #"{"name": "d", "target": "memory", "create": false}"#),
        Case("empty object", "{}"),
    ]

    @Test("refused with validation_failed", arguments: refused)
    func refusedBody(_ example: Case) throws {
        let harness = RouterHarness()
        let (response, created) = harness.create(example.body)
        expectError(response, .validationFailed)
        #expect(created == nil)
        #expect(harness.service.calls.isEmpty)
    }

    @Test func messageNamesTheUnknownFields() throws {
        let (response, _) = RouterHarness().create(#"{"name": "d", "target": "null", "zeta": 1, "alpha": 2}"#)
        let message = try #require(try response.json()["error"]?["message"]?.string)
        #expect(message.contains("alpha") && message.contains("zeta"))
    }

    @Test func minimalBodyTakesTheDefaults() throws {
        let (response, created) = RouterHarness().create(#"{"name": "d", "target": "memory", "size": 4096}"#)
        #expect(response.status == 201)
        let request = try #require(created)
        #expect(request == CreateDeviceRequest(definition: DeviceDefinition(name: "d", target: .memory, sizeBytes: 4096)))
        let definition = request.definition
        #expect(definition.queues == 1 && definition.queueDepth == 128 && definition.blockSize == 512)
        #expect(definition.maxIOBytes == 524_288 && definition.recovery == .reissue && definition.ioMode == .auto)
        #expect(definition.pinQueues == true && definition.queueThreads == 1 && definition.batchIO == false)
        #expect(definition.readOnly == false && request.create == false && definition.target.path == nil)
    }

    @Test func queuesAutoAsksForOnePerCPU() throws {
        let (response, created) = RouterHarness().create(#"{"name": "d", "target": "null", "size": 4096, "queues": "auto"}"#)
        #expect(response.status == 201, "\(response.bodyText)")
        #expect(created?.queuesPerCPU == true)
        let (counted, countedCreated) = RouterHarness().create(#"{"name": "d", "target": "null", "size": 4096, "queues": 2}"#)
        #expect(counted.status == 201)
        #expect(countedCreated?.queuesPerCPU == false && countedCreated?.definition.queues == 2)
        let (bad, _) = RouterHarness().create(#"{"name": "d", "target": "null", "size": 4096, "queues": "all"}"#)
        #expect(bad.status == 400)
        #expect(try bad.json()["error"]?["message"]?.string?.contains("auto") == true)
    }

    @Test func everyFieldReachesTheService() throws {
        let body = """
            {"name": "Disk_0.a-b", "target": "file", "path": "/srv/d.img", "size": "8GiB", "create": true,
             "queues": 4, "queue_depth": 256, "block_size": 4096, "max_io_size": 1048576, "read_only": true,
             "recovery": "fail_io", "io_mode": "zero_copy", "pin_queues": false, "queue_threads": 2,
             "batch_io": false}
            """
        let (response, created) = RouterHarness().create(body)
        #expect(response.status == 201, "\(response.bodyText)")
        let expected = CreateDeviceRequest(
            definition: DeviceDefinition(
                name: "Disk_0.a-b", target: .file(path: "/srv/d.img"), sizeBytes: 8 << 30, queues: 4,
                queueDepth: 256, blockSize: 4096, maxIOBytes: 1_048_576, readOnly: true, recovery: .failIO,
                ioMode: .zeroCopy, pinQueues: false, queueThreads: 2, batchIO: false),
            create: true)
        #expect(try #require(created) == expected)
        // batch_io serves a queue from one thread, so it travels on its own.
        let (batch, batchCreated) = RouterHarness().create(#"{"name": "b", "target": "null", "size": 4096, "batch_io": true}"#)
        #expect(batch.status == 201, "\(batch.bodyText)")
        #expect(batchCreated?.definition.batchIO == true)
    }

    @Test("accepted", arguments: [
        Case("64-character name", #"{"name": "\#(String(repeating: "z", count: 64))", "target": "null", "size": 512}"#),
        Case("file without size takes the file's", #"{"name": "d", "target": "file", "path": "/dev/sdb"}"#),
        Case("every recovery mode", #"{"name": "d", "target": "null", "size": 4096, "recovery": "none"}"#),
        Case("whole number written as a float", #"{"name": "d", "target": "null", "size": 4096.0, "queues": 2.0}"#),
    ])
    func acceptedBody(_ example: Case) {
        let (response, created) = RouterHarness().create(example.body)
        #expect(response.status == 201, "\(response.bodyText)")
        #expect(created != nil)
    }

    /// Integer sizes stay integers all the way (a Double would round them past 2^53): 2^59 + 512 arrives exact,
    /// and the odd 2^53 + 1 is refused as not a multiple of 512 instead of being rounded into one.
    @Test func largeIntegerSizeIsExact() throws {
        let exact = RouterHarness().create(#"{"name": "d", "target": "null", "size": "576460752303423999"}"#)
        #expect(exact.0.status == 400, "not a multiple of 512")

        let (rounded, created) = RouterHarness().create(
            #"{"name": "d", "target": "null", "size": 576460752303424000}"#)
        #expect(rounded.status == 201)
        #expect(created?.size == 576_460_752_303_424_000)

        let (odd, oddCreated) = RouterHarness().create(
            #"{"name": "d", "target": "null", "size": 9007199254740993}"#)
        expectError(odd, .validationFailed)
        #expect(oddCreated == nil)
    }
}
