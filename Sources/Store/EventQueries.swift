import Foundation
internal import GRDB

/// The SQL behind every event operation; see `DeviceQueries`.
enum EventQueries {
    private enum Columns {
        static let id = Column("id")
        static let deviceID = Column("device_id")
        static let kind = Column("kind")
    }

    /// The id in `event` is ignored: SQLite assigns the next one, so ids always grow with insertion order.
    static func append(_ event: EventRecord, _ db: Database) throws -> EventRecord {
        var fresh = event.normalized
        fresh.id = 0
        var row = EventRow(fresh)
        try row.insert(db)
        return row.record
    }

    static func events(deviceID: UInt32?, limit: Int, before: Int64?, _ db: Database) throws -> [EventRecord] {
        // SQLite reads a negative LIMIT as "no limit".
        guard limit > 0 else { return [] }
        var request = EventRow.all()
        if let deviceID {
            request = request.filter(Columns.deviceID == deviceID)
        }
        if let before {
            request = request.filter(Columns.id < before)
        }
        return try request.order(Columns.id.desc).limit(limit).fetchAll(db).map(\.record)
    }

    static func lastEvent(deviceID: UInt32, kinds: Set<String>?, _ db: Database) throws -> EventRecord? {
        try request(deviceID: deviceID, kinds: kinds).order(Columns.id.desc).fetchOne(db)?.record
    }

    static func eventCount(deviceID: UInt32, kinds: Set<String>?, _ db: Database) throws -> Int {
        try request(deviceID: deviceID, kinds: kinds).fetchCount(db)
    }

    /// Per stored device: how many events of `kinds` it has had since it was created (an id a deleted device had
    /// before it does not bring that device's history along), and the newest of them. Two queries for all.
    static func summaries(kinds: Set<String>, _ db: Database) throws -> [UInt32: EventSummary] {
        guard !kinds.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        let rows = try Row.fetchAll(db, sql: """
            SELECT e.device_id, count(*), max(e.id) FROM events e JOIN devices d ON d.id = e.device_id
            WHERE e.kind IN (\(marks)) AND e.started_at >= d.created_at GROUP BY e.device_id
            """, arguments: StatementArguments(kinds.sorted()))
        var summaries: [UInt32: EventSummary] = [:]
        var newest: [Int64] = []
        for row in rows {
            let id: UInt32 = try row.integer("device_id", of: "events")
            summaries[id] = EventSummary(count: row[1], last: nil)
            newest.append(row[2])
        }
        for event in try EventRow.filter(newest.contains(Columns.id)).fetchAll(db) {
            summaries[event.record.deviceID]?.last = event.record
        }
        return summaries
    }

    private static func request(deviceID: UInt32, kinds: Set<String>?) -> QueryInterfaceRequest<EventRow> {
        let request = EventRow.filter(Columns.deviceID == deviceID)
        guard let kinds else { return request }
        return request.filter(kinds.contains(Columns.kind))
    }
}
