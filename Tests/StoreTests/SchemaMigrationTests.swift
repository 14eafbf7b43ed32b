import Foundation
@testable import Store
import Testing
import TestSupport
@testable import StoreSchema

@Suite("The store's own migrator records each migration in schema_migrations")
struct SchemaMigrationTests {
    /// The embedded versions; the synthetic migrations below come after them.
    let known = EmbeddedMigrations.all.map(\.version)
    var next: Int { known.last! + 1 }

    @Test func embeddedMigrationsAreRecordedOnCreation() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        #expect(try store.appliedMigrations() == known)
        #expect(known == Array(1...known.count), "numbered from 1 without gaps")
        #expect(try store.pragma("user_version", onWriter: false) == "0", "versions live in schema_migrations only")
        // The schema really exists: both tables answer.
        #expect(try store.devices().isEmpty)
        #expect(try store.eventCount(deviceID: 0) == 0)
    }

    @Test func reopeningAppliesNothingTwice() throws {
        let directory = TemporaryDirectory()
        try StoreFixtures.open(directory).insertDevice(StoreFixtures.device(3))
        for _ in 0..<3 {
            let store = try StoreFixtures.open(directory)
            #expect(try store.appliedMigrations() == known)
            #expect(try store.devices().map(\.id) == [3])
        }
    }

    @Test func appliedAtIsAnISOTimestamp() throws {
        let directory = TemporaryDirectory()
        let before = Date().addingTimeInterval(-1)
        let store = try StoreFixtures.open(directory)
        let text = try #require(try store.scalar("SELECT applied_at FROM schema_migrations WHERE version = 1"))
        #expect(text.hasSuffix("Z") && text.count == "2026-11-26T01:02:03.456Z".count)
        let stamp = try #require(Timestamp.parse(text))
        #expect(stamp >= before && stamp <= Date().addingTimeInterval(1))
        #expect(try store.scalar("SELECT name FROM schema_migrations WHERE version = 1") == "0001_initial.sql")
    }

    @Test func aDatabaseFromANewerUblkdIsRefused() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        let store = try StoreFixtures.open(path)
        try store.insertDevice(StoreFixtures.device(1))
        try store.executeRaw("""
            INSERT INTO schema_migrations (version, name, applied_at)
            VALUES (99, '0099_future.sql', '2030-01-01T00:00:00.000Z')
            """)
        try store.close()

        #expect(throws: StoreError.schemaTooNew(found: 99, known: known.last!)) {
            try StoreFixtures.open(path)
        }
        // Refusing did not touch it: a ublkd that knows version 99 still finds its data.
        let future = EmbeddedMigrations.all + [EmbeddedMigrations.Migration(version: 99, name: "0099_future.sql",
                                                                             sql: "SELECT 1")]
        let newer = try StoreFixtures.openWith(path, migrations: future)
        #expect(try newer.appliedMigrations() == known + [99])
        #expect(try newer.devices().map(\.id) == [1])
    }

    @Test func aFailingMigrationLeavesThePreviousVersionIntact() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        try StoreFixtures.open(path).insertDevice(StoreFixtures.device(7))

        // The first statement works, the second fails: the first must be rolled back with it.
        let broken = EmbeddedMigrations.Migration(
            version: next, name: "\(next)_broken.sql",
            sql: "CREATE TABLE half_done (x INTEGER);\nALTER TABLE no_such_table ADD COLUMN y INTEGER;")
        #expect {
            try StoreFixtures.openWith(path, migrations: EmbeddedMigrations.all + [broken])
        } throws: { error in
            guard case .database(let message) = error as? StoreError else { return false }
            return message.contains("no_such_table")
        }

        let store = try StoreFixtures.open(path)
        #expect(try store.appliedMigrations() == known)
        #expect(try store.devices().map(\.id) == [7])
        #expect(throws: StoreError.self) {
            try store.executeRaw("INSERT INTO half_done (x) VALUES (1)")
        }
    }

    @Test func laterMigrationsApplyInOrderOnTopOfEarlierOnes() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        try StoreFixtures.open(path).insertDevice(StoreFixtures.device(2))
        let later = [
            EmbeddedMigrations.Migration(version: next + 1, name: "b.sql", sql: "ALTER TABLE extra ADD COLUMN b TEXT;"),
            EmbeddedMigrations.Migration(version: next, name: "a.sql", sql: "CREATE TABLE extra (a TEXT);"),
        ]
        let store = try StoreFixtures.openWith(path, migrations: EmbeddedMigrations.all + later)
        #expect(try store.appliedMigrations() == known + [next, next + 1])
        try store.executeRaw("INSERT INTO extra (a, b) VALUES ('x', 'y')")
    }

    @Test func devicesStoredBeforePinQueuesExistedKeepBeingPinned() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        let first = Array(EmbeddedMigrations.all.prefix(1))
        let old = try StoreFixtures.openWith(path, migrations: first)
        try old.executeRaw("""
            INSERT INTO devices (id, name, target, size_bytes, block_size, queues, queue_depth, max_io_bytes,
                                 recovery, desired_state, created_at, updated_at)
            VALUES (5, 'old', 'null', 4096, 512, 1, 64, 4096, 'reissue', 'running',
                    '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
            """)
        try old.close()

        let store = try StoreFixtures.open(path)
        #expect(try store.appliedMigrations() == known)
        #expect(try store.device(id: 5)?.definition.pinQueues == true)
        #expect(throws: StoreError.self) {
            try store.executeRaw("UPDATE devices SET pin_queues = 2 WHERE id = 5")
        }
        // And they had one thread per queue.
        #expect(try store.device(id: 5)?.definition.queueThreads == 1)
        // And the per-tag command model.
        #expect(try store.device(id: 5)?.definition.batchIO == false)
        #expect(throws: StoreError.self) {
            try store.executeRaw("UPDATE devices SET batch_io = 2 WHERE id = 5")
        }
        #expect(throws: StoreError.self) {
            try store.executeRaw("UPDATE devices SET queue_threads = 0 WHERE id = 5")
        }
    }

    @Test func aFileThatIsNotADatabaseFailsCleanly() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            try StoreFixtures.open(path)
        } throws: { error in
            guard case .database = error as? StoreError else { return false }
            return true
        }
    }
}
