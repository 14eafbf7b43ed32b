import TestSupport
import Foundation
import Store
import Testing
@testable import StoreSchema

@Suite("Every file in Sources/StoreSchema/migrations/ is a migration, in order")
struct MigrationFilesTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/StoreSchema/migrations")

    @Test func everyFileIsListedInOrder() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == EmbeddedMigrations.all.map(\.name))
        for (index, migration) in EmbeddedMigrations.all.enumerated() {
            #expect(migration.version == index + 1, "versions are 1, 2, 3, ... with no gap")
            #expect(migration.name.hasPrefix(String(format: "%04d_", migration.version)))
            let onDisk = try String(contentsOf: Self.directory.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(onDisk == migration.sql, "\(migration.name) differs from its embedded copy")
        }
    }
}
