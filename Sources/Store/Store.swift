import Foundation
internal import GRDB
import Logging

/// Device definitions and their history in one SQLite file.
///
/// Synchronous and thread-safe: the daemon calls it from plain threads. Reads run concurrently on their own
/// connections and see the last committed state; writes are serialized, each call one transaction. For several
/// steps that must land together, use `write(_:)`.
public final class Store: Sendable {
    /// The database file; nil for `inMemory()`.
    public let path: String?
    /// A `DatabasePool` for a file (readers never wait for the writer, thanks to WAL), a `DatabaseQueue` in memory
    /// (an in-memory database cannot be shared by several connections).
    let database: any DatabaseWriter
    private let logger: Logger

    /// Opens (or creates) the database at `path` and brings its schema up to date. The parent directory is created,
    /// private to the daemon's user, when missing.
    public convenience init(path: String, logger: Logger) throws(StoreError) {
        try self.init(path: path, logger: logger, migrations: EmbeddedMigrations.all)
    }

    /// `migrations` is replaceable so tests can run a migration that fails.
    convenience init(path: String, logger: Logger, migrations: [EmbeddedMigrations.Migration]) throws(StoreError) {
        let pool: DatabasePool
        do {
            try Self.createParentDirectory(of: path)
            pool = try DatabasePool(path: path, configuration: Self.configuration(wal: true))
            // Again for the writer: GRDB sets synchronous=NORMAL when it switches the file to WAL, which happens
            // after prepareDatabase. NORMAL can lose the last commits on power loss; a definition the API
            // acknowledged must survive.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw StoreError(error)
        }
        try self.init(database: pool, path: path, logger: logger, migrations: migrations)
        logger.debug("opened store", metadata: ["path": "\(path)"])
    }

    /// A private database that disappears with the store, for tests of the layers above. Silent unless given a
    /// logger: every test would otherwise print the migrations it applied.
    public static func inMemory(
        logger: Logger = Logger(label: "ublkd.store", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(StoreError) -> Store {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration(wal: false))
        } catch {
            throw StoreError(error)
        }
        return try Store(database: queue, path: nil, logger: logger, migrations: EmbeddedMigrations.all)
    }

    private init(
        database: any DatabaseWriter, path: String?, logger: Logger, migrations: [EmbeddedMigrations.Migration]
    ) throws(StoreError) {
        self.database = database
        self.path = path
        self.logger = logger
        do {
            try SchemaMigrator.migrate(database, migrations: migrations, logger: logger)
        } catch {
            throw StoreError(error)
        }
    }

