import Foundation
internal import GRDB

/// What a record type gives to be stored as a row of its table: every column decoded strictly (see `Row+Strict`)
/// and written one by one. Spelled out rather than through a Codable mapping, so the public `Codable` stays free
/// for the daemon's JSON.
protocol StoredRecord: Sendable {
    static var tableName: String { get }
    init(row: Row) throws
    func encodeColumns(into container: inout PersistenceContainer) throws
    /// Takes the row id SQLite assigned on insert, for a record whose id it picks.
    mutating func inserted(rowID: Int64)
}

extension StoredRecord {
    mutating func inserted(rowID: Int64) {}
}

/// GRDB's view of a row of the record's table. A wrapper rather than a GRDB conformance of the record itself, so
/// that GRDB stays out of the store's public API.
struct StoredRow<Record: StoredRecord>: FetchableRecord, MutablePersistableRecord {
    static var databaseTableName: String { Record.tableName }

    var record: Record

    init(_ record: Record) {
        self.record = record
    }

    init(row: Row) throws {
        record = try Record(row: row)
    }

    func encode(to container: inout PersistenceContainer) throws {
        try record.encodeColumns(into: &container)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        record.inserted(rowID: inserted.rowID)
    }
}

typealias DeviceRow = StoredRow<DeviceRecord>
typealias EventRow = StoredRow<EventRecord>
