import Logging
import Synchronization

/// Keeps what was logged, to check that a failure was reported rather than thrown, or that a line was not written.
public final class LogRecords: Sendable {
    public struct Record: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: Logger.Metadata
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    public var all: [Record] { records.withLock { $0 } }
    public var handler: Handler { Handler(records: self) }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    public struct Handler: LogHandler {
        let records: LogRecords
        public var logLevel: Logger.Level = .trace
        public var metadata: Logger.Metadata = [:]

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        public func log(event: LogEvent) {
            records.append(Record(level: event.level, message: "\(event.message)",
                                  metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
