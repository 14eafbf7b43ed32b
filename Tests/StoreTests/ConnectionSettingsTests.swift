import Foundation
@testable import Store
import Testing
import TestSupport
@testable import StoreSchema

@Suite("Every connection runs with the durability settings the daemon relies on")
struct ConnectionSettingsTests {
    @Test func writerIsWALWithFullSyncForeignKeysAndABusyTimeout() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        #expect(try store.pragma("journal_mode", onWriter: true) == "wal")
        // GRDB lowers this to NORMAL (1) when it enables WAL; FULL is 2.
        #expect(try store.pragma("synchronous", onWriter: true) == "2")
        #expect(try store.pragma("foreign_keys", onWriter: true) == "1")
        #expect(try store.pragma("busy_timeout", onWriter: true) == "5000")
    }

    @Test func readerConnectionsHaveTheSameSettings() throws {
        let directory = TemporaryDirectory()
        let store = try StoreFixtures.open(directory)
        #expect(try store.pragma("journal_mode", onWriter: false) == "wal")
        #expect(try store.pragma("synchronous", onWriter: false) == "2")
        #expect(try store.pragma("foreign_keys", onWriter: false) == "1")
    }

    /// Independent of SQLite and GRDB: bytes 18 and 19 of the header are the read and write format versions,
    /// 2 for WAL and 1 for a rollback journal.
    @Test func fileHeaderSaysWAL() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("ublkd.db")
        try StoreFixtures.open(path).close()
        let header = try #require(FileManager.default.contents(atPath: path))
        try #require(header.count >= 100)
        #expect(String(decoding: header.prefix(15), as: UTF8.self) == "SQLite format 3")
        #expect(header[18] == 2)
        #expect(header[19] == 2)
    }

    @Test func missingParentDirectoriesAreCreatedPrivate() throws {
        let directory = TemporaryDirectory()
        let parent = directory.file("state/ublkd")
        let store = try StoreFixtures.open(parent + "/ublkd.db")
        #expect(store.path == parent + "/ublkd.db")
        let attributes = try FileManager.default.attributesOfItem(atPath: parent)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(FileManager.default.fileExists(atPath: parent + "/ublkd.db"))
    }

    @Test func inMemoryStoreHasTheSameSchemaAndSettings() throws {
        let store = try Store.inMemory()
        #expect(store.path == nil)
        #expect(try store.appliedMigrations() == EmbeddedMigrations.all.map(\.version))
        #expect(try store.pragma("synchronous", onWriter: true) == "2")
        #expect(try store.pragma("foreign_keys", onWriter: true) == "1")
        try store.insertDevice(StoreFixtures.device(1))
        #expect(try store.devices().map(\.id) == [1])
    }
}
