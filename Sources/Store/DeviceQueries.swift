import Foundation
internal import GRDB

/// The SQL behind every device operation, shared by `Store` (each call its own transaction) and `StoreTransaction`
/// (several calls in one). Errors are GRDB's or `StoreError`; callers fold them into `StoreError`.
enum DeviceQueries {
    /// ublk device ids are 20 bits wide; the schema's CHECK says the same.
    static let idLimit: UInt32 = 1 << 20

    private enum Columns {
        static let id = Column("id")
        static let name = Column("name")
    }

    static func device(id: UInt32, _ db: Database) throws -> DeviceRecord? {
        try DeviceRow.fetchOne(db, key: id)?.record
    }

    static func device(named name: String, _ db: Database) throws -> DeviceRecord? {
        try DeviceRow.filter(Columns.name == name).fetchOne(db)?.record
    }

    static func devices(_ db: Database) throws -> [DeviceRecord] {
        try DeviceRow.order(Columns.id).fetchAll(db).map(\.record)
    }

    static func freeDeviceID(excluding excluded: Set<UInt32>, _ db: Database) throws -> UInt32 {
        let used = try DeviceRow.select(Columns.id, as: UInt32.self).fetchSet(db)
        // Ends after at most used.count + excluded.count + 1 steps.
        var candidate: UInt32 = 0
        while candidate < idLimit {
            if !used.contains(candidate) && !excluded.contains(candidate) {
                return candidate
            }
            candidate += 1
        }
        throw StoreError.noFreeDeviceID
    }

    /// Checks name and id before inserting, rather than decoding SQLite's constraint message: the write transaction
    /// holds the database's write lock, so nothing can take either between the check and the insert.
    static func insert(_ device: DeviceRecord, _ db: Database) throws -> DeviceRecord {
        let stored = device.normalized
        if try self.device(named: stored.name, db) != nil {
            throw StoreError.nameTaken(stored.name)
        }
        if try DeviceRow.exists(db, key: stored.id) {
            throw StoreError.idTaken(stored.id)
        }
        var row = DeviceRow(stored)
        try row.insert(db)
        return stored
    }

    static func update(_ device: DeviceRecord, now: Date, _ db: Database) throws -> DeviceRecord {
        var stored = device
        stored.updatedAt = now
        stored = stored.normalized
        guard try DeviceRow.exists(db, key: stored.id) else {
            throw StoreError.notFound(stored.id)
        }
        if let holder = try self.device(named: stored.name, db), holder.id != stored.id {
            throw StoreError.nameTaken(stored.name)
        }
        try DeviceRow(stored).update(db)
        return stored
    }

    static func delete(id: UInt32, _ db: Database) throws {
        guard try DeviceRow.deleteOne(db, key: id) else {
            throw StoreError.notFound(id)
        }
    }
}
