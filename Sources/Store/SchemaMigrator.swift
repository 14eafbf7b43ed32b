import Foundation
internal import GRDB
import Logging
import StoreSchema

/// Applies `EmbeddedMigrations` and records each in `schema_migrations`. Our own rather than GRDB's
/// `DatabaseMigrator`: the table and its meaning stay readable with the `sqlite3` shell and independent of GRDB.
///
/// Each migration runs in its own IMMEDIATE transaction together with its `schema_migrations` row, so a failure
/// leaves the previous version intact. IMMEDIATE takes the write lock before looking, so two processes opening
/// the same file cannot both apply a migration.
enum SchemaMigrator {
    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at TEXT    NOT NULL
        )
        """

    static func migrate(
        _ writer: any DatabaseWriter, migrations: [EmbeddedMigrations.Migration], logger: Logger
    ) throws {
        let ordered = migrations.sorted { $0.version < $1.version }
        let known = ordered.last?.version ?? 0
        // The common case, a schema already up to date, with one read and no write lock: a daemon restarting
        // after a crash must not wait for a writer's lock or a disk busy with its devices' backlog.
        let upToDate = try writer.read { db -> Bool in
            guard try db.tableExists("schema_migrations") else { return false }
            let applied = try Set(Int.fetchAll(db, sql: "SELECT version FROM schema_migrations"))
            return applied == Set(ordered.map(\.version))
        }
        if upToDate { return }
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                try db.execute(sql: createTable)
                try refuseNewer(db, known: known)
                return .commit
            }
            for migration in ordered {
                try db.inTransaction(.immediate) {
                    // Checked again under the lock: another process may have migrated since.
                    try refuseNewer(db, known: known)
                    let applied = try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)",
                        arguments: [migration.version]) ?? false
                    if applied { return .commit }
                    try db.execute(sql: migration.sql)
                    try db.execute(
                        sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        arguments: [
                            migration.version, migration.name,
                            try Timestamp.string(Date(), column: "schema_migrations.applied_at"),
                        ])
                    logger.info("applied schema migration", metadata: [
                        "version": "\(migration.version)", "name": "\(migration.name)",
                    ])
                    return .commit
                }
            }
        }
    }

    static func appliedVersions(_ db: Database) throws -> [Int] {
        try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations ORDER BY version")
    }

    private static func refuseNewer(_ db: Database, known: Int) throws {
        let found = try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations") ?? 0
        if found > known {
            throw StoreError.schemaTooNew(found: found, known: known)
        }
    }
}
