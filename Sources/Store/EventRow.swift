import Foundation
internal import GRDB

/// A row of `events`.
extension EventRecord: StoredRecord {
    static let tableName = "events"

    init(row: Row) throws {
        self.init(
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

    func encodeColumns(into container: inout PersistenceContainer) throws {
        // NULL lets SQLite pick the next id.
        container["id"] = id == 0 ? nil : id
        container["device_id"] = deviceID
        container["device_name"] = deviceName
        container["kind"] = kind
        container["started_at"] = try Timestamp.string(startedAt, column: "events.started_at")
        container["finished_at"] = try finishedAt.map { date throws(StoreError) in
            try Timestamp.string(date, column: "events.finished_at")
        }
        container["duration_ms"] = durationMs
        container["outcome"] = outcome
        container["error"] = error
        container["detail"] = detail
    }

    mutating func inserted(rowID: Int64) {
        id = rowID
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
