import ArgumentParser
import DeviceModel
import Foundation

// The definition's names are the flags' values, parsed by the definition's own parser.
extension TargetKind: ExpressibleByArgument {}
extension RecoveryMode: ExpressibleByArgument {}
extension IOModePreference: ExpressibleByArgument {}

struct CreateCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Define a device and build it; all or nothing.",
        discussion: """
            Only the options given are sent; the daemon fills in its defaults for the rest.
            Examples:
              ublkctl create scratch --target memory --size 256MiB
              ublkctl create data --target file --path /srv/data.img --size 10GiB --create
              ublkctl create vol1 --target nbd --uri nbd://storage1:10809/vol1
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Name: 1-64 characters of A-Z a-z 0-9 . _ -") var name: String
    @Option(help: "What serves the I/O.") var target: TargetKind
    @Option(help: "file target: absolute path of a regular file or block device.") var path: String?
    @Option(help: "nbd target: the export's NBD URI (nbd://host:10809/export, nbd+unix:///export?socket=PATH, nbds://...).")
    var uri: String?
    @Option(name: .customLong("reconnect-timeout"),
            help: "nbd target: seconds I/O waits for a lost server before it fails with EIO (default 30).")
    var reconnectTimeout: Int?
    @Option(help: "Bytes, or a size such as 512MiB, 10GiB (binary) or 1GB (decimal).") var size: String?
    @Flag(help: "file target: make a sparse file of --size bytes (refused if it exists).") var create = false
    @Option(help: "Number of I/O queues (at most the CPU count), or auto: one per CPU.") var queues: QueueCount?
    @Option(help: "Requests in flight per queue (1-4096).") var depth: Int?
    @Option(name: .customLong("block-size"), help: "Logical block size: 512 or 4096.") var blockSize: Int?
    @Option(name: .customLong("max-io-size"), help: "Largest single I/O in bytes (4096-4194304).") var maxIOSize: Int?
    @Flag(name: .customLong("read-only"), help: "Refuse writes.") var readOnly = false
    @Option(help: "What to do with in-flight I/O when ublkd restarts.") var recovery: RecoveryMode?
    @Option(name: .customLong("io-mode"), help: "How data moves between the kernel and the target.") var ioMode: IOModePreference?
    @Flag(name: .customLong("no-pin-queues"),
          help: "Leave the queue threads to the scheduler instead of the driver's CPU set for each queue.")
    var noPinQueues = false
    @Option(name: .customLong("queue-threads"),
            help: "Threads per queue, each serving its share of the tags (above 1 needs UBLK_F_PER_IO_DAEMON).")
    var queueThreads: Int?

    @Flag(name: .customLong("batch-io"),
          help: "Serve the queues with the batch command model (needs UBLK_F_BATCH_IO, kernel 7.0+).")
    var batchIO = false

    /// The POST body. Optionals left nil are omitted by the synthesized encoder, so the daemon's defaults apply.
    struct Body: Encodable {
        var name: String
        var target: String
        var path: String?
        var uri: String?
        var reconnectTimeout: Int?
        var size: String?
        var create: Bool?
        var queues: QueueCount?
        var queueDepth: Int?
        var blockSize: Int?
        var maxIOSize: Int?
        var readOnly: Bool?
        var recovery: String?
        var ioMode: String?
        var pinQueues: Bool?
        var queueThreads: Int?
        var batchIO: Bool?

        enum CodingKeys: String, CodingKey {
            case name, target, path, uri, size, create, queues, recovery
            case reconnectTimeout = "reconnect_timeout"
            case queueDepth = "queue_depth", blockSize = "block_size", maxIOSize = "max_io_size"
            case readOnly = "read_only", ioMode = "io_mode", pinQueues = "pin_queues"
            case queueThreads = "queue_threads", batchIO = "batch_io"
        }
    }

    var body: Body {
        Body(name: name, target: target.rawValue, path: path, uri: uri, reconnectTimeout: reconnectTimeout, size: size,
             create: create ? true : nil,
             queues: queues, queueDepth: depth, blockSize: blockSize, maxIOSize: maxIOSize,
             readOnly: readOnly ? true : nil, recovery: recovery?.rawValue, ioMode: ioMode?.rawValue,
             pinQueues: noPinQueues ? false : nil, queueThreads: queueThreads,
             batchIO: batchIO ? true : nil)
    }

    func run(with api: APIClient, output: Output) throws(CLIError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json: Data
        do {
            json = try encoder.encode(body)
        } catch {
            throw .usage("cannot encode the request: \(error)")
        }
        let answer = try api.call("POST", "/devices", json: Array(json))
        if connection.json { return output.raw(answer) }
        try api.decode(Device.self, from: answer).detailLines().forEach(output.line)
    }
}

/// `--queues`: a number, or `auto` (one queue per CPU of the daemon's host), sent as the API spells it.
enum QueueCount: ExpressibleByArgument, Encodable, Equatable {
    case count(Int)
    case perCPU

    init?(argument: String) {
        if argument == "auto" {
            self = .perCPU
        } else if let count = Int(argument) {
            self = .count(count)
        } else {
            return nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var value = encoder.singleValueContainer()
        switch self {
        case .count(let count): try value.encode(count)
        case .perCPU: try value.encode("auto")
        }
    }
}
