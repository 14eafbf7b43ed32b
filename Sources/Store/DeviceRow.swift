import Foundation
internal import GRDB

/// GRDB's view of a `devices` row. A wrapper rather than a conformance of `DeviceRecord` itself, so that GRDB stays
/// out of the store's public API. Columns are spelled out (no Codable mapping) so every column is decoded strictly
/// (see `Row+Strict`), and the public `Codable` stays free for the daemon's JSON.
struct DeviceRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "devices"

    enum Columns {
        static let id = Column("id")
        static let name = Column("name")
    }

    var record: DeviceRecord

    init(_ record: DeviceRecord) {
        self.record = record
    }

    init(row: Row) throws {
        let id: UInt32 = try row.integer("id", of: "devices")
        let state: String = try row.decode(forColumn: "desired_state")
        guard let desiredState = DesiredState(rawValue: state) else {
            throw StoreError.database("devices.desired_state of device \(id): unknown value \"\(state)\"")
        }
        record = DeviceRecord(
            id: id,
            name: try row.decode(forColumn: "name"),
            target: try row.decode(forColumn: "target"),
            path: try row.decode(forColumn: "path"),
            sizeBytes: try row.integer("size_bytes", of: "devices"),
            blockSize: try row.integer("block_size", of: "devices"),
            queues: try row.integer("queues", of: "devices"),
            queueDepth: try row.integer("queue_depth", of: "devices"),
            maxIOBytes: try row.integer("max_io_bytes", of: "devices"),
            readOnly: try row.integer("read_only", of: "devices") as Int64 != 0,
            recovery: try row.decode(forColumn: "recovery"),
            ioMode: try row.decode(forColumn: "io_mode"),
            pinQueues: try row.integer("pin_queues", of: "devices") as Int64 != 0,
            queueThreads: try row.integer("queue_threads", of: "devices"),
            batchIO: try row.integer("batch_io", of: "devices") as Int64 != 0,
            desiredState: desiredState,
            lastError: try row.decode(forColumn: "last_error"),
            createdAt: try row.timestamp("created_at", of: "devices"),
            updatedAt: try row.timestamp("updated_at", of: "devices"))
    }

    func encode(to container: inout PersistenceContainer) throws {
        // GRDB converts UInt64 with a trapping Int64(_:).
        guard let size = Int64(exactly: record.sizeBytes) else {
            throw StoreError.invalidRecord("devices.size_bytes: \(record.sizeBytes) does not fit SQLite's INTEGER")
        }
        container["id"] = record.id
        container["name"] = record.name
        container["target"] = record.target
        container["path"] = record.path
        container["size_bytes"] = size
        container["block_size"] = record.blockSize
        container["queues"] = record.queues
        container["queue_depth"] = record.queueDepth
        container["max_io_bytes"] = record.maxIOBytes
        container["read_only"] = record.readOnly
        container["recovery"] = record.recovery
        container["io_mode"] = record.ioMode
        container["pin_queues"] = record.pinQueues
        container["queue_threads"] = record.queueThreads
        container["batch_io"] = record.batchIO
        container["desired_state"] = record.desiredState.rawValue
        container["last_error"] = record.lastError
        container["created_at"] = try Timestamp.string(record.createdAt, column: "devices.created_at")
        container["updated_at"] = try Timestamp.string(record.updatedAt, column: "devices.updated_at")
    }
}

extension DeviceRecord {
    /// This record as it reads back after a write: dates to the millisecond. Dates that cannot be stored are left
    /// alone for `encode` to refuse.
    var normalized: DeviceRecord {
        var copy = self
        copy.createdAt = Timestamp.normalized(createdAt) ?? createdAt
        copy.updatedAt = Timestamp.normalized(updatedAt) ?? updatedAt
        return copy
    }
}
