/// The definition as the API's JSON spells it (api/openapi.yaml): flat snake_case fields, the target's own fields
/// (`path`) beside `target`. The device JSON carries these fields among its others, so a client decodes the
/// definition from the same object.
extension DeviceDefinition: Codable {
    public enum Field: String, CodingKey, CaseIterable, Sendable {
        case name, target, path, uri, size, queues, recovery
        case reconnectTimeout = "reconnect_timeout"
        case queueDepth = "queue_depth", blockSize = "block_size", maxIOSize = "max_io_size"
        case readOnly = "read_only", ioMode = "io_mode", pinQueues = "pin_queues"
        case queueThreads = "queue_threads", batchIO = "batch_io"
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Field.self)
        try fields.encode(name, forKey: .name)
        try fields.encode(target.kind, forKey: .target)
        try fields.encodeIfPresent(target.path, forKey: .path)
        if case .nbd(let export) = target {
            // Never with credentials: the stored URI keeps them for connecting, the wire shows them to nobody.
            try fields.encode(export.displayURI, forKey: .uri)
            try fields.encode(export.reconnectTimeoutSeconds, forKey: .reconnectTimeout)
        }
        try fields.encode(sizeBytes, forKey: .size)
        try fields.encode(queues, forKey: .queues)
        try fields.encode(queueDepth, forKey: .queueDepth)
        try fields.encode(blockSize, forKey: .blockSize)
        try fields.encode(maxIOBytes, forKey: .maxIOSize)
        try fields.encode(readOnly, forKey: .readOnly)
        try fields.encode(recovery, forKey: .recovery)
        try fields.encode(ioMode, forKey: .ioMode)
        try fields.encode(pinQueues, forKey: .pinQueues)
        try fields.encode(queueThreads, forKey: .queueThreads)
        try fields.encode(batchIO, forKey: .batchIO)
    }

    /// Fields added after the first release may be absent (an older daemon): they take their defaults.
    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Field.self)
        let kind = try fields.decode(TargetKind.self, forKey: .target)
        let target: TargetDefinition
        switch kind {
        case .null: target = .null
        case .memory: target = .memory
        case .file: target = .file(path: try fields.decode(String.self, forKey: .path))
        case .nbd:
            target = .nbd(NBDExportDefinition(
                uri: try fields.decode(String.self, forKey: .uri),
                reconnectTimeoutSeconds: try fields.decode(Int.self, forKey: .reconnectTimeout)))
        }
        self.init(
            name: try fields.decode(String.self, forKey: .name), target: target,
            sizeBytes: try fields.decode(UInt64.self, forKey: .size),
            queues: try fields.decode(Int.self, forKey: .queues),
            queueDepth: try fields.decode(Int.self, forKey: .queueDepth),
            blockSize: try fields.decode(Int.self, forKey: .blockSize),
            maxIOBytes: try fields.decode(Int.self, forKey: .maxIOSize),
            readOnly: try fields.decode(Bool.self, forKey: .readOnly),
            recovery: try fields.decode(RecoveryMode.self, forKey: .recovery),
            ioMode: try fields.decode(IOModePreference.self, forKey: .ioMode),
            pinQueues: try fields.decodeIfPresent(Bool.self, forKey: .pinQueues) ?? true,
            queueThreads: try fields.decodeIfPresent(Int.self, forKey: .queueThreads) ?? Defaults.queueThreads,
            batchIO: try fields.decodeIfPresent(Bool.self, forKey: .batchIO) ?? false)
    }
}