    private static func configuration(wal: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.label = "ublkd.store"
        configuration.foreignKeysEnabled = true
        // Another process (an operator's sqlite3, a second ublkd refusing to start) may hold the lock briefly.
        // GRDB gives a pool's reader connections 10 s of their own and does not let us change that.
        configuration.busyMode = .timeout(5)
        if wal {
            configuration.journalMode = .wal
        }
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    private static func createParentDirectory(of path: String) throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard !FileManager.default.fileExists(atPath: parent) else { return }
        try FileManager.default.createDirectory(
            atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Closes the connections now rather than when the store is released. Every later call fails with `.database`.
    public func close() throws(StoreError) {
        do {
            try database.close()
        } catch {
            throw StoreError(error)
        }
    }

    /// The versions recorded in `schema_migrations`, ascending.
    public func appliedMigrations() throws(StoreError) -> [Int] {
        try reading { try SchemaMigrator.appliedVersions($0) }
    }

    // MARK: Devices

    /// Stores a new definition and returns it as stored (dates to the millisecond). The name is checked before
    /// the id.
    @discardableResult
    public func insertDevice(_ device: DeviceRecord) throws(StoreError) -> DeviceRecord {
        try writing { transaction throws(StoreError) in try transaction.insertDevice(device) }
    }

    /// Replaces the definition with `device.id`, stamping `updatedAt` with the current time, and returns it as
    /// stored.
    @discardableResult
    public func updateDevice(_ device: DeviceRecord) throws(StoreError) -> DeviceRecord {
        try writing { transaction throws(StoreError) in try transaction.updateDevice(device) }
    }

    /// Removes the definition; its events stay.
    public func deleteDevice(id: UInt32) throws(StoreError) {
        try writing { transaction throws(StoreError) in try transaction.deleteDevice(id: id) }
    }

    public func device(id: UInt32) throws(StoreError) -> DeviceRecord? {
        try reading { try DeviceQueries.device(id: id, $0) }
    }

    public func device(named name: String) throws(StoreError) -> DeviceRecord? {
        try reading { try DeviceQueries.device(named: name, $0) }
    }

    /// Every definition, by id.
    public func devices() throws(StoreError) -> [DeviceRecord] {
        try reading { try DeviceQueries.devices($0) }
    }

    /// The smallest ublk device id (below 2^20) that no definition uses and `excluding` does not hold, e.g. ids the
    /// kernel already has. Only a hint unless inserted in the same `write(_:)`.
    public func freeDeviceID(excluding: Set<UInt32> = []) throws(StoreError) -> UInt32 {
        try reading { try DeviceQueries.freeDeviceID(excluding: excluding, $0) }
    }

    // MARK: Events

    /// Stores an event and returns it with the id SQLite gave it (the id passed in is ignored).
    @discardableResult
    public func appendEvent(_ event: EventRecord) throws(StoreError) -> EventRecord {
        try writing { transaction throws(StoreError) in try transaction.appendEvent(event) }
    }

    /// Up to `limit` events of the device, newest first. For the next page pass the id of the last event received
    /// as `before`.
    /// Newest first; `deviceID` nil means every device's, deleted ones included.
    public func events(deviceID: UInt32?, limit: Int, before: Int64? = nil) throws(StoreError) -> [EventRecord] {
        try reading { try EventQueries.events(deviceID: deviceID, limit: limit, before: before, $0) }
    }

    /// The newest event of the device among `kinds` (nil: any kind).
    public func lastEvent(deviceID: UInt32, kinds: Set<String>? = nil) throws(StoreError) -> EventRecord? {
        try reading { try EventQueries.lastEvent(deviceID: deviceID, kinds: kinds, $0) }
    }

    /// How many events of the device are among `kinds` (nil: any kind).
    public func eventCount(deviceID: UInt32, kinds: Set<String>? = nil) throws(StoreError) -> Int {
        try reading { try EventQueries.eventCount(deviceID: deviceID, kinds: kinds, $0) }
    }

    /// Per stored device, how many events of `kinds` it has had since it was created, and the newest of them.
    public func eventSummaries(kinds: Set<String>) throws(StoreError) -> [UInt32: EventSummary] {
        try reading { try EventQueries.summaries(kinds: kinds, $0) }
    }

    // MARK: Transactions

    /// Runs `body` in one write transaction: everything it did is committed together when it returns, and nothing
    /// is kept when it throws. Errors from `body` come out unchanged; the store's own are `StoreError`.
    ///
    /// Use only the transaction inside `body`, never this store: its connections are not reentrant, and GRDB traps
    /// on a nested access. The transaction must not outlive `body`.
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        do {
            return try writeTransaction { db in
                do {
                    return try body(StoreTransaction(db))
                } catch let error as StoreError {
                    throw error
                } catch {
                    throw CallerError(underlying: error)
                }
            }
        } catch let error as CallerError {
            throw error.underlying
        } catch {
            throw StoreError(error)
        }
    }

    /// Marks an error of the caller's `write` body, so it is passed through instead of folded into `StoreError`.
    private struct CallerError: Error {
        let underlying: any Error
    }

    func writing<T>(_ body: (StoreTransaction) throws(StoreError) -> T) throws(StoreError) -> T {
        do {
            return try writeTransaction { db in try body(StoreTransaction(db)) }
        } catch {
            throw StoreError(error)
        }
    }

    func reading<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw StoreError(error)
        }
    }

    /// IMMEDIATE takes the write lock up front. A DEFERRED transaction that reads first can fail with SQLITE_BUSY
    /// when it upgrades to a write, without waiting, if another process wrote meanwhile.
    private func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            guard let result else {
                throw StoreError.database("a write transaction ended without a result")
            }
            return result
        }
    }
}
