import DeviceModel
import Foundation
internal import GRDB

/// A row of `devices`.
extension DeviceRecord: StoredRecord {
    static let tableName = "devices"

    init(row: Row) throws {
        let id: UInt32 = try row.integer("id", of: "devices")
        func choice<T: DefinitionChoice>(_ column: String, as: T.Type) throws -> T {
            let text: String = try row.decode(forColumn: column)
            do {
                return try T.parse(text)
            } catch {
                throw StoreError.database("devices.\(column) of device \(id): \(error.message)")
            }
        }
        let state: String = try row.decode(forColumn: "desired_state")
        guard let desiredState = DesiredState(rawValue: state) else {
            throw StoreError.database("devices.desired_state of device \(id): unknown value \"\(state)\"")
        }
        let target: TargetDefinition
        switch try choice("target", as: TargetKind.self) {
        case .null: target = .null
        case .memory: target = .memory
        case .file:
            guard let path: String = try row.decode(forColumn: "path") else {
                throw StoreError.database("devices.path of file device \(id): NULL")
            }
            target = .file(path: path)
        case .nbd:
            guard let uri: String = try row.decode(forColumn: "uri"),
                  let timeout: Int = try row.optionalInteger("reconnect_timeout_s", of: "devices")
            else {
                throw StoreError.database("devices.uri or reconnect_timeout_s of nbd device \(id): NULL")
            }
            target = .nbd(NBDExportDefinition(uri: uri, reconnectTimeoutSeconds: timeout))
        }
        let definition = DeviceDefinition(
            name: try row.decode(forColumn: "name"), target: target,
            sizeBytes: try row.integer("size_bytes", of: "devices"),
            queues: try row.integer("queues", of: "devices"),
            queueDepth: try row.integer("queue_depth", of: "devices"),
            blockSize: try row.integer("block_size", of: "devices"),
            maxIOBytes: try row.integer("max_io_bytes", of: "devices"),
            readOnly: try row.integer("read_only", of: "devices") as Int64 != 0,
            recovery: try choice("recovery", as: RecoveryMode.self),
            ioMode: try choice("io_mode", as: IOModePreference.self),
            pinQueues: try row.integer("pin_queues", of: "devices") as Int64 != 0,
            queueThreads: try row.integer("queue_threads", of: "devices"),
            batchIO: try row.integer("batch_io", of: "devices") as Int64 != 0)
        self.init(
            id: id, definition: definition, desiredState: desiredState,
            madeBackingFile: try row.integer("made_backing_file", of: "devices") as Int64 != 0,
            lastError: try row.decode(forColumn: "last_error"),
            createdAt: try row.timestamp("created_at", of: "devices"),
            updatedAt: try row.timestamp("updated_at", of: "devices"))
    }

    func encodeColumns(into container: inout PersistenceContainer) throws {
        // GRDB converts UInt64 with a trapping Int64(_:).
        guard let size = Int64(exactly: definition.sizeBytes) else {
            throw StoreError.invalidRecord("devices.size_bytes: \(definition.sizeBytes) does not fit SQLite's INTEGER")
        }
        container["id"] = id
        container["name"] = definition.name
        container["target"] = definition.target.kind.rawValue
        container["path"] = definition.target.path
        if case .nbd(let export) = definition.target {
            container["uri"] = export.uri
            container["reconnect_timeout_s"] = export.reconnectTimeoutSeconds
        }
        container["size_bytes"] = size
        container["block_size"] = definition.blockSize
        container["queues"] = definition.queues
        container["queue_depth"] = definition.queueDepth
        container["max_io_bytes"] = definition.maxIOBytes
        container["read_only"] = definition.readOnly
        container["recovery"] = definition.recovery.rawValue
        container["io_mode"] = definition.ioMode.rawValue
        container["pin_queues"] = definition.pinQueues
        container["queue_threads"] = definition.queueThreads
        container["batch_io"] = definition.batchIO
        container["made_backing_file"] = madeBackingFile
        container["desired_state"] = desiredState.rawValue
        container["last_error"] = lastError
        container["created_at"] = try Timestamp.string(createdAt, column: "devices.created_at")
        container["updated_at"] = try Timestamp.string(updatedAt, column: "devices.updated_at")
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
