/// The schema, compiled into the binary: an installed `ublkd` has no source tree to read `migrations/` from.
/// SwiftPM embeds each file of `Sources/StoreSchema/migrations/` (`PackageResources`, named after the file with its first
/// digit and the dots as underscores); the list below gives each its version. A test checks that every file is
/// listed, in order. A new migration is a new file and a line here; a released file is never edited.
public enum EmbeddedMigrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "0001_initial.sql", bytes: PackageResources._001_initial_sql),
        Migration(version: 2, name: "0002_pin_queues.sql", bytes: PackageResources._002_pin_queues_sql),
        Migration(version: 3, name: "0003_queue_threads.sql", bytes: PackageResources._003_queue_threads_sql),
        Migration(version: 4, name: "0004_batch_io.sql", bytes: PackageResources._004_batch_io_sql),
        Migration(version: 5, name: "0005_lifecycle.sql", bytes: PackageResources._005_lifecycle_sql),
        Migration(version: 6, name: "0006_nbd.sql", bytes: PackageResources._006_nbd_sql),
    ]
}

extension EmbeddedMigrations.Migration {
    init(version: Int, name: String, bytes: [UInt8]) {
        self.init(version: version, name: name, sql: String(decoding: bytes, as: UTF8.self))
    }
}
