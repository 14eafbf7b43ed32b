/// The body of `POST /devices`, checked field by field: unknown fields and wrong types are refused, not ignored.
public struct CreateDeviceRequest: Sendable, Equatable {
    public var name: String
    public var target: String
    public var path: String?
    public var size: UInt64?
    /// file target: make a sparse backing file of `size` bytes (refused if the file exists).
    public var create: Bool
    public var queues: Int
    public var queueDepth: Int
    public var blockSize: Int
    public var maxIOSize: Int
    public var readOnly: Bool
    public var recovery: String
    public var ioMode: String
    /// Pin each queue thread to the driver's CPU set for its queue.
    public var pinQueues: Bool
    /// Threads per queue (per-I/O daemon); above 1 only where the kernel has `UBLK_F_PER_IO_DAEMON`.
    public var queueThreads: Int
    /// The batch command model (`UBLK_F_BATCH_IO`); only where the kernel offers it.
    public var batchIO: Bool

    public init(name: String, target: String, path: String? = nil, size: UInt64? = nil, create: Bool = false,
                queues: Int = 1, queueDepth: Int = 128, blockSize: Int = 512, maxIOSize: Int = 512 * 1024,
                readOnly: Bool = false, recovery: String = "reissue", ioMode: String = "auto",
                pinQueues: Bool = true, queueThreads: Int = 1,
                batchIO: Bool = false) {
        self.name = name
        self.target = target
        self.path = path
        self.size = size
        self.create = create
        self.queues = queues
        self.queueDepth = queueDepth
        self.blockSize = blockSize
        self.maxIOSize = maxIOSize
        self.readOnly = readOnly
        self.recovery = recovery
        self.ioMode = ioMode
        self.pinQueues = pinQueues
        self.queueThreads = queueThreads
        self.batchIO = batchIO
    }

    static let fields: Set<String> = [
        "name", "target", "path", "size", "create", "queues", "queue_depth", "block_size", "max_io_size",
        "read_only", "recovery", "io_mode", "pin_queues", "queue_threads", "batch_io",
    ]
    /// Far beyond any real disk, and within what SQLite's 64-bit integers hold.
    static let maxSize: UInt64 = 1 << 60
    static let targets: Set<String> = ["null", "file", "memory"]
    static let recoveryModes: Set<String> = ["reissue", "fail_io", "none"]
    static let ioModes: Set<String> = ["auto", "copy", "zero_copy"]

    /// Decodes and checks what can be checked without the kernel or the file system.
    public init(json object: [String: JSONValue]) throws(APIError) {
        let unknown = Set(object.keys).subtracting(Self.fields)
        if !unknown.isEmpty {
            throw .validation("unknown field(s): \(unknown.sorted().joined(separator: ", "))")
        }
        let fields = FieldReader(object)
        name = try fields.string("name", required: true)!
        target = try fields.string("target", required: true)!
        path = try fields.string("path")
        size = try fields.size("size")
        create = try fields.bool("create") ?? false
        queues = try fields.integer("queues") ?? 1
        queueDepth = try fields.integer("queue_depth") ?? 128
        blockSize = try fields.integer("block_size") ?? 512
        maxIOSize = try fields.integer("max_io_size") ?? 512 * 1024
        readOnly = try fields.bool("read_only") ?? false
        recovery = try fields.string("recovery") ?? "reissue"
        ioMode = try fields.string("io_mode") ?? "auto"
        pinQueues = try fields.bool("pin_queues") ?? true
        queueThreads = try fields.integer("queue_threads") ?? 1
        batchIO = try fields.bool("batch_io") ?? false
        try check()
    }

    func check() throws(APIError) {
        guard (1...64).contains(name.count),
              name.unicodeScalars.allSatisfy({ Self.nameCharacters.contains($0) })
        else {
            throw .validation("name must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        guard Self.targets.contains(target) else {
            throw .validation("target must be one of null, file, memory")
        }
        guard Self.recoveryModes.contains(recovery) else {
            throw .validation("recovery must be one of reissue, fail_io, none")
        }
        guard Self.ioModes.contains(ioMode) else {
            throw .validation("io_mode must be one of auto, copy, zero_copy")
        }
        if target == "file" {
            guard let path, path.hasPrefix("/") else {
                throw .validation("a file device needs an absolute \"path\"")
            }
            if create && size == nil { throw .validation("\"create\": true needs a \"size\"") }
        } else {
            if path != nil { throw .validation("\"path\" is only for file devices") }
            if create { throw .validation("\"create\" is only for file devices") }
            if size == nil { throw .validation("a \(target) device needs a \"size\"") }
        }
        if let size {
            guard size > 0 else { throw .validation("size must be greater than zero") }
            guard size <= Self.maxSize else { throw .validation("size must be at most \(Self.maxSize) bytes (1 EiB)") }
            if [512, 4096].contains(blockSize), size % UInt64(blockSize) != 0 {
                throw .validation("size \(size) is not a multiple of the block size \(blockSize)")
            }
        }
    }

    static let nameCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars)
}

/// Reads typed fields out of a decoded JSON object, with messages that name the field.
struct FieldReader {
    let object: [String: JSONValue]

    init(_ object: [String: JSONValue]) { self.object = object }

    /// A field left out takes its default; an explicit null is refused like any other wrong type (the spec has
    /// no nullable fields, and a client sending null most likely meant something the daemon cannot guess).
    func value(_ key: String, required: Bool) throws(APIError) -> JSONValue? {
        guard let value = object[key] else {
            if required { throw .validation("\"\(key)\" is required") }
            return nil
        }
        if value == .null { throw .validation("\"\(key)\" must not be null: leave it out to take the default") }
        return value
    }

    func string(_ key: String, required: Bool = false) throws(APIError) -> String? {
        guard let value = try value(key, required: required) else { return nil }
        guard case .string(let string) = value else { throw .validation("\"\(key)\" must be a string") }
        return string
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = try value(key, required: false) else { return nil }
        guard case .bool(let bool) = value else { throw .validation("\"\(key)\" must be true or false") }
        return bool
    }

    func integer(_ key: String) throws(APIError) -> Int? {
        guard let value = try value(key, required: false) else { return nil }
        guard case .integer(let integer) = value, let fitting = Int(exactly: integer) else {
            throw .validation("\"\(key)\" must be an integer")
        }
        return fitting
    }

    /// A byte count: a non-negative integer, or a string such as "512MiB", "10GiB", "1G" or "4096".
    func size(_ key: String) throws(APIError) -> UInt64? {
        guard let value = try value(key, required: false) else { return nil }
        switch value {
        case .integer(let integer):
            guard integer >= 0 else { throw .validation("\"\(key)\" must be a positive whole number of bytes") }
            return UInt64(integer)
        case .number:
            throw .validation("\"\(key)\" must be a whole number of bytes")
        case .string(let text):
            guard let bytes = ByteSize.parse(text) else {
                throw .validation("\"\(key)\" \"\(text)\" is not a size (e.g. 1073741824, \"512MiB\", \"10GiB\")")
            }
            return bytes
        default:
            throw .validation("\"\(key)\" must be a number of bytes or a string such as \"10GiB\"")
        }
    }
}
