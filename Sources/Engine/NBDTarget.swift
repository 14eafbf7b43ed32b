import DeviceModel
import Synchronization
import UblkABI
import URing

/// An export of an NBD server (nbdkit, qemu-storage-daemon, nbd-server, ...), one connection per queue. The
/// export is probed when the target opens: its size, whether it is read-only, and which of FLUSH, FUA, TRIM and
/// WRITE_ZEROES it takes, which become the device's parameters.
///
/// Without the server's multi-conn flag, connections need not see one another's writes nor share a flush: such an
/// export is served through one queue only (a definition asking for more is refused).
public final class NBDTarget: Target {
    public let uri: String
    public let export: NBDExport
    let reconnectTimeout: Duration
    /// One per queue, made by `makeHandler`.
    private let connections = Mutex<[ConnectionCounters]>([])

    public init(_ definition: NBDExportDefinition, sizeBytes: UInt64, readOnly: Bool, queues: Int)
        throws(EngineError)
    {
        uri = definition.uri
        reconnectTimeout = .seconds(definition.reconnectTimeoutSeconds)
        export = try Self.probe(uri: definition.uri)
        if let refusal = export.refusal(sizeBytes: sizeBytes, readOnly: readOnly, queues: queues) {
            throw .backingStore(path: definition.displayURI, reason: refusal)
        }
    }

    /// What the export at `uri` offers, from one connection that is closed again.
    public static func probe(uri: String) throws(EngineError) -> NBDExport {
        if uri.hasPrefix("nbds"), !NBDConnection.supportsTLS {
            throw .network(what: "connecting to the export", message: "this libnbd was built without TLS",
                           errno: .notSupported)
        }
        var connection = try NBDConnection(name: "ublkd-probe")
        defer { connection.close() }
        try connection.connect(uri: uri)
        return connection.export
    }

    public var ioDescription: String { export.tls ? "nbd (TLS)" : "nbd" }
    /// The data crosses a socket: it must be in the queue's buffers.
    public var supportsZeroCopy: Bool { false }
    public var hasVolatileCache: Bool { export.canFlush }
    public var forceUnitAccess: Bool { export.canFUA }

    public func discardParams(logicalBlockSize: Int) -> DiscardParams? {
        guard export.canTrim || export.canZero else { return nil }
        return DiscardParams(granularity: UInt32(max(logicalBlockSize, 4096)),
                             maxDiscardSectors: export.canTrim ? 1 << 21 : 0,
                             maxWriteZeroesSectors: export.canZero ? 1 << 21 : 0, maxDiscardSegments: 1)
    }

    /// The export's size is the server's: a device may grow up to it, no further.
    public func prepareCapacity(_ bytes: UInt64) throws(EngineError) {
        let now = try Self.probe(uri: uri)
        guard now.sizeBytes >= bytes else {
            throw .backingStore(path: NBDExportDefinition(uri: uri).displayURI,
                                reason: "the export holds \(now.sizeBytes) bytes, less than \(bytes)")
        }
    }

    public func makeHandler(queue: Int, depth: Int) throws(EngineError) -> NBDHandler {
        let counters = ConnectionCounters()
        connections.withLock { $0.append(counters) }
        var connection = try NBDConnection(name: "ublkd-q\(queue)")
        do {
            try connection.connect(uri: uri)
        } catch {
            connection.close()
            throw error
        }
        return NBDHandler(uri: uri, connection: connection, counters: counters, depth: depth,
                          reconnectTimeout: reconnectTimeout)
    }

    public var hasConnections: Bool { true }

    public var connectionStatus: ConnectionStatus? {
        ConnectionStatus.combined(connections.withLock { $0.map(\.snapshot) })
    }

    public func close() {}
}
