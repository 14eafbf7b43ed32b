import Foundation
internal import GRDB

/// GRDB's view of an `events` row; see `DeviceRow` for why a wrapper with spelled-out columns.
struct EventRow: FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "events"

    enum Columns {
        static let id = Column("id")
        static let deviceID = Column("device_id")
        static let kind = Column("kind")
    }

    var record: EventRecord

    init(_ record: EventRecord) {
        self.record = record
    }

    init(row: Row) throws {
        record = EventRecord(
            id: try row.integer("id", of: "events"),
            deviceID: try row.integer("device_id", of: "events"),
            deviceName: try row.decode(forColumn: "device_name"),
            kind: try row.decode(forColumn: "kind"),
            startedAt: try row.timestamp("started_at", of: "events"),
            finishedAt: try row.optionalTimestamp("finished_at", of: "events"),
            durationMs: try row.optionalInteger("duration_ms", of: "events"),
            outcome: try row.decode(forColumn: "outcome"),
            error: try row.decode(forColumn: "error"),
            detail: try row.decode(forColumn: "detail"))
    }

    func encode(to container: inout PersistenceContainer) throws {
        // NULL lets SQLite pick the next id.
        container["id"] = record.id == 0 ? nil : record.id
        container["device_id"] = record.deviceID
        container["device_name"] = record.deviceName
        container["kind"] = record.kind
        container["started_at"] = try Timestamp.string(record.startedAt, column: "events.started_at")
        container["finished_at"] = try record.finishedAt.map { date throws(StoreError) in
            try Timestamp.string(date, column: "events.finished_at")
        }
        container["duration_ms"] = record.durationMs
        container["outcome"] = record.outcome
        container["error"] = record.error
        container["detail"] = record.detail
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        record.id = inserted.rowID
    }
}

extension EventRecord {
    /// This event as it reads back after a write; see `DeviceRecord.normalized`.
    var normalized: EventRecord {
        var copy = self
        copy.startedAt = Timestamp.normalized(startedAt) ?? startedAt
        copy.finishedAt = finishedAt.map { Timestamp.normalized($0) ?? $0 }
        return copy
    }
}
