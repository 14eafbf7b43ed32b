import Foundation
internal import GRDB
import Logging
import StoreSchema

/// Device definitions and their history in one SQLite file.
///
/// Synchronous and thread-safe: the daemon calls it from plain threads. Every query is a `StoreTransaction`'s:
/// `read(_:)` runs concurrently with others on a reader connection and sees the last committed state; `write(_:)`
/// runs alone, and what it did lands together or not at all.
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

    // MARK: Transactions

    /// Runs `body` in one write transaction: everything it did is committed together when it returns, and nothing
    /// is kept when it throws. Errors from `body` come out unchanged; the store's own are `StoreError`.
    ///
    /// Use only the transaction inside `body`, never this store: its connections are not reentrant, and GRDB traps
    /// on a nested access. The transaction must not outlive `body`.
    public func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try transaction(.write, body)
    }

    /// Runs `body` on a reader connection, in one read transaction: it sees the last committed state, all of it
    /// from one moment, and never waits for the writer. Errors from `body` come out unchanged; the store's own
    /// are `StoreError`. Writes inside `body` fail.
    public func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try transaction(.read, body)
    }

    private enum Access { case read, write }

    /// `body` in one transaction: the caller's errors pass through unchanged, the database's become `StoreError`.
    private func transaction<T>(_ access: Access, _ body: (StoreTransaction) throws -> T) throws -> T {
        func run(_ db: Database) throws -> T {
            do {
                return try body(StoreTransaction(db))
            } catch let error as StoreError {
                throw error
            } catch {
                throw CallerError(underlying: error)
            }
        }
        do {
            switch access {
            case .write: return try writeTransaction(run)
            case .read: return try database.read(run)
            }
        } catch let error as CallerError {
            throw error.underlying
        } catch {
            throw StoreError(error)
        }
    }

    /// Marks an error of the caller's `write` or `read` body, so it is passed through instead of folded into
    /// `StoreError`.
    private struct CallerError: Error {
        let underlying: any Error
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
