import DeviceModel

/// The body of `POST /devices`, checked field by field: unknown fields and wrong types are refused, not ignored.
public struct CreateDeviceRequest: Sendable, Equatable {
    /// The device as asked, defaults filled in. When `sizeFromBackingStore` is set its size is 0 until the daemon
    /// has looked at the backing store.
    public var definition: DeviceDefinition
    /// No `size` was given: a file device takes its backing file's.
    public var sizeFromBackingStore: Bool
    /// file target: make a sparse backing file of the device's size (refused if the file exists).
    public var create: Bool
    /// `"queues": "auto"`: one queue per CPU of the host that serves the device (its definition's `queues` is a
    /// placeholder until the daemon knows the host).
    public var queuesPerCPU: Bool

    public init(definition: DeviceDefinition, sizeFromBackingStore: Bool = false, create: Bool = false,
                queuesPerCPU: Bool = false) {
        self.definition = definition
        self.sizeFromBackingStore = sizeFromBackingStore
        self.create = create
        self.queuesPerCPU = queuesPerCPU
    }

    /// The size asked for, if any.
    public var size: UInt64? { sizeFromBackingStore ? nil : definition.sizeBytes }

    static let fields: Set<String> = Set(DeviceDefinition.Field.allCases.map(\.rawValue)).union(["create"])

    /// Decodes and checks what can be checked without the kernel, the file system or the host's limits.
    public init(json object: [String: JSONValue]) throws(APIError) {
        let unknown = Set(object.keys).subtracting(Self.fields)
        if !unknown.isEmpty {
            throw .validation("unknown field(s): \(unknown.sorted().joined(separator: ", "))")
        }
        let fields = FieldReader(object)
        typealias Field = DeviceDefinition.Field
        typealias Defaults = DeviceDefinition.Defaults
        let name = try fields.string(Field.name.rawValue, required: true)!
        let kind = try fields.choice(Field.target.rawValue, TargetKind.self, required: true)!
        let path = try fields.string(Field.path.rawValue)
        let uri = try fields.string(Field.uri.rawValue)
        let reconnectTimeout = try fields.integer(Field.reconnectTimeout.rawValue)
        let size = try fields.size(Field.size.rawValue)
        create = try fields.bool("create") ?? false
        if kind != .file {
            if path != nil { throw .validation("\"path\" is only for file devices") }
            if create { throw .validation("\"create\" is only for file devices") }
        }
        if kind != .nbd && (uri != nil || reconnectTimeout != nil) {
            throw .validation("\"uri\" and \"reconnect_timeout\" are only for nbd devices")
        }
        let target: TargetDefinition
        switch kind {
        case .file:
            guard let path, path.hasPrefix("/") else { throw .validation("a file device needs an absolute \"path\"") }
            if create && size == nil { throw .validation("\"create\": true needs a \"size\"") }
            target = .file(path: path)
        case .nbd:
            guard let uri else { throw .validation("an nbd device needs a \"uri\", e.g. nbd://host:10809/export") }
            target = .nbd(NBDExportDefinition(
                uri: uri, reconnectTimeoutSeconds: reconnectTimeout ?? NBDExportDefinition.defaultReconnectTimeoutSeconds))
        case .null, .memory:
            if size == nil { throw .validation("a \(kind.rawValue) device needs a \"size\"") }
            target = kind == .null ? .null : .memory
        }
        sizeFromBackingStore = size == nil
        let queues = try fields.queueCount(Field.queues.rawValue)
        queuesPerCPU = queues.map { $0 == .perCPU } ?? Defaults.queuesPerCPU
        definition = DeviceDefinition(
            name: name, target: target, sizeBytes: size ?? 0,
            queues: queues?.count ?? Defaults.queues,
            queueDepth: try fields.integer(Field.queueDepth.rawValue) ?? Defaults.queueDepth,
            blockSize: try fields.integer(Field.blockSize.rawValue) ?? Defaults.blockSize,
            maxIOBytes: try fields.integer(Field.maxIOSize.rawValue) ?? Defaults.maxIOBytes,
            readOnly: try fields.bool(Field.readOnly.rawValue) ?? false,
            recovery: try fields.choice(Field.recovery.rawValue, RecoveryMode.self) ?? Defaults.recovery,
            ioMode: try fields.choice(Field.ioMode.rawValue, IOModePreference.self) ?? Defaults.ioMode,
            pinQueues: try fields.bool(Field.pinQueues.rawValue) ?? true,
            queueThreads: try fields.integer(Field.queueThreads.rawValue) ?? Defaults.queueThreads,
            batchIO: try fields.bool(Field.batchIO.rawValue) ?? false)
        do {
            try definition.validate(host: nil, sizeKnown: !sizeFromBackingStore)
        } catch {
            throw .validation(error.message)
        }
    }
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

    enum QueueCount: Equatable {
        case count(Int)
        /// "auto": one per CPU.
        case perCPU

        var count: Int? {
            if case .count(let count) = self { return count }
            return nil
        }
    }

    /// A queue count, or "auto".
    func queueCount(_ key: String) throws(APIError) -> QueueCount? {
        guard let value = try value(key, required: false) else { return nil }
        if case .string(let text) = value {
            guard text == "auto" else { throw .validation("\"\(key)\" must be a whole number or \"auto\"") }
            return .perCPU
        }
        return try integer(key).map(QueueCount.count)
    }

    /// One of a field's names (target, recovery, io_mode), parsed by the definition's own parser.
    func choice<T: DefinitionChoice>(_ key: String, _ type: T.Type, required: Bool = false) throws(APIError) -> T? {
        guard let text = try string(key, required: required) else { return nil }
        do {
            return try T.parse(text)
        } catch {
            throw .validation(error.message)
        }
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
